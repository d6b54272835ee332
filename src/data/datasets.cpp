// keras.datasets.fashion_mnist from the files of Debian's dataset-fashion-mnist package.
#include "keras/data/datasets.h"

#include <filesystem>

#include "keras/data/io.h"

namespace keras::datasets::fashion_mnist {

namespace {
std::string find_file(const std::string& directory, const std::string& stem) {
  namespace fs = std::filesystem;
  for (const std::string& name : {stem + ".gz", stem}) {
    const fs::path p = fs::path(directory) / name;
    if (fs::exists(p)) return p.string();
  }
  throw IOError("Fashion-MNIST file '" + stem + "[.gz]' not found in '" + directory +
                "'. On Debian, install the dataset-fashion-mnist package (it puts the files in "
                "/usr/share/datasets/fashion-mnist).");
}

Split load_split(const std::string& directory, const std::string& prefix) {
  Split s;
  s.x = data::load_idx(find_file(directory, prefix + "-images-idx3-ubyte"), DType::float32);
  s.y = data::load_idx(find_file(directory, prefix + "-labels-idx1-ubyte"), DType::int32);
  if (s.x.rank() != 3 || s.y.rank() != 1 || s.x.shape()[0] != s.y.shape()[0])
    throw IOError("Fashion-MNIST files in '" + directory + "' do not match: images " + s.x.shape().to_string() +
                  ", labels " + s.y.shape().to_string() + ".");
  return s;
}
}  // namespace

std::pair<Split, Split> load_data(const std::string& directory) {
  return {load_split(directory, "train"), load_split(directory, "t10k")};
}

}  // namespace keras::datasets::fashion_mnist
