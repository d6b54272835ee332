#pragma once
// Shared helpers for the saving tests: fixture paths, scratch folders, reading whole files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "keras/core/errors.h"

namespace keras::saving::test {

/// tests/data/keras/<name>/<file>: fixtures copied unchanged from ../shared/fixtures/keras.
inline std::string fixture(const std::string& name, const std::string& file) {
  return (std::filesystem::path(KERAS_SOURCE_DIR) / "tests" / "data" / "keras" / name / file).string();
}

/// Skips the test with a clear message when a fixture file is missing.
#define KERAS_REQUIRE_FIXTURE(path)                                                            \
  do {                                                                                         \
    if (!std::filesystem::exists(path))                                                        \
      GTEST_SKIP() << "fixture missing: " << (path)                                            \
                   << " (copy it unchanged from ../shared/fixtures/keras/<case>/)";            \
  } while (0)

inline const std::vector<std::string>& fixture_cases() {
  static const std::vector<std::string> cases = {"so_const_nontrainable", "so_const_trainable", "so_random_trainable",
                                                 "mlp_bn_dropout",        "cnn",                "embedding_lstm",
                                                 "lambda_model"};
  return cases;
}

/// A fresh folder under the system temp dir, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("keras_saving_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::vector<char> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void spit(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace keras::saving::test
