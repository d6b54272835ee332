#pragma once
/// keras::datasets — ready-made data sets read from local files (nothing is downloaded).
///
///   auto [train, test] = keras::datasets::fashion_mnist::load_data();
///   // train.x: float32 (60000, 28, 28) with pixel values 0..255; train.y: int32 (60000,)
#include <string>
#include <utility>

#include "keras/core/tensor.h"

namespace keras::datasets {

struct Split {
  Tensor x;
  Tensor y;
};

namespace fashion_mnist {
/// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kDefaultDirectory = "/usr/share/datasets/fashion-mnist";
/// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] from `directory`. Images are
/// float32 with Keras's uint8 values (0..255, scale them yourself); labels int32 in 0..9.
/// IOError naming the directory (and the Debian package) when the files are missing.
std::pair<Split, Split> load_data(const std::string& directory = kDefaultDirectory);
}  // namespace fashion_mnist

}  // namespace keras::datasets
