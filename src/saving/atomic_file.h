#pragma once
// Atomic file replacement (internal to keras_saving).
//
// Saving must never leave a half-written model where a good one was: the bytes go to a
// temporary file in the destination's folder (same file system, so rename is atomic),
// which is flushed to disk (fsync) and then renamed over the destination. On any failure
// the temporary is removed and the previous file is untouched.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace keras::saving {

/// Writes `bytes` to `path` atomically. IOError naming the path and the system's reason.
void write_file_atomically(const std::string& path, const std::vector<char>& bytes);

/// Reads a whole file. IOError naming the path when it cannot be read.
std::vector<char> read_file(const std::string& path);

namespace testing {
/// Test hook: called after each partial write with the bytes written so far (the data is
/// always written in at least two pieces). A hook that throws simulates a crash midway.
/// Pass nullptr to remove it.
void set_write_hook(std::function<void(std::size_t bytes_written)> hook);
}  // namespace testing

}  // namespace keras::saving
