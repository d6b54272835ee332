#include "saving/zip_archive.h"

#include <zip.h>

#include <cstring>
#include <limits>
#include <set>

#include "keras/core/errors.h"
#include "saving/atomic_file.h"

namespace keras::saving::zip {

namespace {

constexpr zip_int64_t kMaxMembers = 100'000;
constexpr zip_uint64_t kMaxDeflateRatio = 1100;  // deflate cannot do better than ~1032:1
constexpr zip_uint64_t kSlack = 64 * 1024;

[[noreturn]] void fail(const std::string& archive, const std::string& problem) {
  throw IOError("Zip archive '" + archive + "': " + problem);
}

std::string libzip_message(zip_error_t* error) {
  const char* s = zip_error_strerror(error);
  return s ? s : "unknown error";
}

}  // namespace

bool is_safe_member_name(const std::string& name) {
  if (name.empty() || name.size() > 4096) return false;
  if (name[0] == '/' || name.find('\\') != std::string::npos) return false;
  if (name.size() >= 2 && name[1] == ':') return false;  // "C:..." on Windows
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t slash = name.find('/', start);
    std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

struct Reader::Impl {
  std::vector<char> bytes;  // libzip reads from here; must outlive `archive`
  zip_t* archive = nullptr;
  std::vector<zip_uint64_t> sizes;
  ~Impl() {
    if (archive) zip_discard(archive);
  }
};

Reader::~Reader() = default;
Reader::Reader(Reader&&) noexcept = default;
Reader& Reader::operator=(Reader&&) noexcept = default;

Reader Reader::open(const std::string& path) { return from_bytes(read_file(path), path); }

Reader Reader::from_bytes(std::vector<char> bytes, const std::string& display_name) {
  Reader r;
  r.display_name_ = display_name;
  r.impl_ = std::make_unique<Impl>();
  Impl& impl = *r.impl_;
  impl.bytes = std::move(bytes);
  if (impl.bytes.empty()) fail(display_name, "the file is empty");

  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(impl.bytes.data(), impl.bytes.size(), 0, &error);
  if (!src) {
    std::string msg = libzip_message(&error);
    zip_error_fini(&error);
    fail(display_name, "cannot read the archive: " + msg);
  }
  impl.archive = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (!impl.archive) {
    zip_source_free(src);
    std::string msg = libzip_message(&error);
    zip_error_fini(&error);
    fail(display_name, "not a valid zip archive, or truncated or corrupt (" + msg + ")");
  }
  zip_error_fini(&error);

  zip_int64_t count = zip_get_num_entries(impl.archive, 0);
  if (count < 0 || count > kMaxMembers) fail(display_name, "invalid number of members");
  const zip_uint64_t archive_size = impl.bytes.size();
  zip_uint64_t total = 0;
  std::set<std::string> seen;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(impl.archive, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME))
      fail(display_name, "cannot read member #" + std::to_string(i));
    std::string name = st.name;
    if (!is_safe_member_name(name))
      fail(display_name, "member '" + name + "' has an unsafe path (absolute, or with '..'); refusing to read the archive");
    if (!seen.insert(name).second) fail(display_name, "member '" + name + "' appears twice");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
      fail(display_name, "member '" + name + "' is encrypted");
    if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
      fail(display_name, "member '" + name + "' has no recorded size");
    zip_uint64_t limit;
    if (st.comp_method == ZIP_CM_STORE) {
      if (st.size != st.comp_size)
        fail(display_name, "stored member '" + name + "' declares " + std::to_string(st.size) +
                               " bytes but occupies " + std::to_string(st.comp_size));
      limit = archive_size;
    } else if (st.comp_method == ZIP_CM_DEFLATE) {
      if (st.comp_size > archive_size) fail(display_name, "member '" + name + "' is larger than the archive");
      limit = __builtin_mul_overflow(st.comp_size, kMaxDeflateRatio, &limit) ? std::numeric_limits<zip_uint64_t>::max()
                                                                               : limit + kSlack;
    } else {
      fail(display_name, "member '" + name + "' uses compression method " + std::to_string(st.comp_method) +
                             "; only stored and deflated members are supported");
    }
    if (st.size > limit)
      fail(display_name, "member '" + name + "' declares " + std::to_string(st.size) + " bytes, far more than the " +
                             std::to_string(archive_size) + "-byte archive can hold (a zip bomb?)");
    if (__builtin_add_overflow(total, st.size, &total)) fail(display_name, "member sizes overflow");
    r.names_.push_back(std::move(name));
    impl.sizes.push_back(st.size);
  }
  return r;
}

bool Reader::has(const std::string& name) const {
  for (const auto& n : names_)
    if (n == name) return true;
  return false;
}

std::vector<char> Reader::read(const std::string& name) const {
  std::size_t index = names_.size();
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) index = i;
  if (index == names_.size()) fail(display_name_, "expected a member '" + name + "', but there is none");
  zip_int64_t zindex = zip_name_locate(impl_->archive, name.c_str(), 0);
  if (zindex < 0) fail(display_name_, "cannot locate member '" + name + "'");
  zip_file_t* file = zip_fopen_index(impl_->archive, static_cast<zip_uint64_t>(zindex), 0);
  if (!file) fail(display_name_, "cannot open member '" + name + "': " + libzip_message(zip_get_error(impl_->archive)));
  zip_uint64_t size = impl_->sizes[index];
  std::vector<char> out(size);
  zip_uint64_t done = 0;
  std::string problem;
  while (done < size) {
    zip_int64_t n = zip_fread(file, out.data() + done, size - done);
    if (n < 0) {
      problem = libzip_message(zip_file_get_error(file));
      break;
    }
    if (n == 0) {
      problem = "the member ends after " + std::to_string(done) + " of " + std::to_string(size) + " bytes";
      break;
    }
    done += static_cast<zip_uint64_t>(n);
  }
  if (problem.empty()) {
    // Reading past the end makes libzip verify the CRC.
    char extra;
    zip_int64_t n = zip_fread(file, &extra, 1);
    if (n < 0) problem = libzip_message(zip_file_get_error(file));
    else if (n > 0) problem = "the member is longer than its declared size";
  }
  zip_fclose(file);
  if (!problem.empty()) fail(display_name_, "cannot read member '" + name + "': " + problem);
  return out;
}

std::vector<char> write_archive(const std::vector<Member>& members) {
  const std::string what = "(new archive)";
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (!sink) fail(what, "cannot create a buffer: " + libzip_message(&error));
  zip_source_keep(sink);  // zip_close releases the archive; the bytes stay in `sink`
  zip_t* za = zip_open_from_source(sink, ZIP_TRUNCATE, &error);
  if (!za) {
    zip_source_free(sink);
    std::string msg = libzip_message(&error);
    zip_error_fini(&error);
    fail(what, "cannot create the archive: " + msg);
  }
  zip_error_fini(&error);
  auto abandon = [&](const std::string& problem) {
    std::string msg = problem + ": " + libzip_message(zip_get_error(za));
    zip_discard(za);
    zip_source_free(sink);
    fail(what, msg);
  };
  std::tm dos_epoch{};
  dos_epoch.tm_year = 80;
  dos_epoch.tm_mday = 1;
  dos_epoch.tm_isdst = -1;
  const std::time_t epoch_1980 = std::mktime(&dos_epoch);
  for (const auto& m : members) {
    if (!is_safe_member_name(m.name)) abandon("unsafe member name '" + m.name + "'");
    zip_source_t* data = zip_source_buffer(za, m.data.data(), m.data.size(), 0);
    if (!data) abandon("cannot add member '" + m.name + "'");
    zip_int64_t idx = zip_file_add(za, m.name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(data);
      abandon("cannot add member '" + m.name + "'");
    }
    auto uidx = static_cast<zip_uint64_t>(idx);
    if (zip_set_file_compression(za, uidx, ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(za, uidx, m.mtime == 0 ? epoch_1980 : m.mtime, 0) != 0 ||
        zip_file_set_external_attributes(za, uidx, 0, ZIP_OPSYS_UNIX, 0600u << 16) != 0)
      abandon("cannot set the properties of member '" + m.name + "'");
  }
  if (zip_close(za) != 0) abandon("cannot write the archive");

  std::vector<char> out;
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_open(sink) != 0) {
    zip_source_free(sink);
    fail(what, "cannot read the written archive");
  }
  if (zip_source_stat(sink, &st) == 0 && (st.valid & ZIP_STAT_SIZE)) out.reserve(st.size);
  char buf[1 << 16];
  zip_int64_t n;
  while ((n = zip_source_read(sink, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  zip_source_close(sink);
  zip_source_free(sink);
  if (n < 0) fail(what, "cannot read the written archive");
  return out;
}

}  // namespace keras::saving::zip
