// The HDF5 layer: round trips of what Keras stores, reading Keras's own files, and the
// string encodings of Keras 2 (fixed-length) and Keras 3 (variable-length).
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "saving/h5_file.h"
#include "saving/saving_test_util.h"

namespace keras::saving {
namespace {

using h5::File;
using test::fixture;

TEST(H5File, RoundTripDatasetsAndAttributes) {
  File f = File::create("roundtrip.h5");
  auto root = f.root();
  auto vars = root.create_group("layers/dense/vars");
  vars.write_string_attr("name", "fc1");
  vars.write_dataset("0", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}));
  vars.write_dataset("1", Tensor::from_vector(std::vector<double>{0.5, -1e300}, {2}));
  vars.write_dataset("2", Tensor::from_vector(std::vector<std::int32_t>{7}, {}));
  vars.write_dataset("3", Tensor::from_vector(std::vector<std::int64_t>{1LL << 40, -3}, {2, 1}));
  vars.write_dataset("4", Tensor::from_bools({true, false, true}, {3}));
  vars.write_dataset("5", Tensor::from_vector(std::vector<float>{}, {0, 4}));
  root.write_string_attr("model_config", "{\"a\": 1}", h5::Cset::ascii);
  root.write_string_list_attr("layer_names", {"input_layer", "fc1"});
  root.write_string_list_attr("weight_names", {});

  File g = File::open_image(f.image(), "roundtrip.h5");
  auto r = g.root();
  EXPECT_TRUE(r.has("layers/dense/vars/0"));
  EXPECT_FALSE(r.has("layers/dense/vars/9"));
  EXPECT_FALSE(r.has("nothing/at/all"));
  EXPECT_TRUE(r.has_group("layers/dense"));
  EXPECT_FALSE(r.has_group("layers/dense/vars/0"));
  EXPECT_TRUE(r.has_dataset("layers/dense/vars/0"));
  auto v = r.open_group("layers/dense/vars");
  EXPECT_EQ(v.path(), "/layers/dense/vars");
  EXPECT_EQ(v.read_string_attr("name"), "fc1");
  EXPECT_EQ(v.member_names(), (std::vector<std::string>{"0", "1", "2", "3", "4", "5"}));

  Tensor a = v.read_dataset("0");
  EXPECT_EQ(a.dtype(), DType::float32);
  EXPECT_EQ(a.shape(), Shape({2, 3}));
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Tensor b = v.read_dataset("1");
  EXPECT_EQ(b.dtype(), DType::float64);
  EXPECT_EQ(b.to_vector<double>(), (std::vector<double>{0.5, -1e300}));
  Tensor c = v.read_dataset("2");
  EXPECT_EQ(c.dtype(), DType::int32);
  EXPECT_EQ(c.shape().rank(), 0);
  EXPECT_EQ(c.item(), 7);
  Tensor d = v.read_dataset("3");
  EXPECT_EQ(d.dtype(), DType::int64);
  EXPECT_EQ(d.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1LL << 40, -3}));
  Tensor e = v.read_dataset("4");
  EXPECT_EQ(e.dtype(), DType::bool_);
  EXPECT_EQ(e.to_vector<int>(), (std::vector<int>{1, 0, 1}));
  EXPECT_EQ(v.read_dataset("5").shape(), Shape({0, 4}));
  EXPECT_EQ(v.dataset_info("0").shape, Shape({2, 3}));

  EXPECT_EQ(r.read_string_attr("model_config"), "{\"a\": 1}");
  EXPECT_EQ(r.read_string_list_attr("layer_names"), (std::vector<std::string>{"input_layer", "fc1"}));
  EXPECT_TRUE(r.read_string_list_attr("weight_names").empty());
  EXPECT_EQ(r.attr_names(), (std::vector<std::string>{"layer_names", "model_config", "weight_names"}));
}

TEST(H5File, MissingThingsAreIOErrorsNamingTheFile) {
  File f = File::create("made.h5");
  f.root().create_group("g");
  File g = File::open_image(f.image(), "made.h5");
  try {
    g.root().open_group("nope");
    FAIL();
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("made.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nope"), std::string::npos) << e.what();
  }
  EXPECT_THROW(g.root().read_dataset("g"), IOError);
  EXPECT_THROW(g.root().read_string_attr("missing"), IOError);
  EXPECT_THROW(File::open("/nonexistent/dir/x.h5"), IOError);
}

TEST(H5File, WritingTwiceIsRefused) {
  File f = File::create("dup.h5");
  auto root = f.root();
  root.write_dataset("x", Tensor::from_vector(std::vector<float>{1}, {1}));
  EXPECT_THROW(root.write_dataset("x", Tensor::from_vector(std::vector<float>{1}, {1})), IOError);
  EXPECT_THROW(root.create_group("x"), IOError);
  EXPECT_THROW(root.write_dataset("s", Tensor::placeholder({-1, 2})), ValueError);
}

TEST(H5File, WrittenFileIsWhatH5pyWrites) {
  File f = File::create("layout.h5");
  auto vars = f.root().create_group("vars");
  vars.write_string_attr("name", "functional");
  vars.write_dataset("0", Tensor::from_vector(std::vector<float>{1, 2}, {2}));
  std::vector<char> img = f.image();
  // Superblock version 0 right after the signature, as h5py's default (libver "earliest").
  ASSERT_GT(img.size(), 9u);
  EXPECT_EQ(std::memcmp(img.data(), "\x89HDF\r\n\x1a\n", 8), 0);
  EXPECT_EQ(img[8], 0);

  // Inspect the dataset's storage with the C API directly: contiguous, no filters, IEEE
  // float32 little-endian, and the string attribute variable-length UTF-8.
  test::ScratchDir dir;
  test::spit(dir.file("layout.h5"), img);
  hid_t fid = H5Fopen(dir.file("layout.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(fid, 0);
  hid_t d = H5Dopen2(fid, "/vars/0", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  EXPECT_EQ(H5Pget_layout(dcpl), H5D_CONTIGUOUS);
  EXPECT_EQ(H5Pget_nfilters(dcpl), 0);
  hid_t t = H5Dget_type(d);
  EXPECT_GT(H5Tequal(t, H5T_IEEE_F32LE), 0);
  hid_t a = H5Aopen_by_name(fid, "/vars", "name", H5P_DEFAULT, H5P_DEFAULT);
  hid_t at = H5Aget_type(a);
  EXPECT_GT(H5Tis_variable_str(at), 0);
  EXPECT_EQ(H5Tget_cset(at), H5T_CSET_UTF8);
  H5Tclose(at);
  H5Aclose(a);
  H5Tclose(t);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(fid);
}

// Keras 2 wrote `layer_names` / `weight_names` as numpy "S" arrays: fixed-length,
// NUL-padded byte strings.
TEST(H5File, ReadsFixedLengthStringArrays) {
  test::ScratchDir dir;
  std::string path = dir.file("keras2.h5");
  hid_t fid = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(fid, 0);
  hid_t g = H5Gcreate2(fid, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char names[3][12] = {"dense", "dense_1", "batch_norm"};
  hsize_t n = 3;
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 12);
  H5Tset_strpad(type, H5T_STR_NULLPAD);
  hid_t attr = H5Acreate2(g, "layer_names", type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(attr, type, names);
  H5Aclose(attr);
  // A space-padded scalar, as some Fortran-minded writers store strings.
  hid_t stype = H5Tcopy(H5T_C_S1);
  H5Tset_size(stype, 8);
  H5Tset_strpad(stype, H5T_STR_SPACEPAD);
  hid_t sspace = H5Screate(H5S_SCALAR);
  hid_t sattr = H5Acreate2(g, "backend", stype, sspace, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(sattr, stype, "tf      ");
  H5Aclose(sattr);
  H5Sclose(sspace);
  H5Tclose(stype);
  H5Tclose(type);
  H5Sclose(space);
  H5Gclose(g);
  H5Fclose(fid);

  File f = File::open(path);
  auto mw = f.root().open_group("model_weights");
  EXPECT_EQ(mw.read_string_list_attr("layer_names"), (std::vector<std::string>{"dense", "dense_1", "batch_norm"}));
  EXPECT_EQ(mw.read_string_attr("backend"), "tf");
  EXPECT_THROW(mw.read_string_attr("layer_names"), IOError);  // three strings, not one
}

TEST(H5File, ReadsKerasWeightsFileLikeWeightsJson) {
  std::string path = fixture("so_const_nontrainable", "model.weights.h5");
  KERAS_REQUIRE_FIXTURE(path);
  KERAS_REQUIRE_FIXTURE(fixture("so_const_nontrainable", "weights.json"));
  auto weights = nlohmann::json::parse(test::slurp(fixture("so_const_nontrainable", "weights.json")));
  File f = File::open(path);
  auto root = f.root();
  EXPECT_EQ(root.open_group("vars").read_string_attr("name"), "functional");
  EXPECT_EQ(root.open_group("layers/dense/vars").read_string_attr("name"), "fc1");
  Tensor kernel = root.open_group("layers/dense/vars").read_dataset("0");
  EXPECT_EQ(kernel.shape(), Shape({75, 75}));
  auto expected = weights["fc1"][0]["data"].get<std::vector<float>>();
  EXPECT_EQ(kernel.to_vector<float>(), expected);
  Tensor w_vec = root.open_group("layers/my_layer/vars").read_dataset("0");
  EXPECT_EQ(w_vec.to_vector<float>(), (std::vector<float>{0, 1, 2}));
}

TEST(H5File, ReadsLegacyH5Attributes) {
  std::string path = fixture("so_const_nontrainable", "model.h5");
  KERAS_REQUIRE_FIXTURE(path);
  File f = File::open(path);
  auto root = f.root();
  EXPECT_EQ(root.read_string_attr("backend"), "torch");
  auto config = nlohmann::json::parse(root.read_string_attr("model_config"));
  EXPECT_EQ(config["class_name"], "Functional");
  auto mw = root.open_group("model_weights");
  EXPECT_EQ(mw.read_string_list_attr("layer_names"),
            (std::vector<std::string>{"input_layer", "fc1", "fc2", "my_layer", "fc3"}));
  EXPECT_TRUE(mw.open_group("input_layer").read_string_list_attr("weight_names").empty());
  EXPECT_EQ(mw.open_group("fc1").read_string_list_attr("weight_names"),
            (std::vector<std::string>{"fc1/kernel", "fc1/bias"}));
  EXPECT_EQ(mw.open_group("fc1").read_dataset("fc1/bias").shape(), Shape({75}));
}

TEST(H5File, ReadsOptimizerScalars) {
  std::string path = fixture("cnn", "model.weights.h5");
  KERAS_REQUIRE_FIXTURE(path);
  File f = File::open(path);
  EXPECT_FALSE(f.root().has("optimizer"));
  EXPECT_EQ(f.root().open_group("layers").member_names(),
            (std::vector<std::string>{"conv2d", "conv2d_1", "dense", "flatten", "max_pooling2d"}));
}

// Files, groups and datasets opened by the API (also on failing paths) are all closed once
// the File and Group objects are gone.
TEST(H5File, EveryHandleIsClosed) {
  std::string path = fixture("so_const_nontrainable", "model.h5");
  KERAS_REQUIRE_FIXTURE(path);
  const ssize_t before = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  {
    File f = File::open(path);
    auto mw = f.root().open_group("model_weights");
    mw.read_string_list_attr("layer_names");
    mw.open_group("fc1").read_dataset("fc1/kernel");
    EXPECT_THROW(mw.read_dataset("nope"), IOError);
    EXPECT_THROW(mw.read_string_attr("layer_names"), IOError);
    File g = File::create("scratch.h5");
    g.root().create_group("a/b").write_dataset("x", Tensor::from_vector(std::vector<float>{1}, {1}));
    g.image();
    EXPECT_GT(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), before);
  }
  auto bytes = test::slurp(path);
  bytes.resize(bytes.size() / 2);
  EXPECT_THROW(File::open_image(bytes, "half.h5"), IOError);
  EXPECT_EQ(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), before);
}

}  // namespace
}  // namespace keras::saving
