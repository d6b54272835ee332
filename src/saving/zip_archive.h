#pragma once
// Zip archives through libzip (internal to keras_saving): the container of a `.keras` file.
//
// Reading checks every member before anything is extracted: names must be relative paths
// without `..` components, backslashes or drive letters; no duplicates; no encryption; only
// stored or deflated members; and each member's declared size must be plausible for the
// archive's size (a stored member cannot be larger than the archive, a deflated one no more
// than gzip's best ratio), so a zip bomb is refused before it is inflated. Reads check the
// CRC. Failures are keras::IOError naming the archive and the problem.
//
// Writing produces what Python's zipfile writes for Keras: members in the given order, all
// ZIP_STORED, Unix permissions 0600.
//
//   auto zip = keras::saving::zip::Reader::open("model.keras");
//   std::vector<char> config = zip.read("config.json");
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace keras::saving::zip {

class Reader {
 public:
  /// Reads the archive into memory and checks it.
  static Reader open(const std::string& path);
  static Reader from_bytes(std::vector<char> bytes, const std::string& display_name);
  ~Reader();
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;

  /// Member names in archive order.
  const std::vector<std::string>& names() const { return names_; }
  bool has(const std::string& name) const;
  /// The member's bytes. IOError when it is missing or corrupt.
  std::vector<char> read(const std::string& name) const;
  const std::string& name() const { return display_name_; }

 private:
  Reader() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
  std::string display_name_;
};

struct Member {
  std::string name;
  std::vector<char> data;
  std::time_t mtime = 0;  // 0: 1980-01-01 00:00, zipfile's default for writestr
};

/// A zip archive with these members, in this order, all stored uncompressed.
std::vector<char> write_archive(const std::vector<Member>& members);

/// Whether `name` is a safe member name (relative, no `..`, no backslash, no drive letter).
bool is_safe_member_name(const std::string& name);

}  // namespace keras::saving::zip
