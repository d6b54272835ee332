#pragma once
// File helpers shared by the readers and writers of keras_data (internal).
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "keras/core/errors.h"
#include "keras/core/shape.h"

namespace keras::data {

static_assert(std::endian::native == std::endian::little,
              "keras_data writes little-endian .npy data by copying memory; port save_npy first.");

/// Product of dims, refusing overflow and more than 2^40 elements (a header that claims
/// more is corrupt or hostile, and must not drive an allocation).
inline std::int64_t checked_element_count(const std::vector<std::int64_t>& dims, const std::string& path) {
  constexpr std::int64_t kMax = std::int64_t{1} << 40;
  std::int64_t n = 1;
  for (auto d : dims) {
    if (d < 0) throw IOError("'" + path + "' declares a negative dimension. Received: shape " + Shape(dims).to_string());
    if (d != 0 && n > kMax / d)
      throw IOError("'" + path + "' declares an implausibly large shape " + Shape(dims).to_string() + ".");
    n *= d;
  }
  return n;
}

/// Writes through `write` into "<path>.tmp-XXXX" and renames it over `path`, so that an
/// error never destroys an existing file or leaves a partial one.
inline void write_file_atomically(const std::string& path, const std::function<void(std::ofstream&)>& write) {
  namespace fs = std::filesystem;
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IOError("Cannot open '" + tmp + "' for writing (while saving '" + path + "').");
    try {
      write(out);
    } catch (...) {
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IOError("Failed to write '" + path + "' (disk full or I/O error).");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IOError("Cannot rename the temporary file onto '" + path + "': " + ec.message());
  }
}

}  // namespace keras::data
