// NumPy .npy reading and writing (format described in numpy/lib/format.py).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "file_utils.h"
#include "keras/data/io.h"
#include "keras/ops/ops.h"

namespace keras::data {

namespace {

struct NpyHeader {
  char byte_order = '<';  // '<', '>' or '|'
  char kind = 'f';        // 'f', 'i', 'u', 'b'
  int item_size = 4;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

[[noreturn]] void bad_header(const std::string& path, const std::string& why) {
  throw IOError("'" + path + "' is not a valid .npy file: " + why);
}

// The value text after 'key': in the header's Python dict literal.
std::string dict_value(const std::string& header, const std::string& key, const std::string& path) {
  const std::string quoted[2] = {"'" + key + "'", "\"" + key + "\""};
  std::size_t pos = std::string::npos;
  for (const auto& q : quoted)
    if ((pos = header.find(q)) != std::string::npos) {
      pos += q.size();
      break;
    }
  if (pos == std::string::npos) bad_header(path, "the header has no '" + key + "' entry. Header: " + header);
  pos = header.find(':', pos);
  if (pos == std::string::npos) bad_header(path, "malformed '" + key + "' entry. Header: " + header);
  ++pos;
  while (pos < header.size() && header[pos] == ' ') ++pos;
  if (key == "shape") {
    const std::size_t close = header.find(')', pos);
    if (header[pos] != '(' || close == std::string::npos) bad_header(path, "malformed shape. Header: " + header);
    return header.substr(pos + 1, close - pos - 1);
  }
  std::size_t end = pos;
  if (header[pos] == '\'' || header[pos] == '"') {
    end = header.find(header[pos], pos + 1);
    if (end == std::string::npos) bad_header(path, "unterminated string. Header: " + header);
    return header.substr(pos + 1, end - pos - 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string value = header.substr(pos, end - pos);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return value;
}

NpyHeader parse_header(const std::string& header, const std::string& path) {
  NpyHeader h;
  const std::string descr = dict_value(header, "descr", path);
  if (descr.size() < 3) bad_header(path, "unsupported descr '" + descr + "'");
  h.byte_order = descr[0];
  h.kind = descr[1];
  if (h.byte_order == '=') h.byte_order = '<';
  if (h.byte_order != '<' && h.byte_order != '>' && h.byte_order != '|')
    throw ValueError("'" + path + "' has an unsupported descr '" + descr + "'.");
  if (h.kind == 'O')
    throw ValueError("'" + path + "' holds Python objects (descr '|O'), which keras.cpp never unpickles.");
  try {
    h.item_size = std::stoi(descr.substr(2));
  } catch (const std::exception&) {
    bad_header(path, "unsupported descr '" + descr + "'");
  }
  const bool supported = (h.kind == 'f' && (h.item_size == 4 || h.item_size == 8)) ||
                         ((h.kind == 'i' || h.kind == 'u') &&
                          (h.item_size == 1 || h.item_size == 2 || h.item_size == 4 || h.item_size == 8)) ||
                         (h.kind == 'b' && h.item_size == 1);
  if (!supported)
    throw ValueError("'" + path + "' has dtype descr '" + descr +
                     "', which keras.cpp cannot read. Expected one of: f4, f8, i1, i2, i4, i8, u1, u2, u4, u8, b1.");
  const std::string fortran = dict_value(header, "fortran_order", path);
  if (fortran == "True")
    throw ValueError("'" + path + "' is stored in Fortran (column-major) order; keras.cpp reads C-order .npy files. "
                     "Save it with numpy.ascontiguousarray first.");
  if (fortran != "False") bad_header(path, "fortran_order must be True or False. Received: " + fortran);
  const std::string shape = dict_value(header, "shape", path);
  std::size_t pos = 0;
  while (pos < shape.size()) {
    while (pos < shape.size() && (shape[pos] == ' ' || shape[pos] == ',')) ++pos;
    if (pos >= shape.size()) break;
    std::size_t used = 0;
    long long dim = 0;
    try {
      dim = std::stoll(shape.substr(pos), &used);
    } catch (const std::exception&) {
      bad_header(path, "malformed shape (" + shape + ")");
    }
    if (dim < 0) bad_header(path, "negative dimension in shape (" + shape + ")");
    h.shape.push_back(dim);
    pos += used;
  }
  return h;
}

template <typename T>
T load_scalar(const unsigned char* p, bool swap) {
  unsigned char buf[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) buf[i] = swap ? p[sizeof(T) - 1 - i] : p[i];
  T v;
  std::memcpy(&v, buf, sizeof(T));
  return v;
}

// Converts the raw little/big-endian items to a tensor of `out` dtype.
Tensor convert(const std::vector<unsigned char>& raw, const NpyHeader& h, const Shape& shape, DType out,
               const std::string& path) {
  Tensor t = Tensor::empty(shape, out);
  const std::int64_t n = shape.num_elements();
  const bool swap = h.byte_order == '>';
  dispatch_dtype(out, [&](auto zero) {
    using O = decltype(zero);
    O* dst = static_cast<O*>(t.raw_data());
    for (std::int64_t i = 0; i < n; ++i) {
      const unsigned char* p = raw.data() + i * h.item_size;
      O value{};
      if (h.kind == 'f') {
        value = h.item_size == 4 ? static_cast<O>(load_scalar<float>(p, swap)) : static_cast<O>(load_scalar<double>(p, swap));
      } else if (h.kind == 'b') {
        value = static_cast<O>(*p != 0);
      } else if (h.kind == 'i') {
        switch (h.item_size) {
          case 1: value = static_cast<O>(load_scalar<std::int8_t>(p, swap)); break;
          case 2: value = static_cast<O>(load_scalar<std::int16_t>(p, swap)); break;
          case 4: value = static_cast<O>(load_scalar<std::int32_t>(p, swap)); break;
          default: value = static_cast<O>(load_scalar<std::int64_t>(p, swap)); break;
        }
      } else {
        std::uint64_t u = 0;
        switch (h.item_size) {
          case 1: u = *p; break;
          case 2: u = load_scalar<std::uint16_t>(p, swap); break;
          case 4: u = load_scalar<std::uint32_t>(p, swap); break;
          default: u = load_scalar<std::uint64_t>(p, swap); break;
        }
        if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw ValueError("'" + path + "' holds the uint64 value " + std::to_string(u) +
                           ", which does not fit keras.cpp's int64.");
        value = static_cast<O>(u);
      }
      dst[i] = value;
    }
  });
  return t;
}

DType natural_dtype(const NpyHeader& h) {
  if (h.kind == 'f') return h.item_size == 4 ? DType::float32 : DType::float64;
  if (h.kind == 'b') return DType::bool_;
  if (h.kind == 'i') return h.item_size == 8 ? DType::int64 : DType::int32;
  return h.item_size >= 4 ? DType::int64 : DType::int32;  // unsigned
}

std::string descr_of(DType dtype) {
  switch (dtype) {
    case DType::float32: return "<f4";
    case DType::float64: return "<f8";
    case DType::int32: return "<i4";
    case DType::int64: return "<i8";
    case DType::bool_: return "|b1";
  }
  return "<f4";
}

}  // namespace

Tensor load_npy(const std::string& path, std::optional<DType> dtype) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("Cannot open '" + path + "' for reading.");
  char magic[8];
  if (!in.read(magic, 8)) bad_header(path, "the file is shorter than the 8-byte .npy preamble");
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) bad_header(path, "missing the \\x93NUMPY magic string");
  const int major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char b[2];
    if (!in.read(reinterpret_cast<char*>(b), 2)) bad_header(path, "truncated header length");
    header_len = b[0] | (b[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) bad_header(path, "truncated header length");
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    if (header_len > (1u << 24)) bad_header(path, "implausible header length " + std::to_string(header_len));
  } else {
    bad_header(path, "unsupported format version " + std::to_string(major));
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) bad_header(path, "truncated header");
  const NpyHeader h = parse_header(header, path);

  const Shape shape(h.shape);
  const std::int64_t count = checked_element_count(h.shape, path);
  const std::uint64_t bytes = static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(h.item_size);
  const auto data_start = static_cast<std::uint64_t>(in.tellg());
  const std::uint64_t file_size = std::filesystem::file_size(path);
  if (file_size < data_start || file_size - data_start < bytes)
    throw IOError("'" + path + "' is truncated: its header declares shape " + shape.to_string() + " (" +
                  std::to_string(bytes) + " bytes of data) but only " + std::to_string(file_size - data_start) +
                  " bytes follow the header.");
  std::vector<unsigned char> raw(static_cast<std::size_t>(bytes));
  if (bytes > 0 && !in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(bytes)))
    throw IOError("Failed to read the data of '" + path + "'.");
  Tensor t = convert(raw, h, shape, natural_dtype(h), path);
  if (dtype && *dtype != t.dtype()) t = ops::cast(t, *dtype);
  return t;
}

void save_npy(const std::string& path, const Tensor& tensor, bool as_uint8) {
  if (!tensor.defined() || tensor.is_symbolic())
    throw ValueError("save_npy needs a concrete tensor. Received: " +
                     std::string(tensor.defined() ? "a symbolic tensor of shape " + tensor.shape().to_string() : "an undefined tensor"));
  std::string shape_text = "(";
  for (int i = 0; i < tensor.rank(); ++i) shape_text += std::to_string(tensor.shape().dims()[i]) + ", ";
  if (tensor.rank() > 0) shape_text.resize(shape_text.size() - 2);
  if (tensor.rank() == 1) shape_text += ",";
  shape_text += ")";
  const std::string descr = as_uint8 ? "|u1" : descr_of(tensor.dtype());
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // NumPy pads with spaces so that the data starts on a 64-byte boundary, then a newline.
  const std::size_t preamble = 10;
  const std::size_t total = ((preamble + header.size() + 1 + 63) / 64) * 64;
  header += std::string(total - preamble - header.size() - 1, ' ') + "\n";

  std::vector<unsigned char> data;
  if (as_uint8) {
    const std::vector<double> values = tensor.to_vector<double>();
    data.resize(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double v = values[i];
      if (!(v >= 0 && v <= 255 && v == static_cast<double>(static_cast<int>(v))))
        throw ValueError("save_npy(as_uint8=true) needs integers in [0, 255]. Received: " + std::to_string(v) +
                         " at flat index " + std::to_string(i));
      data[i] = static_cast<unsigned char>(v);
    }
  } else {
    const auto* p = static_cast<const unsigned char*>(tensor.raw_data());
    data.assign(p, p + static_cast<std::size_t>(tensor.size()) * dtype_size(tensor.dtype()));
  }
  write_file_atomically(path, [&](std::ofstream& out) {
    const unsigned char preamble_bytes[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                              static_cast<unsigned char>(header.size() & 0xFF),
                                              static_cast<unsigned char>(header.size() >> 8)};
    out.write(reinterpret_cast<const char*>(preamble_bytes), 10);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  });
}

}  // namespace keras::data
