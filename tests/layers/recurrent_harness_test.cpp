// Harness cases (layer_harness.h) for the recurrent, embedding, masking and preprocessing
// layers.
#include "layer_harness.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/embedding.h"
#include "keras/layers/preprocessing.h"
#include "keras/layers/recurrent.h"

namespace {

using keras::DType;
using keras::Shape;
using layer_harness::LayerCase;
using namespace keras::layers;

constexpr DType f64 = DType::float64;

RecurrentOptions opts(RecurrentOptions o) {
  o.dtype = f64;
  return o;
}

KERAS_LAYER_CASES({
      {"SimpleRNN", [] { return make<SimpleRNN>(3, opts({})); }, Shape{2, 4, 3}, Shape{2, 3}},
      {"SimpleRNN relu, sequences", [] { return make<SimpleRNN>(3, opts({.activation = "relu", .return_sequences = true})); },
       Shape{2, 4, 3}, Shape{2, 4, 3}},
      {"LSTM", [] { return make<LSTM>(3, opts({})); }, Shape{2, 5, 2}, Shape{2, 3}},
      {"LSTM backwards, sequences", [] { return make<LSTM>(2, opts({.return_sequences = true, .go_backwards = true})); },
       Shape{3, 4, 2}, Shape{3, 4, 2}},
      {"LSTM no bias, hard_sigmoid", [] { return make<LSTM>(2, opts({.recurrent_activation = "hard_sigmoid", .use_bias = false})); },
       Shape{2, 3, 2}, Shape{2, 2}},
      {"GRU", [] { return make<GRU>(3, opts({})); }, Shape{2, 4, 2}, Shape{2, 3}},
      {"GRU reset_after=false, sequences", [] { return make<GRU>(3, opts({.reset_after = false, .return_sequences = true})); },
       Shape{2, 4, 2}, Shape{2, 4, 3}},
      {"GRU unfused (selu)", [] { return make<GRU>(2, opts({.activation = "selu"})); }, Shape{2, 3, 2}, Shape{2, 2}},
      {"Bidirectional(LSTM) concat",
       [] { return make<Bidirectional>(make<LSTM>(2, opts({.return_sequences = true})), "concat", nullptr,
                                       LayerOptions{.dtype = f64}); },
       Shape{2, 3, 2}, Shape{2, 3, 4}},
      {"Bidirectional(GRU) sum",
       [] { return make<Bidirectional>(make<GRU>(2, opts({})), "sum", nullptr, LayerOptions{.dtype = f64}); },
       Shape{2, 3, 2}, Shape{2, 2}},
      {"TimeDistributed(Dense)",
       [] { return make<TimeDistributed>(make<Dense>(3, "tanh", LayerOptions{.dtype = f64}), LayerOptions{.dtype = f64}); },
       Shape{2, 4, 5}, Shape{2, 4, 3}},
});

KERAS_LAYER_CASES({
      // Indices in [0, 5): the input's own gradient is zero (a cast to int32), the table's is checked.
      {"Embedding", [] { return make<Embedding>(5, 3, EmbeddingOptions{.dtype = f64}); }, Shape{2, 4}, Shape{2, 4, 3},
       true, 0.01, 4.99},
      {"Masking", [] { return make<Masking>(0.0, LayerOptions{.dtype = f64}); }, Shape{2, 3, 4}, Shape{2, 3, 4}},
      {"Rescaling", [] { return make<Rescaling>(0.5, 2.0, LayerOptions{.dtype = f64}); }, Shape{2, 3}, Shape{2, 3}},
      {"Normalization (given statistics)",
       [] {
         return make<Normalization>(NormalizationOptions{.mean = keras::Tensor::from_vector(std::vector<double>{1, 2, 3}, Shape{3}),
                                                         .variance = keras::Tensor::from_vector(std::vector<double>{4, 1, 9}, Shape{3}),
                                                         .dtype = f64});
       },
       Shape{2, 3}, Shape{2, 3}},
      {"Normalization (adapted, axis 1)",
       [] {
         auto n = make<Normalization>(NormalizationOptions{.axis = {1}, .dtype = f64});
         n->adapt(layer_harness::random_input(Shape{6, 4, 2}, 9, -3, 5));
         return n;
       },
       Shape{2, 4, 2}, Shape{2, 4, 2}},
});

}  // namespace
