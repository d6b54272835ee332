#pragma once
// Internals shared by h5_file.cpp (the File/Group API) and h5_trust.cpp (the checks run
// before a file is trusted). Not installed; only keras_saving and its tests include it.
#include <hdf5.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "saving/h5_file.h"

namespace keras::saving::h5 {

// Bounds that keep a hostile file from making us loop or allocate without limit.
inline constexpr std::size_t kMaxObjects = 1'000'000;         // links visited during validation
inline constexpr hsize_t kMaxStringElements = 1u << 24;       // entries of a string attribute
inline constexpr hsize_t kMaxFixedStringBytes = 1u << 28;     // bytes of a fixed-length string attr
inline constexpr hsize_t kUnallocatedSlack = 64 * 1024;       // a never-written dataset reads as fill
inline constexpr hsize_t kMaxCompressionRatio = 1100;         // above what gzip can reach (~1032)


inline std::recursive_mutex& hdf5_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// True in the child process that probe_in_child forks: it has a single thread, and the
// lock it inherited is owned by a thread that does not exist there, so it must not lock.
inline bool& in_probe_child() {
  static bool value = false;
  return value;
}

// Holds the process-wide HDF5 lock; the first one also silences HDF5's error printing
// (failures come back as return codes that we turn into exceptions).
class Lock {
 public:
  Lock() {
    if (!in_probe_child()) guard_ = std::unique_lock<std::recursive_mutex>(hdf5_mutex());
    static std::once_flag once;
    std::call_once(once, [] {
      H5open();
      H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    });
  }

 private:
  std::unique_lock<std::recursive_mutex> guard_;
};

// An HDF5 id closed on scope exit with the matching H5?close.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      if (id_ >= 0 && close_) close_(id_);
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = -1;
    }
    return *this;
  }
  ~Hid() {
    if (id_ >= 0 && close_) close_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// The deepest message of HDF5's error stack (the most specific one), then clears it.
inline std::string hdf5_error_detail() {
  std::string detail;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* err, void* data) -> herr_t {
        if (err && err->desc && *err->desc) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}


inline std::string join_path(const std::string& base, const std::string& name) {
  if (name.empty()) return base;
  if (name[0] == '/') return name;
  return base == "/" ? "/" + name : base + "/" + name;
}

inline std::string type_class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "variable-length";
    case H5T_ARRAY: return "array";
    default: return "unknown";
  }
}

inline bool mul_overflows(hsize_t a, hsize_t b, hsize_t* out) { return __builtin_mul_overflow(a, b, out); }
struct FileState {
  hid_t file = -1;
  hid_t lapl = -1;  // link access: no external links, few soft-link hops
  hid_t dapl = -1;  // dataset access (also a link access list)
  hid_t gapl = -1;  // group access
  std::string name;
  std::uint64_t size = 0;  // bytes in the file (for sanity checks); 0 for created files
  bool created = false;

  ~FileState() {
    Lock lock;
    if (file >= 0) H5Fclose(file);
    for (hid_t p : {lapl, dapl, gapl})
      if (p >= 0) H5Pclose(p);
  }

  // "HDF5 file 'x.h5': <problem> (HDF5: <the library's own reason>)".
  std::string message(const std::string& problem) const {
    std::string detail = hdf5_error_detail();
    std::string msg = "HDF5 file '" + name + "': " + problem;
    if (!detail.empty()) msg += " (HDF5: " + detail + ")";
    return msg;
  }
  [[noreturn]] void fail(const std::string& problem) const { throw IOError(message(problem)); }
  template <class T>
  T check(T result, const std::string& problem) const {
    if (result < 0) fail(problem);
    return result;
  }
};

// Element type mapping (file -> what read_dataset returns).
struct ReadPlan {
  DType dtype = DType::float32;
  hid_t memtype = -1;   // a predefined native type unless owned is set
  Hid owned;            // a memory type we created
  bool bfloat16 = false;
  bool boolean = false;
};

/// A FileState with the link-access policy (no external links, few soft-link hops).
std::shared_ptr<FileState> new_state(const std::string& name);
/// A name for an in-memory (core driver) file that no other open file has.
std::string unique_memory_name();

/// File access properties for opening `bytes` read-only in memory (HDF5 copies them).
Hid image_access_list(const FileState& fs, const std::vector<char>& bytes);

/// The structural checks of h5_file.h: links, external storage, virtual datasets, sizes.
/// IOError naming the file and the first problem.
void validate(FileState& fs);
/// Opens the image and reads all its metadata (every link, attribute and dataset header)
/// in a child process, so that a bug in the HDF5 library triggered by a corrupt file kills
/// the child, not us. IOError when the child crashes or runs too long.
void probe_in_child(const std::vector<char>& bytes, const std::string& display_name);

/// How to read a dataset of this file type; IOError for types Keras never writes.
void plan_read(const FileState& fs, hid_t dset, hid_t ftype, const std::string& path, ReadPlan& plan);
Shape dataset_shape(const FileState& fs, hid_t dset, const std::string& path);
/// The strings of a string attribute of `obj` (scalar or 1-D, fixed or variable length).
std::vector<std::string> read_strings(const FileState& fs, hid_t obj, const std::string& obj_path,
                                      const std::string& name, bool allow_empty_numeric);

}  // namespace keras::saving::h5
