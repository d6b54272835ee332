// The seed question, "how to do a custom Keras layer matrix multiplication", in keras.cpp.
//
// The last layer must output (H21*w1)*(H22*w2)*(H23*w3): the outputs H21..H23 of hidden
// layer 2 times constant weights w1..w3, multiplied together. The answer: a custom layer
// whose w_vec is a weight (so it is saved with the model), non-trainable when it must stay
// constant. This program builds the answer's three test cases and prints, for each, the
// model name, the layer's initial weights and the classic summary; then the functional
// Lambda alternative; then trains each case briefly to show that only the trainable
// w_vec moves.
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "keras/keras.h"
#include "keras/training/optimizers.h"
#include "keras/training/trainer.h"

namespace {

using keras::Shape;
using keras::Tensor;
using keras::layers::Dense;
using keras::layers::LayerOptions;
using keras::layers::make;

/// out = prod(x * w_vec, axis=-1, keepdims=true): (batch, n) -> (batch, 1).
/// A given w_vec becomes the weight's initial value; without one the weight starts
/// uniform(-0.05, 0.05), which only makes sense if it can be trained.
class MyLayer : public keras::layers::Layer {
 public:
  MyLayer(std::optional<Tensor> w_vec, bool allow_training, LayerOptions options = {})
      : Layer(std::move(options)), init_(std::move(w_vec)), allow_training_(allow_training) {
    if (!allow_training_ && !init_)
      throw keras::ValueError("non-trainable w_vec must be initialized. Received: w_vec=None, allow_training=false");
  }

  void build(const Shape& input_shape) override {
    if (init_ && init_->shape().dims().back() != input_shape[-1])
      throw keras::ValueError("w_vec must have one value per input feature: expected shape (1, " +
                              std::to_string(input_shape[-1]) + "). Received: w_vec shape " +
                              init_->shape().to_string());
    w_vec_ = add_weight("w_vec", {1, input_shape[-1]}, "uniform", allow_training_);
    if (init_) w_vec_.assign(*init_);
  }

  Tensor call(const Tensor& x) override { return keras::ops::prod(x * w_vec_, /*axis=*/-1, /*keepdims=*/true); }

  keras::layers::Config get_config() const override {
    auto config = Layer::get_config();
    config["allow_training"] = allow_training_;
    return config;
  }

  const keras::Variable& w_vec() const { return w_vec_; }

 private:
  std::optional<Tensor> init_;
  bool allow_training_;
  keras::Variable w_vec_;
};

struct TestCase {
  std::string name;
  std::shared_ptr<keras::Model> model;
  std::shared_ptr<MyLayer> core;
};

/// Input(75) -> fc1 Dense(75, tanh) -> fc2 Dense(3, tanh) -> core MyLayer -> fc3 Dense(1).
TestCase make_model(const std::string& name, std::optional<Tensor> w_vec, bool allow_training) {
  auto inputs = keras::Input({75});
  Tensor x = (*make<Dense>(75, "tanh", LayerOptions{.name = "fc1"}))(inputs);
  x = (*make<Dense>(3, "tanh", LayerOptions{.name = "fc2"}))(x);
  auto core = make<MyLayer>(w_vec, allow_training, LayerOptions{.name = "core"});
  x = (*core)(x);
  x = (*make<Dense>(1, "linear", LayerOptions{.name = "fc3"}))(x);
  return {name, std::make_shared<keras::Model>(inputs, x, name), core};
}

std::vector<TestCase> make_test_cases() {
  const Tensor w = Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 3});
  std::vector<TestCase> cases;
  cases.push_back(make_model("assignInit-nontrainable", w, false));  // a: constant, frozen
  cases.push_back(make_model("assignInit-trainable", w, true));      // b: constant start, trained
  cases.push_back(make_model("randomInit-trainable", std::nullopt, true));  // c: random start, trained
  return cases;
}

void show_guards() {
  std::cout << "--- the layer's guards\n";
  try {
    MyLayer bad(std::nullopt, /*allow_training=*/false);
  } catch (const keras::ValueError& e) {
    std::cout << "ValueError: " << e.what() << "\n";
  }
  try {
    auto core = make<MyLayer>(Tensor::from_vector(std::vector<float>{1, 2}, {1, 2}), false);
    (*core)(keras::Input({3}));
  } catch (const keras::ValueError& e) {
    std::cout << "ValueError: " << e.what() << "\n";
  }
}

/// The answer's functional alternative: Lambda(x[0] * x[1]) on [output2, output3].
void show_lambda() {
  std::cout << "--- functional Lambda\n";
  auto inputs = keras::Input({75});
  Tensor output2 = (*make<Dense>(3, "tanh", LayerOptions{.name = "output2"}))(inputs);
  Tensor output3 = (*make<Dense>(3, "tanh", LayerOptions{.name = "output3"}))(inputs);
  auto mul = make<keras::layers::Lambda>([](const std::vector<Tensor>& x) { return x[0] * x[1]; });
  Tensor product = (*mul)({output2, output3});
  std::cout << "Lambda(x[0] * x[1]) on [output2, output3]: " << product.shape() << "\n";
}

/// Keras's compile + fit: Adam(0.01) on MSE, a few silent epochs.
void train_briefly(TestCase& c, const Tensor& x, const Tensor& y, int epochs) {
  c.model->compile({.optimizer = std::make_shared<keras::optimizers::Adam>(0.01), .loss = "mse"});
  c.model->fit(x, y, {.batch_size = 8, .epochs = epochs, .verbose = 0});
}

}  // namespace

int main() {
  try {
    std::cout << std::setprecision(6);
    auto cases = make_test_cases();
    for (const auto& c : cases) {
      std::cout << c.name << "\n";
      std::cout << c.core->w_vec() << "\n";
      keras::models::SummaryOptions classic;
      classic.classic = true;
      c.model->summary(std::cout, classic);
      std::cout << "\n";
    }
    show_guards();
    show_lambda();

    std::cout << "--- training: compile(Adam(0.01), \"mse\"), fit 5 epochs on 32 synthetic samples\n";
    const Tensor x = keras::random::normal({32, 75}, 0.0, 1.0, keras::DType::float32, 1);
    const Tensor y = keras::random::uniform({32, 1}, -1.0, 1.0, keras::DType::float32, 2);
    bool ok = true;
    for (auto& c : cases) {
      const Tensor before = c.core->w_vec().value();
      train_briefly(c, x, y, 5);
      const Tensor after = c.core->w_vec().value();
      const bool changed = before.to_vector<float>() != after.to_vector<float>();
      std::cout << c.name << ": w_vec " << before << " -> " << after << (changed ? " (trained)" : " (unchanged)")
                << "\n";
      // The point of the answer: a frozen w_vec never moves, trainable ones do.
      ok = ok && (changed == (c.name != "assignInit-nontrainable"));
    }
    if (!ok) {
      std::cerr << "unexpected: w_vec trainability does not match the cases\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
