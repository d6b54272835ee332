// Bad input across the layer families: wrong rank, kernels larger than the input with valid
// padding, zero or negative sizes, mismatched attention shapes. Each is a ValueError that
// names the layer and the shapes (Keras's form: the expectation, then "Received: ...").
#include "layer_harness.h"

namespace {

using namespace keras::layers;
using keras::Tensor;
using layer_harness::expect_value_error;

TEST(BadInput, WrongRankForConvolutionAndRecurrentLayers) {
  keras::clear_session();
  expect_value_error([] { (*make<Conv1D>(2, Ints{3}, ConvOptions{.name = "c1"}))(keras::Input({10})); },
                     {"\"c1\"", "ndim=3", "(None, 10)"});
  expect_value_error([] { (*make<Conv3D>(2, Ints{3}, ConvOptions{.name = "c3"}))(keras::Input({5, 5, 5})); },
                     {"\"c3\"", "(None, 5, 5, 5)"});
  expect_value_error([] { (*make<DepthwiseConv2D>(Ints{3}, DepthwiseConvOptions{.name = "dw"}))(keras::Input({5, 5})); },
                     {"\"dw\"", "(None, 5, 5)"});
  expect_value_error([] { (*make<Conv2DTranspose>(2, Ints{3}, ConvTransposeOptions{.name = "ct"}))(keras::Input({5, 5})); },
                     {"\"ct\"", "(None, 5, 5)"});
  expect_value_error([] { (*make<AveragePooling1D>(Ints{2}, PoolingOptions{.name = "ap"}))(keras::Input({4, 4, 4})); },
                     {"\"ap\"", "(None, 4, 4, 4)"});
  expect_value_error([] { (*make<GRU>(3, RecurrentOptions{.name = "gru"}))(keras::Input({7})); },
                     {"\"gru\"", "ndim=3", "(None, 7)"});
  expect_value_error([] { (*make<SimpleRNN>(3, RecurrentOptions{.name = "srnn"}))(keras::ops::zeros({2, 3, 4, 5})); },
                     {"\"srnn\"", "(2, 3, 4, 5)"});
  expect_value_error(
      [] { (*make<Bidirectional>(make<LSTM>(2), "concat", nullptr, LayerOptions{.name = "bi"}))(keras::Input({7})); },
      {"\"bi\"", "(None, 7)"});
}

TEST(BadInput, KernelLargerThanTheInputWithValidPadding) {
  keras::clear_session();
  expect_value_error([] { (*make<Conv1D>(2, Ints{5}, ConvOptions{.name = "k1"}))(keras::Input({3, 2})); },
                     {"\"k1\"", "(None, 3, 2)", "(5,)"});
  expect_value_error([] { (*make<Conv3D>(1, Ints{2, 2, 4}, ConvOptions{.name = "k3"}))(keras::Input({4, 4, 3, 1})); },
                     {"\"k3\"", "(None, 4, 4, 3, 1)"});
  expect_value_error(
      [] { (*make<DepthwiseConv2D>(Ints{4}, DepthwiseConvOptions{.name = "kd"}))(keras::Input({3, 8, 2})); },
      {"\"kd\"", "(None, 3, 8, 2)"});
  expect_value_error(
      [] { (*make<SeparableConv1D>(2, Ints{6}, SeparableConvOptions{.name = "ks"}))(keras::Input({5, 2})); },
      {"\"ks\"", "(None, 5, 2)"});
  expect_value_error([] { (*make<MaxPooling1D>(Ints{4}, PoolingOptions{.name = "kp"}))(keras::Input({3, 2})); },
                     {"\"kp\"", "(None, 3, 2)"});
  // Same padding is fine: the output keeps the input's length.
  EXPECT_EQ((*make<Conv1D>(2, Ints{5}, ConvOptions{.padding = "same"}))(keras::Input({3, 2})).shape(),
            keras::Shape({-1, 3, 2}));
}

TEST(BadInput, ZeroOrNegativeSizes) {
  keras::clear_session();
  expect_value_error([] { make<Dense>(-1, keras::activations::ActivationArg(), LayerOptions{.name = "d"}); },
                     {"\"d\"", "units", "Received: units=-1"});
  expect_value_error([] { make<Dense>(0, keras::activations::ActivationArg(), LayerOptions{.name = "d0"}); },
                     {"\"d0\"", "Received: units=0"});
  expect_value_error([] { make<LSTM>(-1, RecurrentOptions{.name = "l"}); }, {"\"l\"", "LSTM", "Received: units=-1"});
  expect_value_error([] { make<GRU>(0, RecurrentOptions{.name = "g"}); }, {"\"g\"", "GRU", "Received: units=0"});
  expect_value_error([] { make<SimpleRNN>(-3); }, {"\"simple_rnn\"", "Received: units=-3"});
  expect_value_error([] { make<LSTMCell>(0, RecurrentOptions{.name = "cell"}); }, {"\"cell\"", "units=0"});
  expect_value_error([] { make<Conv1D>(0, Ints{3}, ConvOptions{.name = "f0"}); }, {"\"f0\"", "filters=0"});
  expect_value_error([] { make<Conv3D>(-2, Ints{3}, ConvOptions{.name = "fn"}); }, {"\"fn\"", "filters=-2"});
  expect_value_error([] { make<Conv1D>(2, Ints{0}, ConvOptions{.name = "k0"}); }, {"\"k0\"", "kernel_size"});
  expect_value_error([] { make<Conv2DTranspose>(0, Ints{3}, ConvTransposeOptions{.name = "t0"}); }, {"\"t0\"", "filters=0"});
  expect_value_error([] { make<SeparableConv2D>(0, Ints{3}, SeparableConvOptions{.name = "s0"}); }, {"\"s0\"", "filters=0"});
  expect_value_error([] { make<DepthwiseConv2D>(Ints{0}, DepthwiseConvOptions{.name = "dk"}); }, {"\"dk\"", "kernel_size"});
  expect_value_error([] { make<MaxPooling1D>(Ints{0}, PoolingOptions{.name = "p0"}); }, {"\"p0\"", "pool_size"});
  expect_value_error([] { make<AveragePooling3D>(Ints{2, -1, 2}, PoolingOptions{.name = "pn"}); }, {"\"pn\"", "pool_size"});
  expect_value_error([] { make<Embedding>(0, 3, LayerOptions{.name = "e"}); }, {"\"e\"", "input_dim=0"});
  expect_value_error([] { make<Embedding>(4, -1, LayerOptions{.name = "e2"}); }, {"\"e2\"", "output_dim=-1"});
  expect_value_error([] { make<MultiHeadAttention>(0, 4, MultiHeadAttentionOptions{.name = "m"}); }, {"\"m\"", "num_heads=0"});
  expect_value_error([] { make<MultiHeadAttention>(2, -4, MultiHeadAttentionOptions{.name = "m2"}); }, {"\"m2\"", "key_dim=-4"});
  expect_value_error([] { make<RepeatVector>(-1, LayerOptions{.name = "r"}); }, {"\"r\"", "n=-1"});
  expect_value_error([] { make<UpSampling2D>(Ints{0}, "channels_last", "nearest", LayerOptions{.name = "u"}); },
                     {"\"u\"", "size"});
}

TEST(BadInput, MismatchedAttentionShapes) {
  keras::clear_session();
  expect_value_error(
      [] { (*make<AdditiveAttention>(AttentionOptions{.name = "add"}))(std::vector<Tensor>{keras::Input({3, 8}), keras::Input({5, 6})}); },
      {"\"add\"", "(None, 3, 8)", "(None, 5, 6)"});
  expect_value_error(
      [] { (*make<Attention>(AttentionOptions{.name = "batch"}))(std::vector<Tensor>{keras::ops::zeros({2, 3, 4}), keras::ops::zeros({3, 5, 4})}); },
      {"\"batch\"", "(2, 3, 4)", "(3, 5, 4)"});
  expect_value_error(
      [] { (*make<Attention>(AttentionOptions{.name = "rank"}))(std::vector<Tensor>{keras::Input({3}), keras::Input({5, 3})}); },
      {"\"rank\"", "(None, 3)"});
  expect_value_error(
      [] {
        (*make<MultiHeadAttention>(2, 4, MultiHeadAttentionOptions{.name = "mh"}))(
            std::vector<Tensor>{keras::Input({3, 8}), keras::Input({5, 8}), keras::Input({4, 8})});
      },
      {"\"mh\"", "(None, 5, 8)", "(None, 4, 8)"});
}

}  // namespace
