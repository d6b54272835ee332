#pragma once
// One check for a built-in layer (used by the convolution, pooling, normalization,
// regularization, reshaping and activation layer tests): output shape eagerly, symbolically
// (None batch) and by compute_output_shape; a compiled predict equal to the eager call; the
// config's base entries; and finite-difference gradients (float64) in the input and in every
// trainable weight.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>

#include "keras/keras.h"

namespace layer_harness {

inline keras::Tensor random_input(const keras::Shape& shape, unsigned seed, double low = -1.0, double high = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(rng);
  return keras::Tensor::from_vector(v, shape);
}

struct LayerCase {
  std::string what;
  // Makes a fresh float64 layer (the harness calls it more than once).
  std::function<std::shared_ptr<keras::layers::Layer>()> make;
  keras::Shape input_shape;     // with the batch dimension
  keras::Shape expected_shape;  // with the batch dimension
  bool gradcheck = true;
  double low = -1.0, high = 1.0;  // input range (keep away from kinks, e.g. ReLU at 0)
  double tolerance = 1e-6;
};

inline double weighted_sum(const keras::Tensor& y, const std::vector<double>& w) {
  const auto v = y.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}

inline void check_layer(const LayerCase& c) {
  SCOPED_TRACE(c.what);
  const keras::Tensor x = random_input(c.input_shape, 1, c.low, c.high);

  // Eager.
  auto layer = c.make();
  const keras::Tensor y = (*layer)(x);
  ASSERT_EQ(y.shape(), c.expected_shape);
  EXPECT_EQ(layer->compute_output_shape(c.input_shape), c.expected_shape);

  // Symbolic, with an unknown batch, and through a compiled predict.
  auto sym = c.make();
  std::vector<std::int64_t> rest(c.input_shape.dims().begin() + 1, c.input_shape.dims().end());
  const keras::Tensor inp = keras::Input(keras::Shape(rest), keras::DType::float64);
  const keras::Tensor out = (*sym)(inp);
  keras::Shape want_sym = c.expected_shape;
  want_sym.dims()[0] = -1;
  EXPECT_EQ(out.shape(), want_sym);
  sym->set_weights(layer->get_weights());
  keras::Model model(inp, out);
  const auto planned = model.predict(x).front().to_vector<double>();
  const auto eager = y.to_vector<double>();
  ASSERT_EQ(planned.size(), eager.size());
  for (std::size_t i = 0; i < eager.size(); ++i) EXPECT_NEAR(planned[i], eager[i], 1e-9 * (1 + std::abs(eager[i])));

  // Config: names the layer (SpatialDropout's Keras config does not start with it).
  const auto config = layer->get_config();
  ASSERT_TRUE(config.contains("name"));
  EXPECT_EQ(config["name"], layer->name());
  EXPECT_FALSE(config.dump().empty());

  if (!c.gradcheck) return;
  const auto r = random_input(y.shape(), 2, 0.5, 1.5).to_vector<double>();
  const keras::Tensor r_tensor = keras::Tensor::from_vector(r, y.shape());
  keras::Variable xv(x, "x");
  std::vector<keras::Tensor> sources{xv};
  for (const auto& w : layer->trainable_weights()) sources.push_back(w);
  std::vector<keras::Tensor> grads;
  {
    keras::GradientTape tape;
    const keras::Tensor target = keras::ops::sum(keras::ops::multiply((*layer)(xv), r_tensor));
    grads = tape.gradient(target, sources);
  }
  const double h = 1e-6;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    keras::Tensor src = sources[s];
    auto* data = src.data<double>();
    const auto g = grads[s].to_vector<double>();
    ASSERT_EQ(static_cast<std::int64_t>(g.size()), src.size());
    for (std::int64_t j = 0; j < src.size(); ++j) {
      const double saved = data[j];
      data[j] = saved + h;
      const double plus = weighted_sum((*layer)(xv), r);
      data[j] = saved - h;
      const double minus = weighted_sum((*layer)(xv), r);
      data[j] = saved;
      const double numeric = (plus - minus) / (2 * h);
      ASSERT_LE(std::abs(numeric - g[static_cast<std::size_t>(j)]) / std::max(1.0, std::abs(numeric)), c.tolerance)
          << "source " << s << " element " << j << ": autodiff " << g[static_cast<std::size_t>(j)]
          << " vs finite difference " << numeric;
    }
  }
}

/// "Layer \"name\"..." style errors: the message names the layer and contains each fragment.
template <typename F>
void expect_value_error(F&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected a ValueError";
  } catch (const keras::ValueError& e) {
    const std::string m = e.what();
    for (const auto& f : fragments) EXPECT_NE(m.find(f), std::string::npos) << "'" << f << "' not in: " << m;
  }
}

}  // namespace layer_harness
