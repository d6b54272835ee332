#include "saving/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "keras/core/errors.h"

namespace keras::saving {

namespace {

std::mutex hook_mutex;
std::function<void(std::size_t)>& write_hook() {
  static std::function<void(std::size_t)> hook;
  return hook;
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw IOError("Cannot save to '" + path + "': " + what + ": " + std::strerror(err));
}

// The permissions a new file would get from open(2): 0666 minus the umask.
mode_t default_mode() {
  static const mode_t mode = [] {
    mode_t mask = ::umask(022);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

// Removes the temporary file unless released (after the rename).
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { path_.clear(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

void testing::set_write_hook(std::function<void(std::size_t)> hook) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  write_hook() = std::move(hook);
}

void write_file_atomically(const std::string& path, const std::vector<char>& bytes) {
  namespace fs = std::filesystem;
  fs::path target(path);
  if (target.filename().empty()) throw IOError("Cannot save to '" + path + "': the path names a folder, not a file");
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::string templ = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0) fail(path, "cannot create a temporary file in '" + dir.string() + "'", errno);
  TempFile tmp(templ, fd);

  struct stat st {};
  mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : default_mode();
  if (::fchmod(tmp.fd(), mode) != 0) fail(path, "cannot set permissions", errno);

  std::function<void(std::size_t)> hook;
  {
    std::lock_guard<std::mutex> lock(hook_mutex);
    hook = write_hook();
  }
  // At least two pieces, so the test hook can interrupt a save midway.
  const std::size_t piece = std::max<std::size_t>(1, std::min<std::size_t>(bytes.size() / 2 + 1, 1 << 20));
  std::size_t done = 0;
  while (done < bytes.size()) {
    std::size_t want = std::min(piece, bytes.size() - done);
    ssize_t n = ::write(tmp.fd(), bytes.data() + done, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot write", errno);
    }
    done += static_cast<std::size_t>(n);
    if (hook) hook(done);
  }
  if (::fsync(tmp.fd()) != 0) fail(path, "cannot flush to disk", errno);
  if (tmp.close() != 0) fail(path, "cannot close the temporary file", errno);
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) fail(path, "cannot replace the file", errno);
  tmp.release();
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::vector<char> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IOError("Cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IOError("Cannot open '" + path + "': not a regular file");
  }
  std::vector<char> out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw IOError("Cannot read '" + path + "': " + (n == 0 ? std::string("file shrank while reading") : std::strerror(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return out;
}

}  // namespace keras::saving
