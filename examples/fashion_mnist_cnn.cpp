// Fashion-MNIST with the two CNN rows of the data set's benchmark table
// (zalandoresearch/fashion-mnist README), written as a Keras user writes them and trained with
// model.fit, then evaluated on the 10,000 test images.
//
// --model conv     "2 Conv+pooling", published 0.916: TensorFlow's documentation CNN
//   Input(28, 28, 1) -> Conv2D(32, 5, same, relu) -> MaxPooling2D(2)
//                    -> Conv2D(64, 5, same, relu) -> MaxPooling2D(2)
//                    -> Flatten -> Dense(1024, relu) -> Dropout(0.4) -> Dense(10, softmax)
// --model conv_bn  "2 Conv+pooling+BN", published 0.934: the same two conv+pool stages with
//   3x3 kernels and batch normalization before each ReLU (biases dropped where BN follows)
//   Input(28, 28, 1) -> Conv2D(32, 3, same) -> BatchNormalization -> ReLU -> MaxPooling2D(2)
//                    -> Conv2D(64, 3, same) -> BatchNormalization -> ReLU -> MaxPooling2D(2)
//                    -> Flatten -> Dense(128) -> BatchNormalization -> ReLU -> Dropout(0.3)
//                    -> Dense(10, softmax)
//
// Both: Adam with a cosine-decayed learning rate from 1e-3 to 0 over the whole run, sparse
// categorical cross-entropy, batch 64, pixels scaled to [0, 1], no augmentation, no
// validation split, seeded initializers, dropout masks and shuffles (the same run every time
// for a given thread count).
//
// The images come from Debian's dataset-fashion-mnist package (`make examples` installs it).
// Prints each epoch's wall time, the test accuracy, the training wall time and a final
// one-line summary ("result: ..."); exits with status 1 when the test accuracy falls outside
// the published value +- 0.005.
//
//   fashion_mnist_cnn [--model conv|conv_bn] [--epochs N] [--batch-size N] [--learning-rate X]
//                     [--threads N] [--verbose 0|1|2] [--seed N] [--data DIR]
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/keras.h"

namespace {

struct Args {
  std::string model = "conv";
  int epochs = 0;  // 0: the model's default
  std::int64_t batch_size = 64;
  double learning_rate = 1e-3;
  int threads = 0;  // 0: KERAS_NUM_THREADS or all cores
  int verbose = 2;
  std::uint64_t seed = 1234;
  std::string data = keras::datasets::fashion_mnist::kDefaultDirectory;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "fashion_mnist_cnn: " << flag << " needs a value\n";
      std::exit(2);
    }
    const char* value = argv[++i];
    if (flag == "--model") a.model = value;
    else if (flag == "--epochs") a.epochs = std::atoi(value);
    else if (flag == "--batch-size") a.batch_size = std::atoll(value);
    else if (flag == "--learning-rate") a.learning_rate = std::atof(value);
    else if (flag == "--threads") a.threads = std::atoi(value);
    else if (flag == "--verbose") a.verbose = std::atoi(value);
    else if (flag == "--seed") a.seed = std::strtoull(value, nullptr, 10);
    else if (flag == "--data") a.data = value;
    else {
      std::cerr << "fashion_mnist_cnn: unknown option " << flag << "\n";
      std::exit(2);
    }
  }
  if (a.model != "conv" && a.model != "conv_bn") {
    std::cerr << "fashion_mnist_cnn: --model must be conv or conv_bn. Received: " << a.model << "\n";
    std::exit(2);
  }
  return a;
}

// (n, 28, 28) pixels 0..255 -> (n, 28, 28, 1) in [0, 1] (channels_last).
keras::Tensor add_channel_and_scale(const keras::Tensor& images) {
  const std::int64_t n = images.shape()[0];
  return keras::ops::divide(keras::ops::reshape(images, {n, 28, 28, 1}), 255.0f);
}

// The progress line of verbose 2 carries no time; this prints each epoch's wall time and
// keeps them for the summary.
class EpochTimer : public keras::callbacks::Callback {
 public:
  void on_epoch_begin(int, keras::callbacks::Logs&) override { start_ = std::chrono::steady_clock::now(); }
  void on_epoch_end(int epoch, keras::callbacks::Logs& logs) override {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    seconds_.push_back(seconds);
    std::cout << std::fixed << std::setprecision(2) << "epoch " << epoch + 1 << "/" << params().epochs
              << " wall time: " << seconds << " s" << std::setprecision(4)
              << " - accuracy: " << logs.get("accuracy").value_or(NAN) << " - loss: " << logs.get("loss").value_or(NAN)
              << std::endl;
  }
  const std::vector<double>& seconds() const { return seconds_; }

 private:
  std::chrono::steady_clock::time_point start_;
  std::vector<double> seconds_;
};

struct Recipe {
  std::vector<keras::SequentialItem> layers;
  int default_epochs;
  double published;
  const char* row;
};

Recipe build_layers(const std::string& name, std::uint64_t seed) {
  using namespace keras::layers;
  std::uint64_t layer_seed = seed;
  auto glorot = [&] { return keras::initializers::GlorotUniform(layer_seed++); };
  std::vector<keras::SequentialItem> layers{keras::Input({28, 28, 1})};
  if (name == "conv") {
    layers.push_back(make<Conv2D>(32, 5, ConvOptions{.padding = "same", .activation = "relu", .kernel_initializer = glorot()}));
    layers.push_back(make<MaxPooling2D>(2));
    layers.push_back(make<Conv2D>(64, 5, ConvOptions{.padding = "same", .activation = "relu", .kernel_initializer = glorot()}));
    layers.push_back(make<MaxPooling2D>(2));
    layers.push_back(make<Flatten>());
    layers.push_back(make<Dense>(1024, DenseOptions{.activation = "relu", .kernel_initializer = glorot()}));
    layers.push_back(make<Dropout>(0.4, layer_seed++));
    layers.push_back(make<Dense>(10, DenseOptions{.activation = "softmax", .kernel_initializer = glorot()}));
    return {std::move(layers), 3, 0.916, "2 Conv+pooling"};
  }
  for (std::int64_t filters : {32, 64}) {
    layers.push_back(make<Conv2D>(filters, 3, ConvOptions{.padding = "same", .use_bias = false, .kernel_initializer = glorot()}));
    layers.push_back(make<BatchNormalization>());
    layers.push_back(make<ReLU>());
    layers.push_back(make<MaxPooling2D>(2));
  }
  layers.push_back(make<Flatten>());
  layers.push_back(make<Dense>(128, DenseOptions{.use_bias = false, .kernel_initializer = glorot()}));
  layers.push_back(make<BatchNormalization>());
  layers.push_back(make<ReLU>());
  layers.push_back(make<Dropout>(0.3, layer_seed++));
  layers.push_back(make<Dense>(10, DenseOptions{.activation = "softmax", .kernel_initializer = glorot()}));
  return {std::move(layers), 10, 0.934, "2 Conv+pooling+BN"};
}

}  // namespace

int main(int argc, char** argv) {
  Args args = parse(argc, argv);
  if (args.threads > 0) keras::backend::set_num_threads(args.threads);
  try {
    const auto [train, test] = keras::datasets::fashion_mnist::load_data(args.data);
    const keras::Tensor x_train = add_channel_and_scale(train.x), x_test = add_channel_and_scale(test.x);

    Recipe recipe = build_layers(args.model, args.seed);
    if (args.epochs <= 0) args.epochs = recipe.default_epochs;
    keras::Sequential model(recipe.layers, "fashion_" + args.model);
    // A learning rate that decays to 0 by the last step lets the final epochs settle.
    const std::int64_t steps = args.epochs * ((x_train.shape()[0] + args.batch_size - 1) / args.batch_size);
    auto schedule =
        std::make_shared<keras::optimizers::schedules::CosineDecay>(args.learning_rate, static_cast<double>(steps));
    model.compile({.optimizer = std::make_shared<keras::optimizers::Adam>(schedule),
                   .loss = "sparse_categorical_crossentropy",
                   .metrics = {"accuracy"}});
    model.summary();

    auto timer = std::make_shared<EpochTimer>();
    const auto start = std::chrono::steady_clock::now();
    const keras::callbacks::History history =
        model.fit(x_train, train.y,
                  {.batch_size = args.batch_size, .epochs = args.epochs, .verbose = args.verbose,
                   .callbacks = {timer}, .seed = args.seed});
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    const keras::callbacks::Logs scores = model.evaluate(x_test, test.y, {.batch_size = 256, .verbose = 0});
    const double accuracy = scores.at("accuracy");
    const auto epochs = static_cast<double>(history.epoch.size());
    std::cout << std::fixed << std::setprecision(4) << "\ntest accuracy: " << accuracy << " (published \""
              << recipe.row << "\": " << recipe.published << ")\n"
              << "test loss: " << scores.at("loss") << "\n"
              << "epochs: " << history.epoch.size() << ", batch size " << args.batch_size << ", train accuracy "
              << history["accuracy"].back() << "\n"
              << std::setprecision(2) << "training wall time: " << fit_seconds << " s (" << fit_seconds / epochs
              << " s/epoch)\n";
    std::cout << std::setprecision(4) << "result: model=" << args.model << " epochs=" << history.epoch.size()
              << " batch_size=" << args.batch_size << " threads=" << keras::backend::num_threads()
              << " test_accuracy=" << accuracy << std::setprecision(2) << " fit_seconds=" << fit_seconds
              << " seconds_per_epoch=" << fit_seconds / epochs << "\n";
    if (std::abs(accuracy - recipe.published) > 0.005) {
      std::cerr << "fashion_mnist_cnn: test accuracy " << accuracy << " is not within 0.005 of the published "
                << recipe.published << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "fashion_mnist_cnn: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
