#pragma once
// The shared layer harness. check_layer(case) checks one built-in layer:
//  - output shape eagerly, by compute_output_shape, and symbolically with a None batch;
//  - a compiled predict (keras::Model) equal to the eager call;
//  - the config: names the layer; round trip serialize_layer -> deserialize_layer (the saving
//    registry) gives the same config and, with the same weights, the same output;
//  - a naive reference implementation, when the case gives one;
//  - training vs inference: the same (deterministic layers), fresh noise in training and the
//    identity at inference (dropout/noise layers), or batch statistics that move the moving
//    statistics (BatchNormalization);
//  - finite-difference gradients (float64) in every floating input and trainable weight.
// Cases register with KERAS_LAYER_CASES; layer_harness_test.cpp runs them all and fails if a
// layer class the saving registry deserializes has no case.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "keras/keras.h"

namespace layer_harness {

inline keras::Tensor random_input(const keras::Shape& shape, unsigned seed, double low = -1.0, double high = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(rng);
  return keras::Tensor::from_vector(v, shape);
}

enum class Training {
  same,              // deterministic: training and inference give the same output
  noise,             // identity at inference; fresh random output at each training call
  batch_statistics,  // training normalizes with the batch and moves the non-trainable weights
};

/// The expected output from the inputs and the (built) layer's weights, computed naively.
using Reference = std::function<keras::Tensor(const std::vector<keras::Tensor>& inputs, keras::layers::Layer& layer)>;

struct LayerCase {
  std::string what;
  // Makes a fresh float64 layer (the harness calls it more than once).
  std::function<std::shared_ptr<keras::layers::Layer>()> make;
  keras::Shape input_shape;     // with the batch dimension
  keras::Shape expected_shape;  // with the batch dimension
  bool gradcheck = true;
  double low = -1.0, high = 1.0;  // input range (keep away from kinks, e.g. ReLU at 0)
  double tolerance = 1e-6;
  std::vector<keras::Shape> more_inputs{};  // further inputs (merges, attention), same range
  Reference reference{};
  Training training = Training::same;
  bool round_trip = true;  // false only where a case's layer cannot be rebuilt from its config
};

// ---- the case registry ----

inline std::vector<LayerCase>& all_cases() {
  static std::vector<LayerCase> cases;
  return cases;
}

struct CaseRegistrar {
  explicit CaseRegistrar(std::vector<LayerCase> cases) {
    for (auto& c : cases) all_cases().push_back(std::move(c));
  }
};

#define KERAS_LAYER_CASES_CONCAT2(a, b) a##b
#define KERAS_LAYER_CASES_CONCAT(a, b) KERAS_LAYER_CASES_CONCAT2(a, b)
/// KERAS_LAYER_CASES({{"Dense", [] { ... }, {2, 3}, {2, 4}}, ...});
#define KERAS_LAYER_CASES(...)                                                                         \
  static ::layer_harness::CaseRegistrar KERAS_LAYER_CASES_CONCAT(layer_cases_, __LINE__)(             \
      std::vector<::layer_harness::LayerCase> __VA_ARGS__)

/// Class names of cases whose layer the saving registry does not deserialize (so the config
/// round trip was skipped); filled by check_layer.
inline std::set<std::string>& unregistered_classes() {
  static std::set<std::string> names;
  return names;
}

// ---- helpers ----

inline double weighted_sum(const keras::Tensor& y, const std::vector<double>& w) {
  const auto v = y.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}

inline keras::Tensor call_layer(keras::layers::Layer& layer, const std::vector<keras::Tensor>& xs,
                                std::optional<bool> training = std::nullopt) {
  if (xs.size() == 1) return layer(xs.front(), training);
  return layer(xs, training).front();
}

inline std::vector<double> as_doubles(const keras::Tensor& t) {
  return keras::ops::cast(t, keras::DType::float64).to_vector<double>();
}

inline void expect_close(const keras::Tensor& got, const keras::Tensor& want, double rel, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = as_doubles(got), w = as_doubles(want);
  for (std::size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(g[i], w[i], rel * (1 + std::abs(w[i]))) << what << ": element " << i;
}

inline bool any_different(const keras::Tensor& a, const keras::Tensor& b) {
  const auto x = as_doubles(a), y = as_doubles(b);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] != y[i]) return true;
  return false;
}

bool is_registered_builtin(const std::string& class_name);  // layer_harness_test.cpp
std::shared_ptr<keras::layers::Layer> round_trip(const keras::layers::Layer& layer);

// ---- the check ----

inline void check_layer(const LayerCase& c) {
  SCOPED_TRACE(c.what);
  std::vector<keras::Shape> shapes{c.input_shape};
  shapes.insert(shapes.end(), c.more_inputs.begin(), c.more_inputs.end());
  std::vector<keras::Tensor> xs;
  for (std::size_t i = 0; i < shapes.size(); ++i)
    xs.push_back(random_input(shapes[i], static_cast<unsigned>(1 + 7 * i), c.low, c.high));

  // Eager, and compute_output_shape.
  auto layer = c.make();
  const keras::Tensor y = call_layer(*layer, xs);
  ASSERT_EQ(y.shape(), c.expected_shape);
  if (xs.size() == 1) EXPECT_EQ(layer->compute_output_shape(c.input_shape), c.expected_shape);
  else EXPECT_EQ(layer->compute_output_shape(shapes).front(), c.expected_shape);

  // Symbolic, with an unknown batch, and through a compiled predict.
  {
    auto sym = c.make();
    std::vector<keras::Tensor> inputs;
    for (const auto& s : shapes) {
      std::vector<std::int64_t> rest(s.dims().begin() + 1, s.dims().end());
      inputs.push_back(keras::Input(keras::Shape(rest), keras::DType::float64));
    }
    const keras::Tensor out = inputs.size() == 1 ? (*sym)(inputs.front()) : (*sym)(inputs).front();
    keras::Shape want_sym = c.expected_shape;
    want_sym.dims()[0] = -1;
    EXPECT_EQ(out.shape(), want_sym);
    sym->set_weights(layer->get_weights());
    keras::Model model(inputs, out);
    expect_close(model.predict(xs).front(), y, 1e-9, "compiled predict vs eager");
  }

  // Config: names the layer; the saving registry rebuilds the same layer from it.
  const auto config = layer->get_config();
  ASSERT_TRUE(config.contains("name"));
  EXPECT_EQ(config["name"], layer->name());
  if (!is_registered_builtin(layer->class_name())) {
    unregistered_classes().insert(layer->class_name());
  } else if (c.round_trip) {
    std::shared_ptr<keras::layers::Layer> copy;
    ASSERT_NO_THROW(copy = round_trip(*layer)) << config.dump();
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->class_name(), layer->class_name());
    call_layer(*copy, xs);  // builds it (a built layer's config can differ, e.g. axis lists)
    EXPECT_EQ(copy->get_config().dump(), config.dump());
    copy->set_weights(layer->get_weights());
    expect_close(call_layer(*copy, xs), y, 1e-12, "rebuilt from its config");
  }

  // The naive reference.
  if (c.reference) expect_close(y, c.reference(xs, *layer), 1e-9, "naive reference");

  // Training vs inference, on a fresh copy with the same weights.
  {
    auto t = c.make();
    call_layer(*t, xs, false);
    t->set_weights(layer->get_weights());
    const keras::Tensor inference = call_layer(*t, xs, false);
    const auto frozen = t->non_trainable_weights();
    std::vector<keras::Tensor> before;
    for (const auto& v : frozen) before.push_back(v.value());
    switch (c.training) {
      case Training::same:
        expect_close(call_layer(*t, xs, true), inference, 1e-12, "training == inference");
        break;
      case Training::noise: {
        expect_close(inference, xs.front(), 0.0, "identity at inference");
        // Several draws: a layer with few noise units (spatial dropout over 2 channels of 2
        // samples) repeats a mask, or keeps everything, by chance in one call of 16.
        const keras::Tensor a = call_layer(*t, xs, true);
        EXPECT_EQ(a.shape(), xs.front().shape());
        bool differs_from_inference = any_different(a, inference), draws_differ = false;
        for (int draw = 0; draw < 8 && !(differs_from_inference && draws_differ); ++draw) {
          const keras::Tensor b = call_layer(*t, xs, true);
          differs_from_inference = differs_from_inference || any_different(b, inference);
          draws_differ = draws_differ || any_different(a, b);
        }
        EXPECT_TRUE(differs_from_inference) << "9 training outputs equal the inference output";
        EXPECT_TRUE(draws_differ) << "9 training calls drew the same noise";
        break;
      }
      case Training::batch_statistics: {
        call_layer(*t, xs, false);
        for (std::size_t i = 0; i < frozen.size(); ++i)
          EXPECT_FALSE(any_different(frozen[i].value(), before[i])) << "inference moved " << frozen[i].name();
        EXPECT_TRUE(any_different(call_layer(*t, xs, true), inference)) << "training used the moving statistics";
        ASSERT_FALSE(frozen.empty());
        for (std::size_t i = 0; i < frozen.size(); ++i)
          EXPECT_TRUE(any_different(frozen[i].value(), before[i])) << "training did not move " << frozen[i].name();
        break;
      }
    }
  }

  if (!c.gradcheck) return;
  const auto r = random_input(y.shape(), 2, 0.5, 1.5).to_vector<double>();
  const keras::Tensor r_tensor = keras::Tensor::from_vector(r, y.shape());
  std::vector<keras::Tensor> sources;
  std::vector<keras::Tensor> vars_in;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    keras::Variable v(xs[i], "x" + std::to_string(i));
    vars_in.push_back(v);
    sources.push_back(v);
  }
  for (const auto& w : layer->trainable_weights()) sources.push_back(w);
  std::vector<keras::Tensor> grads;
  {
    keras::GradientTape tape;
    const keras::Tensor target = keras::ops::sum(keras::ops::multiply(call_layer(*layer, vars_in), r_tensor));
    grads = tape.gradient(target, sources);
  }
  const double h = 1e-6;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    keras::Tensor src = sources[s];
    auto* data = src.data<double>();
    ASSERT_TRUE(grads[s].defined()) << "no gradient for source " << s;
    const auto g = grads[s].to_vector<double>();
    ASSERT_EQ(static_cast<std::int64_t>(g.size()), src.size());
    for (std::int64_t j = 0; j < src.size(); ++j) {
      const double saved = data[j];
      data[j] = saved + h;
      const double plus = weighted_sum(call_layer(*layer, vars_in), r);
      data[j] = saved - h;
      const double minus = weighted_sum(call_layer(*layer, vars_in), r);
      data[j] = saved;
      const double numeric = (plus - minus) / (2 * h);
      ASSERT_LE(std::abs(numeric - g[static_cast<std::size_t>(j)]) / std::max(1.0, std::abs(numeric)), c.tolerance)
          << "source " << s << " element " << j << ": autodiff " << g[static_cast<std::size_t>(j)]
          << " vs finite difference " << numeric;
    }
  }
}

/// Errors naming the layer: a ValueError whose message contains each fragment.
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
