// Fashion-MNIST with the "MLP 256-128-100" of the data set's benchmark table
// (zalandoresearch/fashion-mnist README: MLPClassifier, hidden layers 256-128-100, ReLU,
// test accuracy 0.8833), written as a Keras user writes it and trained with model.fit and
// its progress bar, then evaluated on the 10,000 test images.
//
//   Input(784) -> Dense(256, relu) -> Dense(128, relu) -> Dense(100, relu) -> Dense(10, softmax)
//   Adam with a cosine-decayed learning rate from 1e-3 to 0 over the whole run, sparse
//   categorical cross-entropy, batch 32, pixels scaled to [0, 1], seeded initializers and
//   shuffles (the same run every time for a given thread count)
//
// The images come from Debian's dataset-fashion-mnist package (`make examples` installs it).
// Prints the test accuracy, the epochs and the training wall time, and exits with status 1
// when the test accuracy stays below 0.88.
//
//   fashion_mnist_mlp [--epochs N] [--batch-size N] [--learning-rate X] [--verbose 0|1|2]
//                     [--seed N] [--data DIR]
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <string>

#include "keras/keras.h"

namespace {

struct Args {
  int epochs = 12;
  std::int64_t batch_size = 32;
  double learning_rate = 1e-3;
  int verbose = 1;
  std::uint64_t seed = 1234;
  std::string data = keras::datasets::fashion_mnist::kDefaultDirectory;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "fashion_mnist_mlp: " << flag << " needs a value\n";
      std::exit(2);
    }
    const char* value = argv[++i];
    if (flag == "--epochs") a.epochs = std::atoi(value);
    else if (flag == "--batch-size") a.batch_size = std::atoll(value);
    else if (flag == "--learning-rate") a.learning_rate = std::atof(value);
    else if (flag == "--verbose") a.verbose = std::atoi(value);
    else if (flag == "--seed") a.seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--data") a.data = value;
    else {
      std::cerr << "fashion_mnist_mlp: unknown option " << flag << "\n";
      std::exit(2);
    }
  }
  return a;
}

// (n, 28, 28) pixels 0..255 -> (n, 784) in [0, 1].
keras::Tensor flatten_and_scale(const keras::Tensor& images) {
  const std::int64_t n = images.shape()[0];
  return keras::ops::divide(keras::ops::reshape(images, {n, 28 * 28}), 255.0f);
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  using keras::layers::Dense;
  using keras::layers::make;
  try {
    const auto [train, test] = keras::datasets::fashion_mnist::load_data(args.data);
    const keras::Tensor x_train = flatten_and_scale(train.x), x_test = flatten_and_scale(test.x);

    std::uint64_t layer_seed = args.seed;
    auto dense = [&](std::int64_t units, const char* activation) {
      return make<Dense>(units, keras::layers::DenseOptions{
                                    .activation = activation,
                                    .kernel_initializer = keras::initializers::GlorotUniform(layer_seed++)});
    };
    keras::Sequential model({keras::Input({784}), dense(256, "relu"), dense(128, "relu"), dense(100, "relu"),
                             dense(10, "softmax")},
                            "mlp_256_128_100");
    // A learning rate that decays to 0 by the last step lets the final epochs settle.
    const std::int64_t steps = args.epochs * ((x_train.shape()[0] + args.batch_size - 1) / args.batch_size);
    auto schedule = std::make_shared<keras::optimizers::schedules::CosineDecay>(args.learning_rate, static_cast<double>(steps));
    model.compile({.optimizer = std::make_shared<keras::optimizers::Adam>(schedule),
                   .loss = "sparse_categorical_crossentropy",
                   .metrics = {"accuracy"}});
    model.summary();

    const auto start = std::chrono::steady_clock::now();
    const keras::callbacks::History history = model.fit(
        x_train, train.y, {.batch_size = args.batch_size, .epochs = args.epochs, .verbose = args.verbose,
                           .seed = args.seed});
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const keras::callbacks::Logs scores = model.evaluate(x_test, test.y, {.batch_size = 256, .verbose = args.verbose});
    const double accuracy = scores.at("accuracy");
    std::cout << std::fixed << std::setprecision(4) << "\ntest accuracy: " << accuracy
              << " (published MLPClassifier 256-128-100: 0.8833)\n"
              << "test loss: " << scores.at("loss") << "\n"
              << "epochs: " << history.epoch.size() << ", batch size " << args.batch_size << ", train accuracy "
              << history["accuracy"].back() << "\n"
              << std::setprecision(2) << "training wall time: " << fit_seconds << " s ("
              << fit_seconds / static_cast<double>(history.epoch.size()) << " s/epoch)\n";
    if (accuracy < 0.88) {
      std::cerr << "fashion_mnist_mlp: test accuracy " << accuracy << " is below 0.88\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "fashion_mnist_mlp: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
