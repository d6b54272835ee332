#pragma once
/// keras::data — arrays from files: NumPy .npy, CSV and IDX (the MNIST / Fashion-MNIST
/// format, gzip-compressed or not).
///
/// keras.cpp tensors have no uint8/int8/int16 dtype: such data is widened to int32 (or to
/// the requested dtype). Every reader names the file in its errors; a file that is truncated
/// or whose header does not parse raises keras::IOError, an unsupported layout (Fortran
/// order, object arrays) keras::ValueError.
///
///   keras::Tensor x = keras::data::load_npy("x.npy");                 // float32 (4, 75)
///   keras::data::save_npy("out.npy", x);
///   keras::Tensor images = keras::data::load_idx("train-images-idx3-ubyte.gz", keras::DType::float32);
///   auto table = keras::data::read_csv("data.csv");                    // header + float32 values
#include <optional>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::data {

/// Reads a .npy file (format versions 1-3, C order). dtypes: f4, f8 -> float32/float64;
/// i4, i8 -> int32/int64; b1 -> bool; u1, i1, i2, u2 -> int32; u4, u8 -> int64 (u8 above
/// int64's range: ValueError); either byte order. `dtype` converts the result.
Tensor load_npy(const std::string& path, std::optional<DType> dtype = std::nullopt);

/// Writes a C-order .npy (version 1.0, header padded to 64 bytes like NumPy). With
/// `as_uint8` the data is stored as '|u1' (values must be integers in [0, 255]). The file is
/// written to a temporary name and renamed, so a failure never leaves a partial file.
void save_npy(const std::string& path, const Tensor& tensor, bool as_uint8 = false);

/// Reads an IDX file: magic 0x0000 + type (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
/// 0x0D float, 0x0E double) + rank, big-endian dims, big-endian data. Files ending in .gz
/// (or starting with the gzip magic) are decompressed on the fly. Integer data gives int32
/// unless `dtype` says otherwise; float data float32 / float64.
Tensor load_idx(const std::string& path, std::optional<DType> dtype = std::nullopt);

struct CsvOptions {
  char delimiter = ',';
  /// true: the first row names the columns; false: it is data; unset: a header when the
  /// first row has a field that is not a number.
  std::optional<bool> header{};
  DType dtype = DType::float32;
  /// Lines to skip before the header/data.
  int skip_rows = 0;
};

struct CsvTable {
  std::vector<std::string> column_names;  // empty without a header
  Tensor values;                          // (rows, columns)
};

/// Reads a rectangular CSV of numbers into a (rows, columns) tensor. Empty fields are NaN
/// for float dtypes. A row with a different field count or a non-numeric field is a
/// ValueError naming the file, line and column.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});
/// read_csv(...).values.
Tensor load_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace keras::data
