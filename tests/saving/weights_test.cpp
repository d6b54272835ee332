// Weights both ways: every fixture's model.weights.h5, model.keras and model.h5 load into the
// model built in C++ and predict what Keras predicted; our files round-trip bitwise and have
// Keras's structure; mismatches are ValueErrors that change nothing.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <map>
#include <set>

#include "keras/data/io.h"
#include "keras/saving/saving.h"
#include "saving/fixture_models.h"
#include "saving/h5_file.h"
#include "saving/saving_test_util.h"
#include "saving/weights_io.h"

namespace keras::saving {
namespace {

using test::fixture;

nlohmann::json load_json(const std::string& path) { return nlohmann::json::parse(test::slurp(path)); }

// Each layer's weights (in weights() order) against weights.json, exactly.
void expect_weights_match_json(const Model& model, const std::string& name) {
  auto expected = load_json(fixture(name, "weights.json"));
  std::size_t checked = 0;
  for (const auto& layer : model.layers()) {
    auto weights = layer->weights();
    if (weights.empty()) continue;
    ASSERT_TRUE(expected.contains(layer->name())) << name << ": weights.json has no layer " << layer->name();
    const auto& entries = expected[layer->name()];
    ASSERT_EQ(entries.size(), weights.size()) << layer->name();
    for (std::size_t i = 0; i < weights.size(); ++i) {
      EXPECT_EQ(weights[i].shape(), Shape(entries[i]["shape"].get<std::vector<std::int64_t>>())) << layer->name();
      EXPECT_EQ(weights[i].value().to_vector<float>(), entries[i]["data"].get<std::vector<float>>())
          << name << ": " << layer->name() << " weight " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

void expect_predicts_fixture(Model& model, const std::string& name) {
  Tensor x = data::load_npy(fixture(name, "x.npy"));
  Tensor expected = data::load_npy(fixture(name, "y_pred.npy"));
  Tensor y = model.predict(x);
  ASSERT_EQ(y.shape(), expected.shape());
  auto got = y.to_vector<float>(), want = expected.to_vector<float>();
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::fabs(want[i]))) << name << " element " << i;
}

std::vector<Tensor> snapshot(const Model& model) { return model.get_weights(); }

void expect_bitwise_equal(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape());
    ASSERT_EQ(a[i].dtype(), b[i].dtype());
    EXPECT_EQ(std::memcmp(a[i].raw_data(), b[i].raw_data(), static_cast<std::size_t>(a[i].size()) * dtype_size(a[i].dtype())), 0)
        << "weight " << i;
  }
}

// Every group and dataset (with its shape) and every string attribute, as path -> text.
void describe(const h5::Group& g, std::map<std::string, std::string>& out) {
  for (const auto& a : g.attr_names()) {
    try {
      auto values = g.read_string_list_attr(a);
      std::string joined;
      for (const auto& v : values) joined += v + ";";
      out[g.path() + "@" + a] = joined;
    } catch (const IOError&) {
      out[g.path() + "@" + a] = "<non-string>";
    }
  }
  for (const auto& name : g.member_names()) {
    if (g.has_group(name)) {
      out[g.open_group(name).path()] = "group";
      describe(g.open_group(name), out);
    } else {
      out[g.path() + (g.path() == "/" ? "" : "/") + name] = g.dataset_info(name).shape.to_string();
    }
  }
}

std::map<std::string, std::string> describe_file(const std::string& path, const std::string& group = "") {
  auto f = h5::File::open(path);
  std::map<std::string, std::string> out;
  describe(group.empty() ? f.root() : f.root().open_group(group), out);
  return out;
}

class FixtureWeightsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureWeightsTest, LoadsEveryKerasFileAndPredicts) {
  const std::string name = GetParam();
  for (const std::string file : {"model.weights.h5", "model.keras", "model.h5"}) {
    SCOPED_TRACE(name + "/" + file);
    KERAS_REQUIRE_FIXTURE(fixture(name, file));
    auto model = test::build_fixture_model(name);
    ASSERT_TRUE(model);
    load_weights(*model, fixture(name, file));
    expect_weights_match_json(*model, name);
    expect_predicts_fixture(*model, name);
  }
}

TEST_P(FixtureWeightsTest, SaveWeightsRoundTripsBitwiseWithKerassStructure) {
  const std::string name = GetParam();
  KERAS_REQUIRE_FIXTURE(fixture(name, "model.weights.h5"));
  auto model = test::build_fixture_model(name);
  load_weights(*model, fixture(name, "model.weights.h5"));
  test::ScratchDir dir;
  const std::string path = dir.file("ours.weights.h5");
  save_weights(*model, path);

  auto fresh = test::build_fixture_model(name);
  load_weights(*fresh, path);
  expect_bitwise_equal(snapshot(*model), snapshot(*fresh));
  EXPECT_EQ(describe_file(path), describe_file(fixture(name, "model.weights.h5")));
}

TEST_P(FixtureWeightsTest, LegacyLayoutRoundTripsWithKerassStructure) {
  const std::string name = GetParam();
  KERAS_REQUIRE_FIXTURE(fixture(name, "model.h5"));
  auto model = test::build_fixture_model(name);
  load_weights(*model, fixture(name, "model.h5"));
  auto file = h5::File::create("legacy.h5");
  detail::write_legacy_weights(*model, file.root().create_group("model_weights"));
  auto back = h5::File::open_image(file.image(), "legacy.h5");

  auto fresh = test::build_fixture_model(name);
  detail::read_legacy_weights(*fresh, back.root().open_group("model_weights"));
  expect_bitwise_equal(snapshot(*model), snapshot(*fresh));

  std::map<std::string, std::string> ours, keras;
  describe(back.root().open_group("model_weights"), ours);
  keras = describe_file(fixture(name, "model.h5"), "model_weights");
  // The writing backend differs ("torch" there); everything else is the same.
  ours.erase("/model_weights@backend");
  keras.erase("/model_weights@backend");
  EXPECT_EQ(ours, keras);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureWeightsTest, ::testing::ValuesIn(test::buildable_cases()),
                         [](const auto& info) { return info.param; });

TEST(Weights, SaveWeightsNeedsTheKerasSuffix) {
  auto model = test::build_fixture_model("mlp_bn_dropout");
  test::ScratchDir dir;
  try {
    save_weights(*model, dir.file("model.h5"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("`.weights.h5`"), std::string::npos);
  }
  Sequential unbuilt(std::vector<SequentialItem>{layers::make<layers::Dense>(3)});
  EXPECT_THROW(save_weights(unbuilt, dir.file("u.weights.h5")), ValueError);
}

TEST(Weights, MismatchedFileIsAValueErrorAndChangesNothing) {
  for (const std::string file : {"model.weights.h5", "model.h5", "model.keras"}) {
    SCOPED_TRACE(file);
    KERAS_REQUIRE_FIXTURE(fixture("cnn", file));
    auto model = test::build_fixture_model("mlp_bn_dropout");
    auto before = snapshot(*model);
    EXPECT_THROW(load_weights(*model, fixture("cnn", file)), ValueError);
    expect_bitwise_equal(before, snapshot(*model));
  }
}

TEST(Weights, WrongShapeMessageNamesLayerAndShapes) {
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.weights.h5"));
  // Same classes and counts, other sizes: Input(75) -> Dense(74) ...
  clear_session();
  auto inp = Input({75});
  using layers::Dense;
  using layers::make;
  Tensor x = (*make<Dense>(74, "tanh"))(inp);
  x = (*make<Dense>(3, "tanh"))(x);
  x = (*make<seed_test::MyLayer>(std::vector<double>{0, 1, 2}, true))(x);
  x = (*make<Dense>(1))(x);
  Model model(inp, x);
  try {
    load_weights(model, fixture("so_const_trainable", "model.weights.h5"));
    FAIL();
  } catch (const ValueError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("(75, 74)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(75, 75)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("kernel"), std::string::npos) << msg;
  }
  try {
    load_weights(model, fixture("so_const_trainable", "model.h5"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Shape mismatch in layer #0"), std::string::npos) << e.what();
  }
}

TEST(Weights, SkipMismatchKeepsTheLayersThatDoNotFit) {
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.weights.h5"));
  clear_session();
  auto inp = Input({75});
  using layers::Dense;
  using layers::make;
  auto odd = make<Dense>(74, "tanh");  // fc1's kernel is (75, 75) in the file
  Tensor x = (*odd)(inp);
  x = (*make<Dense>(3, "tanh"))(x);
  x = (*make<seed_test::MyLayer>(std::vector<double>{5, 5, 5}, true))(x);
  x = (*make<Dense>(1))(x);
  Model model(inp, x);
  auto before = odd->get_weights();
  LoadWeightsOptions o;
  o.skip_mismatch = true;
  load_weights(model, fixture("so_const_trainable", "model.weights.h5"), o);
  expect_bitwise_equal(before, odd->get_weights());  // skipped
  EXPECT_EQ(model.get_layer(3)->weights()[0].value().to_vector<float>(), (std::vector<float>{0, 1, 2}));  // loaded
}

TEST(Weights, LegacyLayerCountMismatch) {
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.h5"));
  auto model = test::build_fixture_model("cnn");  // 3 layers with weights; the file has 4
  try {
    load_weights(*model, fixture("so_const_trainable", "model.h5"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Layer count mismatch"), std::string::npos) << e.what();
  }
}

// A Keras 2 style weights-only .h5: layer_names / weight_names as fixed-length byte strings,
// names with ":0", group names that are not the C++ layers' names (matched by position).
TEST(Weights, ReadsKeras2StyleLegacyWeights) {
  auto model = test::build_fixture_model("lambda_model");
  auto values = snapshot(*model);
  for (auto& v : values) v = ops::add(v, Tensor(1.5f));
  test::ScratchDir dir;
  const std::string path = dir.file("keras2.h5");
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  auto fixed_strings = [&](hid_t obj, const char* attr, const std::vector<std::string>& items) {
    std::size_t width = 1;
    for (const auto& s : items) width = std::max(width, s.size());
    std::vector<char> buf(width * items.size(), '\0');
    for (std::size_t i = 0; i < items.size(); ++i) std::memcpy(buf.data() + i * width, items[i].data(), items[i].size());
    hsize_t n = items.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    hid_t a = H5Acreate2(obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, buf.data());
    H5Aclose(a);
    H5Tclose(type);
    H5Sclose(space);
  };
  auto write = [&](hid_t g, const std::string& name, const Tensor& t) {
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    std::vector<hsize_t> dims(t.shape().dims().begin(), t.shape().dims().end());
    hid_t space = H5Screate_simple(t.rank(), dims.data(), nullptr);
    hid_t d = H5Dcreate2(g, name.c_str(), H5T_IEEE_F32LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data());
    H5Dclose(d);
    H5Sclose(space);
    H5Pclose(lcpl);
  };
  fixed_strings(f, "layer_names", {"dense_7", "lambda_3", "dense_8"});
  const char* groups[] = {"dense_7", "lambda_3", "dense_8"};
  for (int i = 0; i < 3; ++i) {
    hid_t g = H5Gcreate2(f, groups[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (i == 1) {
      hsize_t zero = 0;
      hid_t space = H5Screate_simple(1, &zero, nullptr);
      hid_t a = H5Acreate2(g, "weight_names", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
      H5Aclose(a);
      H5Sclose(space);
    } else {
      std::string prefix = std::string("model_2/") + groups[i];
      int k = i == 0 ? 0 : 2;
      fixed_strings(g, "weight_names", {prefix + "/kernel:0", prefix + "/bias:0"});
      write(g, prefix + "/kernel:0", values[static_cast<std::size_t>(k)]);
      write(g, prefix + "/bias:0", values[static_cast<std::size_t>(k) + 1]);
    }
    H5Gclose(g);
  }
  H5Fclose(f);
  load_weights(*model, path);
  expect_bitwise_equal(values, snapshot(*model));
}

TEST(Weights, DetectsFormatByContentNotName) {
  KERAS_REQUIRE_FIXTURE(fixture("cnn", "model.keras"));
  test::ScratchDir dir;
  // An HDF5 file named .keras and a zip named .h5 load all the same.
  test::spit(dir.file("really_h5.keras"), test::slurp(fixture("cnn", "model.h5")));
  test::spit(dir.file("really_zip.h5"), test::slurp(fixture("cnn", "model.keras")));
  EXPECT_EQ(detect_format(dir.file("really_h5.keras")), FileFormat::hdf5);
  EXPECT_EQ(detect_format(dir.file("really_zip.h5")), FileFormat::zip);
  for (const std::string file : {"really_h5.keras", "really_zip.h5"}) {
    auto model = test::build_fixture_model("cnn");
    load_weights(*model, dir.file(file));
    expect_weights_match_json(*model, "cnn");
  }
  test::spit(dir.file("text.keras"), std::vector<char>{'h', 'e', 'l', 'l', 'o'});
  EXPECT_THROW(detect_format(dir.file("text.keras")), IOError);
  auto model = test::build_fixture_model("cnn");
  EXPECT_THROW(load_weights(*model, dir.file("text.keras")), IOError);
  EXPECT_THROW(load_weights(*model, dir.file("missing.keras")), IOError);
}

}  // namespace
}  // namespace keras::saving
