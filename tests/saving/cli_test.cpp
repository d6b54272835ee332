// The keras-cpp command line: summary, predict (from .keras, .h5 and .weights.h5 + config),
// convert, and its errors (stderr, non-zero exit, never a crash).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>

#include "keras/data/io.h"
#include "keras/saving/serialization.h"
#include "saving/fixture_models.h"
#include "saving/saving_test_util.h"

namespace keras::saving {
namespace {

using test::fixture;

#ifdef KERAS_CPP_CLI

struct Run {
  int status;
  std::string out, err;
};

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

Run run(const std::vector<std::string>& args) {
  test::ScratchDir dir;
  std::string cmd = shell_quote(KERAS_CPP_CLI);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  cmd += " >" + shell_quote(dir.file("out")) + " 2>" + shell_quote(dir.file("err"));
  int raw = std::system(cmd.c_str());
  auto out = test::slurp(dir.file("out"));
  auto err = test::slurp(dir.file("err"));
  int status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return {status, std::string(out.begin(), out.end()), std::string(err.begin(), err.end())};
}

void expect_matches_keras(const std::string& npy, const std::string& name) {
  auto got = data::load_npy(npy);
  auto want = data::load_npy(fixture(name, "y_pred.npy"));
  EXPECT_EQ(got.dtype(), DType::float32);
  ASSERT_EQ(got.shape(), want.shape());
  auto g = got.to_vector<float>(), w = want.to_vector<float>();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], w[i], 1e-5 * std::max(1.0f, std::fabs(w[i]))) << i;
}

TEST(Cli, SummaryPrintsKerassTable) {
  KERAS_REQUIRE_FIXTURE(fixture("cnn", "summary_80col.txt"));
  auto r = run({"summary", fixture("cnn", "model.keras")});
  ASSERT_EQ(r.status, 0) << r.err;
  auto want = test::slurp(fixture("cnn", "summary_80col.txt"));  // stdout is not a terminal: 80 columns
  EXPECT_EQ(r.out, std::string(want.begin(), want.end()));
  auto classic = run({"summary", fixture("cnn", "model.h5"), "--classic"});
  ASSERT_EQ(classic.status, 0) << classic.err;
  EXPECT_NE(classic.out.find("Total params: 372"), std::string::npos) << classic.out;
}

TEST(Cli, PredictFromEveryFormat) {
  test::ScratchDir dir;
  for (const std::string name : {"cnn", "mlp_bn_dropout"}) {
    SCOPED_TRACE(name);
    KERAS_REQUIRE_FIXTURE(fixture(name, "model.keras"));
    for (const std::string file : {"model.keras", "model.h5"}) {
      auto r = run({"predict", fixture(name, file), fixture(name, "x.npy"), "-o", dir.file("y.npy")});
      ASSERT_EQ(r.status, 0) << r.err;
      expect_matches_keras(dir.file("y.npy"), name);
    }
    // model.weights.h5 into the model described by a JSON config.
    auto model = test::build_fixture_model(name);
    {
      std::FILE* f = std::fopen(dir.file("config.json").c_str(), "w");
      std::string json = to_json(*model);
      std::fwrite(json.data(), 1, json.size(), f);
      std::fclose(f);
    }
    auto r = run({"predict", fixture(name, "model.weights.h5"), fixture(name, "x.npy"), "-o", dir.file("w.npy"),
                  "--config", dir.file("config.json")});
    ASSERT_EQ(r.status, 0) << r.err;
    expect_matches_keras(dir.file("w.npy"), name);
  }
}

TEST(Cli, ConvertBetweenFormats) {
  KERAS_REQUIRE_FIXTURE(fixture("cnn", "model.keras"));
  test::ScratchDir dir;
  ASSERT_EQ(run({"convert", fixture("cnn", "model.keras"), dir.file("m.h5")}).status, 0);
  ASSERT_EQ(run({"convert", dir.file("m.h5"), dir.file("m.keras")}).status, 0);
  auto w = run({"convert", dir.file("m.keras"), dir.file("m.weights.h5")});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_TRUE(std::filesystem::exists(dir.file("m.json")));
  ASSERT_EQ(run({"convert", dir.file("m.weights.h5"), dir.file("back.keras"), "--config", dir.file("m.json")}).status, 0);
  for (const std::string file : {"m.h5", "m.keras", "back.keras"}) {
    auto r = run({"predict", dir.file(file), fixture("cnn", "x.npy"), "-o", dir.file("y.npy")});
    ASSERT_EQ(r.status, 0) << file << ": " << r.err;
    expect_matches_keras(dir.file("y.npy"), "cnn");
  }
}

TEST(Cli, ErrorsGoToStderrWithNonZeroExit) {
  KERAS_REQUIRE_FIXTURE(fixture("so_const_trainable", "model.keras"));
  test::ScratchDir dir;
  // A custom class the tool cannot know.
  auto custom = run({"predict", fixture("so_const_trainable", "model.keras"), fixture("so_const_trainable", "x.npy"),
                     "-o", dir.file("y.npy")});
  EXPECT_EQ(custom.status, 1);
  EXPECT_NE(custom.err.find("MyLayer"), std::string::npos) << custom.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y.npy")));
  // A Python lambda is never executed.
  auto lambda = run({"summary", fixture("lambda_model", "model.keras")});
  EXPECT_EQ(lambda.status, 1);
  EXPECT_NE(lambda.err.find("scale_shift"), std::string::npos) << lambda.err;
  // Missing, corrupt and weights-only files; wrong input counts; usage errors.
  EXPECT_EQ(run({"summary", dir.file("missing.keras")}).status, 1);
  test::spit(dir.file("junk.keras"), std::vector<char>(100, 'x'));
  auto junk = run({"summary", dir.file("junk.keras")});
  EXPECT_EQ(junk.status, 1);
  EXPECT_NE(junk.err.find("keras-cpp: error:"), std::string::npos) << junk.err;
  auto weights_only = run({"summary", fixture("cnn", "model.weights.h5")});
  EXPECT_EQ(weights_only.status, 1);
  EXPECT_NE(weights_only.err.find("--config"), std::string::npos) << weights_only.err;
  auto two = run({"predict", fixture("cnn", "model.keras"), fixture("cnn", "x.npy"), fixture("cnn", "x.npy"), "-o",
                  dir.file("y.npy")});
  EXPECT_EQ(two.status, 1);
  EXPECT_NE(two.err.find("expects 1 input"), std::string::npos) << two.err;
  EXPECT_EQ(run({"predict", fixture("cnn", "model.keras")}).status, 2);
  EXPECT_EQ(run({"frobnicate"}).status, 2);
  EXPECT_EQ(run({}).status, 2);
}

#else
TEST(Cli, NotBuilt) { GTEST_SKIP() << "keras-cpp was not built with this test binary"; }
#endif

}  // namespace
}  // namespace keras::saving
