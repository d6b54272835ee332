// Whole models: every fixture's model.keras and model.h5 load and predict like Keras; what we
// save loads back bitwise and has Keras's structure; the seed's custom layer; Lambda policy;
// an interrupted save; optimizer state of a compiled file.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "keras/data/io.h"
#include "keras/saving/saving.h"
#include "keras/training/trainer.h"
#include "saving/atomic_file.h"
#include "saving/fixture_models.h"
#include "saving/h5_file.h"
#include "saving/saving_test_util.h"
#include "saving/zip_archive.h"

namespace keras::saving {
namespace {

using test::fixture;

void register_my_layer() {
  register_layer<seed_test::MyLayer>("oracle", [](const Config& c) {
    std::optional<std::vector<double>> w;
    if (c.contains("w_init") && !c["w_init"].is_null()) w = c["w_init"].get<std::vector<double>>();
    return layers::make<seed_test::MyLayer>(w, c.value("trainable_w", true), layer_options(c));
  });
}

LoadOptions options_for(const std::string& name) {
  LoadOptions o;
  if (name == "lambda_model") o.lambda_functions["scale_shift"] = [](const Tensor& t) { return t * 2.0f + 1.0f; };
  return o;
}

std::vector<float> predict(Model& model, const std::string& name) {
  return Tensor(model.predict(data::load_npy(fixture(name, "x.npy")))).to_vector<float>();
}

void expect_close_to_keras(const std::vector<float>& got, const std::string& name) {
  auto want = data::load_npy(fixture(name, "y_pred.npy")).to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-5 * std::max(1.0f, std::fabs(want[i]))) << name << " element " << i;
}

std::string wide_summary(const Model& model) {
  models::SummaryOptions wide;
  wide.terminal_columns = 200;
  return model.summary_string(wide);
}

// Groups, datasets (with shapes) and attribute names of an HDF5 file held in memory.
void structure(const h5::Group& g, std::set<std::string>& out) {
  for (const auto& a : g.attr_names()) out.insert(g.path() + "@" + a);
  for (const auto& n : g.member_names()) {
    if (g.has_group(n)) {
      out.insert(g.open_group(n).path() + "/");
      structure(g.open_group(n), out);
    } else {
      out.insert(g.path() + "/" + n + g.dataset_info(n).shape.to_string());
    }
  }
}

std::set<std::string> keras_weights_structure(const std::string& keras_file) {
  auto zip = zip::Reader::open(keras_file);
  auto file = h5::File::open_image(zip.read("model.weights.h5"), keras_file);
  std::set<std::string> out;
  structure(file.root(), out);
  return out;
}

class FixtureModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { register_my_layer(); }
};

TEST_P(FixtureModelTest, LoadsKerasFilesAndPredicts) {
  const std::string name = GetParam();
  for (const std::string file : {"model.keras", "model.h5"}) {
    SCOPED_TRACE(name + "/" + file);
    KERAS_REQUIRE_FIXTURE(fixture(name, file));
    clear_session();
    auto model = load_model(fixture(name, file), options_for(name));
    expect_close_to_keras(predict(*model, name), name);
    if (std::filesystem::exists(fixture(name, "summary.txt"))) {
      auto text = test::slurp(fixture(name, "summary.txt"));
      EXPECT_EQ(wide_summary(*model), std::string(text.begin(), text.end()));
    }
  }
}

TEST_P(FixtureModelTest, SavedFilesLoadBackBitwiseWithKerassStructure) {
  const std::string name = GetParam();
  KERAS_REQUIRE_FIXTURE(fixture(name, "model.keras"));
  clear_session();
  auto model = load_model(fixture(name, "model.keras"), options_for(name));
  const auto expected = predict(*model, name);
  test::ScratchDir dir;
  for (const std::string file : {"ours.keras", "ours.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    clear_session();
    auto back = load_model(dir.file(file), options_for(name));
    EXPECT_EQ(predict(*back, name), expected);  // bitwise
    EXPECT_EQ(wide_summary(*back), wide_summary(*model));
  }
  // The .keras archive: Keras's member names in Keras's order, Keras's HDF5 paths.
  auto ours = zip::Reader::open(dir.file("ours.keras"));
  EXPECT_EQ(ours.names(), zip::Reader::open(fixture(name, "model.keras")).names());
  EXPECT_EQ(keras_weights_structure(dir.file("ours.keras")), keras_weights_structure(fixture(name, "model.keras")));
  auto meta_text = ours.read("metadata.json");
  auto meta = Config::parse(std::string(meta_text.begin(), meta_text.end()));
  EXPECT_EQ(meta["keras_version"], "3.15.1");
  EXPECT_EQ(meta["date_saved"].get<std::string>().size(), std::string("2026-11-27@09:21:50").size());
  auto config_text = ours.read("config.json");
  EXPECT_EQ(std::string(config_text.begin(), config_text.begin() + 11), "{\"module\": ");  // Python's json.dumps layout
  // The legacy file: Keras's attributes and groups.
  auto h5 = h5::File::open(dir.file("ours.h5"));
  auto keras_h5 = h5::File::open(fixture(name, "model.h5"));
  EXPECT_EQ(h5.root().attr_names(), keras_h5.root().attr_names());
  EXPECT_EQ(h5.root().member_names(), keras_h5.root().member_names());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureModelTest, ::testing::ValuesIn(test::buildable_cases()),
                         [](const auto& info) { return info.param; });

TEST(ModelIO, SeedCustomLayerKeepsConstantNonTrainableWeight) {
  register_my_layer();
  clear_session();
  auto seed = seed_test::build_seed_model("so_const_nontrainable");
  test::ScratchDir dir;
  for (const std::string file : {"seed.keras", "seed.h5"}) {
    SCOPED_TRACE(file);
    save_model(*seed.model, dir.file(file));
    auto back = load_model(dir.file(file));
    auto layer = back->get_layer("my_layer");
    ASSERT_EQ(layer->weights().size(), 1u);
    Variable w = layer->weights()[0];
    EXPECT_EQ(w.shape(), Shape({1, 3}));
    EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{0, 1, 2}));
    EXPECT_FALSE(w.trainable());
    EXPECT_TRUE(layer->trainable_weights().empty());
    EXPECT_EQ(back->non_trainable_weights().size(), 1u);
  }
}

TEST(ModelIO, CustomLayerNeedsRegistrationToLoad) {
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.keras"));
  unregister("oracle>MyLayer");
  EXPECT_THROW(load_model(fixture("so_const_trainable", "model.keras")), TypeError);
  EXPECT_THROW(load_model(fixture("so_const_trainable", "model.h5")), TypeError);
  register_my_layer();
  EXPECT_NO_THROW(load_model(fixture("so_const_trainable", "model.keras")));
}

TEST(ModelIO, PythonLambdaLoadsOnlyWithAReplacement) {
  KERAS_REQUIRE_FIXTURE(fixture("lambda_model", "model.keras"));
  for (const std::string file : {"model.keras", "model.h5"}) {
    SCOPED_TRACE(file);
    try {
      load_model(fixture("lambda_model", file));
      FAIL() << "a Python lambda loaded without a C++ replacement";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("scale_shift"), std::string::npos) << e.what();
    }
    auto model = load_model(fixture("lambda_model", file), options_for("lambda_model"));
    expect_close_to_keras(predict(*model, "lambda_model"), "lambda_model");
  }
}

TEST(ModelIO, InterruptedSaveLeavesThePreviousFileLoadable) {
  register_my_layer();
  KERAS_REQUIRE_FIXTURE(fixture("so_random_trainable", "model.keras"));
  test::ScratchDir dir;
  for (const std::string file : {"model.keras", "model.h5"}) {
    SCOPED_TRACE(file);
    const std::string path = dir.file(file);
    auto good = load_model(fixture("so_random_trainable", "model.keras"));
    save_model(*good, path);
    const auto before = test::slurp(path);

    auto other = test::build_fixture_model("so_const_trainable");  // different weights
    testing::set_write_hook([](std::size_t) { throw IOError("disk unplugged (simulated)"); });
    EXPECT_THROW(save_model(*other, path), IOError);
    testing::set_write_hook(nullptr);

    EXPECT_EQ(test::slurp(path), before);
    auto back = load_model(path);
    EXPECT_EQ(predict(*back, "so_random_trainable"), predict(*good, "so_random_trainable"));
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    EXPECT_EQ(files, file == "model.keras" ? 1u : 2u) << "temporary files left behind";
  }
}

TEST(ModelIO, ExtensionsAndWrongKindsOfFiles) {
  auto model = test::build_fixture_model("cnn");
  test::ScratchDir dir;
  try {
    save_model(*model, dir.file("model.txt"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Invalid filepath extension"), std::string::npos);
  }
  KERAS_REQUIRE_FIXTURE(fixture("cnn", "model.weights.h5"));
  try {
    load_model(fixture("cnn", "model.weights.h5"));
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("only weights"), std::string::npos) << e.what();
  }
  // A .keras that is really an HDF5 model loads all the same.
  test::spit(dir.file("really_h5.keras"), test::slurp(fixture("cnn", "model.h5")));
  EXPECT_NO_THROW(load_model(dir.file("really_h5.keras")));
  EXPECT_THROW(load_model(dir.file("missing.keras")), IOError);
}

TEST(ModelIO, CompiledFileRestoresTheOptimizerState) {
  KERAS_REQUIRE_FIXTURE(fixture("cnn", "train_adam.keras"));
  TrainingState training;
  auto model = load_model(fixture("cnn", "train_adam.keras"), {}, &training);
  ASSERT_TRUE(training.optimizer);
  EXPECT_TRUE(model->compiled());
  EXPECT_EQ(model->trainer()->optimizer(), training.optimizer);
  if (std::filesystem::exists(fixture("cnn", "summary_after_adam.txt"))) {
    auto text = test::slurp(fixture("cnn", "summary_after_adam.txt"));  // with "Optimizer params"
    EXPECT_EQ(wide_summary(*model), std::string(text.begin(), text.end()));
  }
  EXPECT_EQ(training.optimizer->class_name(), "Adam");
  EXPECT_TRUE(training.optimizer->built());
  EXPECT_EQ(training.optimizer->iterations().value().item(), 5);
  EXPECT_FLOAT_EQ(static_cast<float>(training.optimizer->learning_rate_value()), 0.01f);
  EXPECT_EQ(training.loss, "categorical_crossentropy");
  // Every optimizer variable equals the file's /optimizer/vars/<i>.
  auto zip = zip::Reader::open(fixture("cnn", "train_adam.keras"));
  auto file = h5::File::open_image(zip.read("model.weights.h5"), "train_adam");
  auto vars = file.root().open_group("optimizer/vars");
  auto opt_vars = training.optimizer->variables();
  ASSERT_EQ(opt_vars.size(), vars.member_names().size());
  for (std::size_t i = 1; i < opt_vars.size(); ++i)
    EXPECT_EQ(opt_vars[i].value().to_vector<float>(), vars.read_dataset(std::to_string(i)).to_vector<float>()) << i;

  // Saved again with the optimizer: the same state comes back, in both formats.
  test::ScratchDir dir;
  for (const std::string out : {"resume.keras", "resume.h5"}) {
    SCOPED_TRACE(out);
    save_model(*model, dir.file(out), &training);
    TrainingState again;
    load_model(dir.file(out), {}, &again);
    ASSERT_TRUE(again.optimizer);
    EXPECT_EQ(again.optimizer->get_config(), training.optimizer->get_config());
    auto a = again.optimizer->variables();
    ASSERT_EQ(a.size(), opt_vars.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      EXPECT_EQ(a[i].value().to_vector<double>(), opt_vars[i].value().to_vector<double>()) << i;
    EXPECT_EQ(again.loss, "categorical_crossentropy");
  }
}

// A model compiled in C++ saves its own compile() arguments and optimizer; the loaded model
// comes back compiled and trains on exactly as the original.
TEST(ModelIO, CompiledCppModelResumesTraining) {
  KERAS_REQUIRE_FIXTURE(fixture("mlp_bn_dropout", "model.keras"));
  clear_session();
  auto model = std::make_shared<Sequential>(std::vector<SequentialItem>{
      Input({20}), layers::make<layers::Dense>(8, "relu"), layers::make<layers::Dense>(3, "softmax")});
  training::CompileOptions co;
  co.optimizer = std::make_shared<optimizers::Adam>(0.01);
  co.loss = "categorical_crossentropy";
  co.metrics = {"accuracy"};
  model->compile(co);
  Tensor x = data::load_npy(fixture("mlp_bn_dropout", "x.npy"));
  Tensor y = Tensor::from_vector(std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}, {4, 3});
  model->train_on_batch(x, y);
  model->train_on_batch(x, y);

  test::ScratchDir dir;
  for (const std::string file : {"c.keras", "c.h5"}) {
    SCOPED_TRACE(file);
    save_model(*model, dir.file(file));
    auto back = load_model(dir.file(file));
    ASSERT_TRUE(back->compiled());
    EXPECT_EQ(back->trainer()->optimizer()->iterations().value().item(), 2);
    EXPECT_EQ(back->trainer()->optimizer()->get_config(), model->trainer()->optimizer()->get_config());
    // The same next step on both: the same loss and metric, the same weights (bitwise).
    auto copy_state = load_model(dir.file(file));  // a second copy to keep `model` untouched
    auto a = back->train_on_batch(x, y);
    auto b = copy_state->train_on_batch(x, y);
    EXPECT_EQ(a["loss"], b["loss"]);
    EXPECT_EQ(a["accuracy"], b["accuracy"]);
    auto wa = back->get_weights(), wb = copy_state->get_weights();
    for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_EQ(wa[i].to_vector<float>(), wb[i].to_vector<float>());
  }
  // And the original, stepped once more, agrees with a loaded copy stepped once.
  auto loaded = load_model(dir.file("c.keras"));
  auto l1 = loaded->train_on_batch(x, y);
  auto l0 = model->train_on_batch(x, y);
  EXPECT_EQ(l0["loss"], l1["loss"]);
}

}  // namespace
}  // namespace keras::saving
