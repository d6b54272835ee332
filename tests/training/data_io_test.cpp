// keras_data readers and writers: .npy (round trips, NumPy-written fixtures, bad files),
// IDX (plain and gzip, Fashion-MNIST when installed) and CSV.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "keras/data/datasets.h"
#include "keras/data/io.h"
#include "test_util.h"

namespace keras {
namespace {

namespace fs = std::filesystem;
using namespace training_test;

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("keras_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A fixture file: the project's copy (tests/data/keras) or the shared folder next to it.
std::string fixture(const std::string& case_name, const std::string& file) {
  for (const fs::path& root : {fs::path(KERAS_SOURCE_DIR) / "tests" / "data" / "keras",
                              fs::path(KERAS_SOURCE_DIR) / ".." / "shared" / "fixtures" / "keras"}) {
    const fs::path p = root / case_name / file;
    if (fs::exists(p)) return p.string();
  }
  return "";
}

TEST(Npy, RoundTripsEveryDtype) {
  TempDir dir;
  const std::vector<Tensor> tensors = {
      f32({1.5f, -2, 3.25f, 0, 1e-8f, -7}, {2, 3}), Tensor::from_vector(std::vector<double>{0.1, -1e300}, {2}),
      i32({1, -2, 2147483647, 0}, {2, 2, 1}), Tensor::from_vector(std::vector<std::int64_t>{-9000000000LL, 5}, {2}),
      Tensor::from_bools({true, false, true}, {3}), Tensor::scalar(4.5)};
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::string path = dir.file("t" + std::to_string(i) + ".npy");
    data::save_npy(path, tensors[i]);
    // NumPy's layout: the data starts on a 64-byte boundary after a newline-terminated header.
    const std::string bytes = read_bytes(path);
    const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    EXPECT_EQ((10 + header_len) % 64, 0u);
    EXPECT_EQ(bytes[9 + header_len], '\n');
    Tensor back = data::load_npy(path);
    EXPECT_EQ(back.shape(), tensors[i].shape());
    EXPECT_EQ(back.dtype(), tensors[i].dtype());
    EXPECT_EQ(back.to_vector<double>(), tensors[i].to_vector<double>()) << i;
  }
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(read_bytes(dir.file("t0.npy")).substr(10, dict.size() + 1), dict + " ");
  EXPECT_NE(read_bytes(dir.file("t4.npy")).find("'descr': '|b1'"), std::string::npos);
  EXPECT_NE(read_bytes(dir.file("t5.npy")).find("'shape': ()"), std::string::npos);
  EXPECT_NE(read_bytes(dir.file("t4.npy")).find("'shape': (3,)"), std::string::npos);
}

TEST(Npy, Uint8AndConversions) {
  TempDir dir;
  const std::string path = dir.file("u8.npy");
  data::save_npy(path, f32({0, 255, 17}), /*as_uint8=*/true);
  EXPECT_NE(read_bytes(path).find("'descr': '|u1'"), std::string::npos);
  Tensor back = data::load_npy(path);
  EXPECT_EQ(back.dtype(), DType::int32);  // no uint8 dtype in keras.cpp
  EXPECT_EQ(back.to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 255, 17}));
  Tensor as_float = data::load_npy(path, DType::float32);
  EXPECT_EQ(as_float.dtype(), DType::float32);
  EXPECT_EQ(as_float.to_vector<float>(), (std::vector<float>{0, 255, 17}));
  expect_throw_with<ValueError>([&] { data::save_npy(dir.file("bad.npy"), f32({256}), true); }, {"[0, 255]"});
  EXPECT_FALSE(fs::exists(dir.file("bad.npy")));
}

TEST(Npy, ReadsBigEndianAndOtherIntegerWidths) {
  TempDir dir;
  auto npy = [](const std::string& descr, const std::string& shape, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";
    std::string out = std::string("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xFF);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
  };
  write_bytes(dir.file("be.npy"), npy(">i4", "(2,)", std::string("\x00\x00\x01\x02\xff\xff\xff\xfe", 8)));
  EXPECT_EQ(data::load_npy(dir.file("be.npy")).to_vector<std::int32_t>(), (std::vector<std::int32_t>{258, -2}));
  write_bytes(dir.file("i2.npy"), npy("<i2", "(2,)", std::string("\x01\x00\xff\xff", 4)));
  EXPECT_EQ(data::load_npy(dir.file("i2.npy")).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, -1}));
  write_bytes(dir.file("f8be.npy"), npy(">f8", "(1,)", std::string("\x3f\xf8\x00\x00\x00\x00\x00\x00", 8)));
  EXPECT_EQ(data::load_npy(dir.file("f8be.npy")).to_vector<double>(), (std::vector<double>{1.5}));
}

TEST(Npy, BadFilesNameTheFile) {
  TempDir dir;
  const std::string fortran = dir.file("fortran.npy");
  data::save_npy(fortran, f32({1, 2, 3, 4}, {2, 2}));
  std::string bytes = read_bytes(fortran);
  bytes.replace(bytes.find("False"), 5, "True ");
  write_bytes(fortran, bytes);
  expect_throw_with<ValueError>([&] { data::load_npy(fortran); }, {fortran, "Fortran"});

  const std::string truncated = dir.file("truncated.npy");
  data::save_npy(truncated, f32({1, 2, 3, 4}, {2, 2}));
  bytes = read_bytes(truncated);
  write_bytes(truncated, bytes.substr(0, bytes.size() - 3));
  expect_throw_with<IOError>([&] { data::load_npy(truncated); }, {truncated, "truncated", "(2, 2)"});

  const std::string garbage = dir.file("garbage.npy");
  write_bytes(garbage, "hello, not numpy");
  expect_throw_with<IOError>([&] { data::load_npy(garbage); }, {garbage, "NUMPY"});

  const std::string no_shape = dir.file("noshape.npy");
  data::save_npy(no_shape, f32({1, 2}));
  bytes = read_bytes(no_shape);
  bytes.replace(bytes.find("'shape'"), 7, "'shope'");
  write_bytes(no_shape, bytes);
  expect_throw_with<IOError>([&] { data::load_npy(no_shape); }, {no_shape, "'shape'"});

  const std::string objects = dir.file("objects.npy");
  bytes = read_bytes(truncated);
  bytes.replace(bytes.find("<f4"), 3, "|O8");
  write_bytes(objects, bytes);
  expect_throw_with<ValueError>([&] { data::load_npy(objects); }, {objects, "never unpickles"});

  expect_throw_with<IOError>([&] { data::load_npy(dir.file("missing.npy")); }, {"missing.npy"});
}

TEST(Npy, ReadsWhatNumPyWroteForTheKerasFixtures) {
  for (const char* case_name : {"so_const_nontrainable", "embedding_lstm"}) {
    const std::string npy = fixture(case_name, "x.npy"), io = fixture(case_name, "io.json");
    if (npy.empty() || io.empty()) GTEST_SKIP() << "fixture missing: " << case_name << "/x.npy or io.json (expected in "
                                                << "tests/data/keras or ../shared/fixtures/keras)";
    std::ifstream in(io);
    const nlohmann::json j = nlohmann::json::parse(in);
    const auto& input = j["inputs"][0];
    Tensor x = data::load_npy(npy);
    EXPECT_EQ(dtype_name(x.dtype()), input["dtype"].get<std::string>());
    std::vector<std::int64_t> shape = input["shape"].get<std::vector<std::int64_t>>();
    EXPECT_EQ(x.shape(), Shape(shape));
    std::vector<double> expected;
    for (const auto& row : input["data"])
      for (const auto& v : row) expected.push_back(v.get<double>());
    EXPECT_EQ(x.to_vector<double>(), expected) << case_name;
  }
}

// An IDX file's bytes: magic, big-endian dims, then the data bytes as given.
std::string idx_bytes(int type, const std::vector<std::uint32_t>& dims, const std::string& data) {
  std::string out = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((d >> s) & 0xFF);
  return out + data;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

TEST(Idx, ReadsPlainAndGzipFiles) {
  TempDir dir;
  const std::string images = idx_bytes(0x08, {2, 2, 3}, std::string("\x00\x01\x02\xfd\xfe\xff\x10\x20\x30\x40\x50\x60", 12));
  write_bytes(dir.file("images-idx3-ubyte"), images);
  write_gzip(dir.file("images-idx3-ubyte.gz"), images);
  for (const char* name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    Tensor t = data::load_idx(dir.file(name));
    EXPECT_EQ(t.shape(), (Shape{2, 2, 3}));
    EXPECT_EQ(t.dtype(), DType::int32);
    EXPECT_EQ(t.to_vector<std::int32_t>(),
              (std::vector<std::int32_t>{0, 1, 2, 253, 254, 255, 16, 32, 48, 64, 80, 96}));
  }
  EXPECT_EQ(data::load_idx(dir.file("images-idx3-ubyte.gz"), DType::float32).to_vector<float>()[5], 255.0f);
  // Signed bytes, big-endian int32 and float32.
  write_bytes(dir.file("s8"), idx_bytes(0x09, {2}, std::string("\xff\x05", 2)));
  EXPECT_EQ(data::load_idx(dir.file("s8")).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-1, 5}));
  write_bytes(dir.file("i32"), idx_bytes(0x0C, {1}, std::string("\xff\xff\xff\xfe", 4)));
  EXPECT_EQ(data::load_idx(dir.file("i32")).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-2}));
  write_bytes(dir.file("f32"), idx_bytes(0x0D, {1}, std::string("\x3f\xc0\x00\x00", 4)));
  Tensor f = data::load_idx(dir.file("f32"));
  EXPECT_EQ(f.dtype(), DType::float32);
  EXPECT_EQ(f.to_vector<float>(), (std::vector<float>{1.5f}));
}

TEST(Idx, BadFilesAreIOErrorsNamingTheFile) {
  TempDir dir;
  const std::string truncated = dir.file("truncated.gz");
  write_gzip(truncated, idx_bytes(0x08, {10, 28, 28}, std::string(100, '\x01')));
  expect_throw_with<IOError>([&] { data::load_idx(truncated); }, {truncated, "truncated", "(10, 28, 28)"});
  const std::string magic = dir.file("magic");
  write_bytes(magic, std::string("\x00\x00\x07\x01\x00\x00\x00\x01\x00", 9));
  expect_throw_with<IOError>([&] { data::load_idx(magic); }, {magic, "magic"});
  const std::string extra = dir.file("extra");
  write_bytes(extra, idx_bytes(0x08, {2}, "abc"));
  expect_throw_with<IOError>([&] { data::load_idx(extra); }, {extra, "data after"});
  // A header claiming 2^40+ elements is refused before any allocation.
  const std::string huge = dir.file("huge");
  write_bytes(huge, idx_bytes(0x08, {0xFFFFFFFF, 0xFFFFFFFF}, ""));
  expect_throw_with<IOError>([&] { data::load_idx(huge); }, {huge, "implausibly large"});
  expect_throw_with<IOError>([&] { data::load_idx(dir.file("nope.gz")); }, {"nope.gz"});
}

TEST(Datasets, FashionMnistFromTheDebianPackage) {
  const std::string dir = datasets::fashion_mnist::kDefaultDirectory;
  if (!fs::exists(fs::path(dir) / "train-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "Fashion-MNIST not installed at " << dir << " (Debian package dataset-fashion-mnist)";
  auto [train, test] = datasets::fashion_mnist::load_data();
  EXPECT_EQ(train.x.shape(), (Shape{60000, 28, 28}));
  EXPECT_EQ(train.y.shape(), (Shape{60000}));
  EXPECT_EQ(test.x.shape(), (Shape{10000, 28, 28}));
  EXPECT_EQ(test.y.shape(), (Shape{10000}));
  EXPECT_EQ(train.x.dtype(), DType::float32);
  EXPECT_EQ(train.y.dtype(), DType::int32);
  // The first training image is an ankle boot (class 9); the first test image too.
  EXPECT_EQ(train.y.to_vector<std::int32_t>()[0], 9);
  EXPECT_EQ(test.y.to_vector<std::int32_t>()[0], 9);
  std::vector<int> counts(10, 0);
  for (auto label : train.y.to_vector<std::int32_t>()) ++counts.at(static_cast<std::size_t>(label));
  for (int c : counts) EXPECT_EQ(c, 6000);  // balanced classes
  const auto pixels = train.x.to_vector<float>();
  EXPECT_EQ(*std::max_element(pixels.begin(), pixels.end()), 255.0f);
  EXPECT_EQ(*std::min_element(pixels.begin(), pixels.end()), 0.0f);
  expect_throw_with<IOError>([] { datasets::fashion_mnist::load_data("/nonexistent/dir"); },
                             {"/nonexistent/dir", "dataset-fashion-mnist"});
}

TEST(Csv, HeaderDetectionNanAndErrors) {
  TempDir dir;
  const std::string path = dir.file("data.csv");
  write_bytes(path, "x1, x2,\"label\"\r\n1.5,2,0\n-3,,1\n\n4e-1,5,1\n");
  data::CsvTable table = data::read_csv(path);
  EXPECT_EQ(table.column_names, (std::vector<std::string>{"x1", "x2", "label"}));
  EXPECT_EQ(table.values.shape(), (Shape{3, 3}));
  const auto v = table.values.to_vector<double>();
  EXPECT_EQ(v[0], 1.5);
  EXPECT_TRUE(std::isnan(v[4]));  // empty field
  EXPECT_FLOAT_EQ(static_cast<float>(v[6]), 0.4f);
  // No header: the first row is data.
  const std::string plain = dir.file("plain.csv");
  write_bytes(plain, "1;2\n3;4\n");
  data::CsvOptions semi;
  semi.delimiter = ';';
  semi.dtype = DType::int32;
  Tensor t = data::load_csv(plain, semi);
  EXPECT_EQ(t.dtype(), DType::int32);
  EXPECT_EQ(t.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 2, 3, 4}));
  const std::string ragged = dir.file("ragged.csv");
  write_bytes(ragged, "1,2,3\n4,5\n");
  expect_throw_with<ValueError>([&] { data::load_csv(ragged); }, {ragged, "Line 2", "2 fields; expected 3"});
  const std::string text = dir.file("text.csv");
  write_bytes(text, "a,b\n1,2\n3,oops\n");
  expect_throw_with<ValueError>([&] { data::load_csv(text); }, {text, "'oops'", "line 3, column 2"});
  const std::string fractional = dir.file("fractional.csv");
  write_bytes(fractional, "1;2.5\n");
  expect_throw_with<ValueError>([&] { data::load_csv(fractional, semi); }, {fractional, "not an integer", "int32"});
  EXPECT_EQ(data::load_csv(plain, data::CsvOptions{.delimiter = ';', .header = false, .skip_rows = 1}).shape(),
            (Shape{1, 2}));
}

}  // namespace
}  // namespace keras
