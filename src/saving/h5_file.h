#pragma once
// Safe access to HDF5 files through HDF5's C API (internal to keras_saving).
//
// Keras's weights live in HDF5 files that may come from anyone, so a file is checked before
// any of its data is trusted (File::open / File::open_image):
//   - external links, user-defined links and soft links that do not resolve inside the file
//     are refused, and link traversal is given an external-link callback that always
//     refuses, so nothing outside the file is ever opened;
//   - datasets with external storage or a virtual layout are refused;
//   - every dataset's declared size is checked against the bytes actually stored (and the
//     file's size), so a tiny file cannot make us allocate gigabytes.
// Every HDF5 failure becomes keras::IOError naming the file and the problem; HDF5's own
// error printing is silenced. The HDF5 library used here is not thread-safe, so every call
// into it holds one process-wide lock.
//
// Files are written the way h5py writes them (superblock version 0, contiguous datasets,
// little-endian IEEE/two's-complement types, variable-length string attributes), in memory:
// File::create() then image() gives the bytes to write atomically or put into a zip.
//
//   auto f = keras::saving::h5::File::open("model.weights.h5");
//   keras::Tensor kernel = f.root().open_group("layers/dense/vars").read_dataset("0");
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::saving::h5 {

struct FileState;  // the open HDF5 file (shared by every Group taken from it)

/// Character set of a written string attribute. h5py stores Python `str` as UTF-8 and
/// `bytes` as ASCII; Keras uses both, and some readers check.
enum class Cset { ascii, utf8 };

/// Shape and element type of a dataset, without reading it.
struct DatasetInfo {
  Shape shape;
  DType dtype;       // the dtype read_dataset returns
  bool is_bfloat16;  // stored as 16-bit patterns with the attribute dtype="bfloat16"
};

class Group {
 public:
  /// Absolute path inside the file ("/", "/layers/dense/vars").
  const std::string& path() const { return path_; }
  /// The file's display name (its path, or "model.keras/model.weights.h5").
  const std::string& file_name() const;

  /// Whether a member called `name` exists (a relative path; intermediate groups may be
  /// missing).
  bool has(const std::string& name) const;
  bool has_group(const std::string& name) const;
  bool has_dataset(const std::string& name) const;
  /// Member names in HDF5's name order ("0", "1", "10", "2", ...).
  std::vector<std::string> member_names() const;

  /// IOError when missing or not a group.
  Group open_group(const std::string& name) const;
  /// Creates the group (and missing intermediate groups). IOError if it exists.
  Group create_group(const std::string& name);
  /// Opens the group, creating it when missing.
  Group require_group(const std::string& name);

  DatasetInfo dataset_info(const std::string& name) const;
  /// Reads a numeric dataset: floats as float32 (float64 stays float64; float16/bfloat16 are
  /// widened to float32), integers as int32 (64-bit ones as int64), h5py booleans as bool.
  Tensor read_dataset(const std::string& name) const;
  /// Writes a concrete tensor as a new contiguous dataset; intermediate groups are created.
  void write_dataset(const std::string& name, const Tensor& value);

  bool has_attr(const std::string& name) const;
  std::vector<std::string> attr_names() const;
  /// A string attribute: scalar or one-element array, fixed or variable length.
  std::string read_string_attr(const std::string& name) const;
  /// A 1-D string attribute (fixed or variable length). An empty numeric array (what Keras
  /// writes for a layer without weights) reads as an empty list.
  std::vector<std::string> read_string_list_attr(const std::string& name) const;
  /// Scalar variable-length string attribute (replaces an existing one).
  void write_string_attr(const std::string& name, const std::string& value, Cset cset = Cset::utf8);
  /// 1-D variable-length ASCII strings, as Keras's legacy writer stores `layer_names` and
  /// `weight_names`; an empty list is stored as an empty float64 array, as numpy does.
  void write_string_list_attr(const std::string& name, const std::vector<std::string>& values);

 private:
  friend class File;
  Group(std::shared_ptr<FileState> file, std::int64_t id, std::string path);
  std::string child_path(const std::string& name) const;

  std::shared_ptr<FileState> file_;
  std::shared_ptr<std::int64_t> id_;  // the HDF5 group id, closed with the last copy
  std::string path_;
};

class File {
 public:
  /// Opens an HDF5 file read-only after the safety checks above.
  static File open(const std::string& path);
  /// Same, for a file held in memory (e.g. a zip member); `display_name` names it in errors.
  static File open_image(const std::vector<char>& bytes, const std::string& display_name);
  /// A new, empty file in memory.
  static File create(const std::string& display_name);

  Group root() const;
  /// The bytes of a file made with create(), as they would be on disk.
  std::vector<char> image() const;
  const std::string& name() const;

 private:
  explicit File(std::shared_ptr<FileState> state) : state_(std::move(state)) {}
  std::shared_ptr<FileState> state_;
};

}  // namespace keras::saving::h5
