// Harness cases (layer_harness.h) with naive references (layer_references.h): core, merge,
// convolution, pooling, normalization, activation, reshaping, recurrent, attention, and the
// layers whose training behaviour differs from inference.
#include "keras/saving/serialization.h"
#include "layer_harness.h"
#include "layer_references.h"
#include "recurrent_reference.h"

namespace {

using namespace keras::layers;
using keras::Shape;
using keras::Tensor;
using layer_harness::LayerCase;
using layer_harness::Training;
namespace refs = layer_refs;
namespace ops = keras::ops;
constexpr keras::DType f64 = keras::DType::float64;
const LayerOptions o64{.dtype = f64};
using Inputs = std::vector<Tensor>;

template <class L, class... Args>
std::function<std::shared_ptr<Layer>()> factory(Args... args) {
  return [=]() -> std::shared_ptr<Layer> { return make<L>(args...); };
}

Tensor w(Layer& l, std::size_t i) { return l.get_weights().at(i); }

// ---- core and merge ----

KERAS_LAYER_CASES({
    {.what = "Dense tanh (ref)", .make = factory<Dense>(4, "tanh", o64), .input_shape = {3, 5}, .expected_shape = {3, 4},
     .reference = [](const Inputs& x, Layer& l) { auto k = w(l, 0), b = w(l, 1); return refs::dense(x[0], k, &b, "tanh"); }},
    {.what = "Dense on 3-D input, no bias (ref)",
     .make = factory<Dense>(2, DenseOptions{.use_bias = false, .dtype = f64}), .input_shape = {2, 3, 4},
     .expected_shape = {2, 3, 2},
     .reference = [](const Inputs& x, Layer& l) { return refs::dense(x[0], w(l, 0), nullptr, "linear"); }},
    {.what = "Activation sigmoid (ref)", .make = factory<Activation>("sigmoid", o64), .input_shape = {2, 3},
     .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer&) { return refs::map(x[0], [](double v) { return 1 / (1 + std::exp(-v)); }); }},
    {.what = "Flatten (ref)", .make = factory<Flatten>("channels_last", o64), .input_shape = {2, 3, 4},
     .expected_shape = {2, 12},
     .reference = [](const Inputs& x, Layer&) { return refs::tensor(refs::vals(x[0]), Shape{2, 12}); }},
    {.what = "Reshape with -1", .make = factory<Reshape>(Shape{-1, 2}, o64), .input_shape = {2, 3, 4},
     .expected_shape = {2, 6, 2},
     .reference = [](const Inputs& x, Layer&) { return refs::tensor(refs::vals(x[0]), Shape{2, 6, 2}); }},
    {.what = "Identity", .make = factory<Identity>(o64), .input_shape = {2, 3}, .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer&) { return x[0]; }},
    {.what = "Lambda (registered function)",
     .make = []() -> std::shared_ptr<Layer> {
       keras::saving::LambdaFunction fn([](const Tensor& t) { return ops::multiply(t, ops::square(t)); });
       keras::saving::register_function("harness_cube", fn);
       return fn.make_layer("harness_cube", o64);
     },
     .input_shape = {2, 3}, .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer&) { return refs::map(x[0], [](double v) { return v * v * v; }); }},
    {.what = "Dropout", .make = factory<Dropout>(0.5, std::optional<std::uint64_t>(3), o64), .input_shape = {4, 5},
     .expected_shape = {4, 5}, .training = Training::noise},
    {.what = "Masking (ref)", .make = factory<Masking>(0.0, o64), .input_shape = {2, 3, 2}, .expected_shape = {2, 3, 2},
     .reference = [](const Inputs& x, Layer&) { return x[0]; }},  // no step of random inputs is all zeros
});

Shape s23{2, 3};
KERAS_LAYER_CASES({
    {.what = "Add (ref)", .make = factory<Add>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23, s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return a[0] + a[1] + a[2]; }); }},
    {.what = "Subtract (ref)", .make = factory<Subtract>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return a[0] - a[1]; }); }},
    {.what = "Multiply (ref)", .make = factory<Multiply>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return a[0] * a[1]; }); }},
    {.what = "Average (ref)", .make = factory<Average>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return (a[0] + a[1]) / 2; }); }},
    {.what = "Maximum (ref)", .make = factory<Maximum>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return std::max(a[0], a[1]); }); }},
    {.what = "Minimum (ref)", .make = factory<Minimum>(o64), .input_shape = s23, .expected_shape = s23, .more_inputs = {s23},
     .reference = [](const Inputs& x, Layer&) { return refs::zip(x, [](const refs::Vec& a) { return std::min(a[0], a[1]); }); }},
    {.what = "Concatenate axis 1 (ref)", .make = factory<Concatenate>(1, o64), .input_shape = {2, 2, 3},
     .expected_shape = {2, 5, 3}, .more_inputs = {{2, 3, 3}},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(ops::concatenate({ops::reshape(x[0], {2, 6}), ops::reshape(x[1], {2, 9})}, 1), Shape{2, 5, 3},
                               [](const std::vector<std::int64_t>& o) { return o[0] * 15 + o[1] * 3 + o[2]; });
     }},
    {.what = "Dot normalize (ref)", .make = factory<Dot>(1, true, o64), .input_shape = {2, 4}, .expected_shape = {2, 1},
     .more_inputs = {{2, 4}},
     .reference = [](const Inputs& x, Layer&) {
       const auto a = refs::vals(x[0]), b = refs::vals(x[1]);
       refs::Vec y;
       for (int r = 0; r < 2; ++r) {
         double ab = 0, aa = 0, bb = 0;
         for (int i = 0; i < 4; ++i) ab += a[r * 4 + i] * b[r * 4 + i], aa += a[r * 4 + i] * a[r * 4 + i], bb += b[r * 4 + i] * b[r * 4 + i];
         y.push_back(ab / std::sqrt(aa) / std::sqrt(bb));
       }
       return refs::tensor(y, Shape{2, 1});
     }},
});

// ---- convolution and pooling ----

KERAS_LAYER_CASES({
    {.what = "Conv1D causal dilated (ref)",
     .make = factory<Conv1D>(3, Ints{2}, ConvOptions{.padding = "causal", .dilation_rate = {2}, .dtype = f64}),
     .input_shape = {2, 7, 2}, .expected_shape = {2, 7, 3},
     .reference = [](const Inputs& x, Layer& l) { auto b = w(l, 1); return refs::conv(x[0], w(l, 0), &b, {1}, {2}, "causal"); }},
    {.what = "Conv2D same, strides 2, groups 2 (ref)",
     .make = factory<Conv2D>(4, Ints{3, 3}, ConvOptions{.strides = {2}, .padding = "same", .groups = 2, .dtype = f64}),
     .input_shape = {2, 5, 6, 4}, .expected_shape = {2, 3, 3, 4},
     .reference = [](const Inputs& x, Layer& l) { auto b = w(l, 1); return refs::conv(x[0], w(l, 0), &b, {2}, {1}, "same", 2); }},
    {.what = "Conv3D valid (ref)", .make = factory<Conv3D>(2, Ints{2, 2, 2}, ConvOptions{.dtype = f64}),
     .input_shape = {1, 3, 4, 3, 2}, .expected_shape = {1, 2, 3, 2, 2},
     .reference = [](const Inputs& x, Layer& l) { auto b = w(l, 1); return refs::conv(x[0], w(l, 0), &b, {1}, {1}, "valid"); }},
    {.what = "DepthwiseConv2D multiplier 2 (ref)",
     .make = factory<DepthwiseConv2D>(Ints{2, 2}, DepthwiseConvOptions{.depth_multiplier = 2, .dtype = f64}),
     .input_shape = {2, 4, 3, 3}, .expected_shape = {2, 3, 2, 6},
     .reference = [](const Inputs& x, Layer& l) {
       // A depthwise kernel (kh, kw, c, m) is a grouped convolution with c groups of m filters.
       auto b = w(l, 1);
       return refs::conv(x[0], ops::reshape(w(l, 0), {2, 2, 1, 6}), &b, {1}, {1}, "valid", 3);
     }},
    {.what = "SeparableConv2D (ref)",
     .make = factory<SeparableConv2D>(4, Ints{3, 3}, SeparableConvOptions{.padding = "same", .depth_multiplier = 2, .dtype = f64}),
     .input_shape = {1, 4, 4, 2}, .expected_shape = {1, 4, 4, 4},
     .reference = [](const Inputs& x, Layer& l) {
       auto b = w(l, 2);
       const Tensor depth = refs::conv(x[0], ops::reshape(w(l, 0), {3, 3, 1, 4}), nullptr, {1}, {1}, "same", 2);
       return refs::conv(depth, w(l, 1), &b, {1}, {1}, "valid");
     }},
    {.what = "SeparableConv1D valid (ref)",
     .make = factory<SeparableConv1D>(3, Ints{2}, SeparableConvOptions{.dtype = f64}),
     .input_shape = {2, 5, 2}, .expected_shape = {2, 4, 3},
     .reference = [](const Inputs& x, Layer& l) {
       auto b = w(l, 2);
       const Tensor depth = refs::conv(x[0], ops::reshape(w(l, 0), {2, 1, 2}), nullptr, {1}, {1}, "valid", 2);
       return refs::conv(depth, w(l, 1), &b, {1}, {1}, "valid");
     }},
    {.what = "Conv1DTranspose strides 2 (ref)",
     .make = factory<Conv1DTranspose>(2, Ints{3}, ConvTransposeOptions{.strides = {2}, .dtype = f64}),
     .input_shape = {2, 4, 3}, .expected_shape = {2, 9, 2},
     .reference = [](const Inputs& x, Layer& l) {
       // Each input step scatters kernel (k, filters, cin) into outputs i * stride + k.
       const auto xv = refs::vals(x[0]), k = refs::vals(w(l, 0)), b = refs::vals(w(l, 1));
       refs::Vec y(2 * 9 * 2);
       for (int n = 0; n < 2; ++n)
         for (int o = 0; o < 9; ++o)
           for (int f = 0; f < 2; ++f) y[(n * 9 + o) * 2 + f] = b[f];
       for (int n = 0; n < 2; ++n)
         for (int i = 0; i < 4; ++i)
           for (int kk = 0; kk < 3; ++kk)
             for (int f = 0; f < 2; ++f)
               for (int c = 0; c < 3; ++c) y[(n * 9 + i * 2 + kk) * 2 + f] += xv[(n * 4 + i) * 3 + c] * k[(kk * 2 + f) * 3 + c];
       return refs::tensor(y, Shape{2, 9, 2});
     }},
    {.what = "MaxPooling2D same strides 2 (ref)",
     .make = factory<MaxPooling2D>(Ints{3, 3}, PoolingOptions{.strides = {2}, .padding = "same", .dtype = f64}),
     .input_shape = {2, 5, 4, 2}, .expected_shape = {2, 3, 2, 2},
     .reference = [](const Inputs& x, Layer&) { return refs::pool(x[0], true, {3, 3}, {2, 2}, "same"); }},
    {.what = "AveragePooling2D same (ref, padding not counted)",
     .make = factory<AveragePooling2D>(Ints{2, 2}, PoolingOptions{.strides = {1}, .padding = "same", .dtype = f64}),
     .input_shape = {1, 3, 3, 2}, .expected_shape = {1, 3, 3, 2},
     .reference = [](const Inputs& x, Layer&) { return refs::pool(x[0], false, {2, 2}, {1, 1}, "same"); }},
    {.what = "MaxPooling1D (ref)", .make = factory<MaxPooling1D>(Ints{3}, PoolingOptions{.strides = {2}, .dtype = f64}),
     .input_shape = {2, 7, 3}, .expected_shape = {2, 3, 3},
     .reference = [](const Inputs& x, Layer&) { return refs::pool(x[0], true, {3}, {2}, "valid"); }},
    {.what = "AveragePooling3D (ref)", .make = factory<AveragePooling3D>(Ints{2}, PoolingOptions{.dtype = f64}),
     .input_shape = {1, 4, 2, 2, 1}, .expected_shape = {1, 2, 1, 1, 1},
     .reference = [](const Inputs& x, Layer&) { return refs::pool(x[0], false, {2, 2, 2}, {2, 2, 2}, "valid"); }},
    {.what = "GlobalAveragePooling1D (ref)", .make = factory<GlobalAveragePooling1D>(GlobalPoolingOptions{.dtype = f64}),
     .input_shape = {2, 5, 3}, .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer&) { return ops::reshape(refs::pool(x[0], false, {5}, {5}, "valid"), {2, 3}); }},
    {.what = "GlobalMaxPooling2D (ref)", .make = factory<GlobalMaxPooling2D>(GlobalPoolingOptions{.dtype = f64}),
     .input_shape = {2, 3, 4, 3}, .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer&) { return ops::reshape(refs::pool(x[0], true, {3, 4}, {3, 4}, "valid"), {2, 3}); }},
});

// ---- normalization and activation layers ----

KERAS_LAYER_CASES({
    {.what = "LayerNormalization (ref)", .make = factory<LayerNormalization>(LayerNormalizationOptions{.dtype = f64}),
     .input_shape = {3, 5}, .expected_shape = {3, 5},
     .reference = [](const Inputs& x, Layer& l) { return refs::normalize_runs(x[0], 5, 1e-3, refs::vals(w(l, 0)), refs::vals(w(l, 1))); }},
    {.what = "GroupNormalization 2 groups (ref)",
     .make = factory<GroupNormalization>(GroupNormalizationOptions{.groups = 2, .dtype = f64}), .input_shape = {2, 4},
     .expected_shape = {2, 4},
     .reference = [](const Inputs& x, Layer&) {
       // gamma 1, beta 0: each run of 2 channels is one group.
       return refs::normalize_runs(x[0], 2, 1e-3, {1, 1}, {0, 0});
     }},
    {.what = "BatchNormalization inference (ref)",
     .make = factory<BatchNormalization>(BatchNormalizationOptions{.dtype = f64}), .input_shape = {4, 3},
     .expected_shape = {4, 3}, .reference = [](const Inputs& x, Layer&) {
       return refs::map(x[0], [](double v) { return v / std::sqrt(1 + 1e-3); });  // moving mean 0, variance 1
     },
     .training = Training::batch_statistics},
    {.what = "UnitNormalization (ref)", .make = factory<UnitNormalization>(std::vector<int>{-1}, o64), .input_shape = {3, 4},
     .expected_shape = {3, 4},
     .reference = [](const Inputs& x, Layer&) {
       auto v = refs::vals(x[0]);
       for (int r = 0; r < 3; ++r) {
         double n = 0;
         for (int i = 0; i < 4; ++i) n += v[r * 4 + i] * v[r * 4 + i];
         for (int i = 0; i < 4; ++i) v[r * 4 + i] /= std::sqrt(n);
       }
       return refs::tensor(v, Shape{3, 4});
     }},
    {.what = "Softmax (ref)", .make = factory<Softmax>(-1, o64), .input_shape = {3, 4}, .expected_shape = {3, 4},
     .reference = [](const Inputs& x, Layer&) { return refs::softmax_last(x[0]); }},
    {.what = "ReLU max_value, threshold (ref)", .make = factory<ReLU>(std::optional<double>(0.8), 0.1, 0.25, o64),
     .input_shape = {3, 4}, .expected_shape = {3, 4}, .gradcheck = false,  // kinks inside the input range
     .reference = [](const Inputs& x, Layer&) {
       return refs::map(x[0], [](double v) { return v >= 0.8 ? 0.8 : v >= 0.25 ? v : 0.1 * (v - 0.25); });
     }},
    {.what = "LeakyReLU (ref)", .make = factory<LeakyReLU>(0.2, o64), .input_shape = {3, 4}, .expected_shape = {3, 4},
     .low = 0.05, .high = 1.0,
     .reference = [](const Inputs& x, Layer&) { return refs::map(x[0], [](double v) { return v > 0 ? v : 0.2 * v; }); }},
    // Keras's ELU config has no `alpha` (ELU defines no get_config), so only alpha=1 survives a
    // round trip, in Keras as here.
    {.what = "ELU alpha 0.5 (ref)", .make = factory<ELU>(0.5, o64), .input_shape = {3, 4}, .expected_shape = {3, 4},
     .low = -2, .high = -0.05,
     .reference = [](const Inputs& x, Layer&) { return refs::map(x[0], [](double v) { return v > 0 ? v : 0.5 * std::expm1(v); }); },
     .round_trip = false},
    {.what = "PReLU (ref)", .make = factory<PReLU>(keras::initializers::InitializerArg("uniform"), std::nullopt, o64),
     .input_shape = {2, 3}, .expected_shape = {2, 3}, .low = -2, .high = -0.05,
     .reference = [](const Inputs& x, Layer& l) {
       const auto a = refs::vals(w(l, 0));
       auto v = refs::vals(x[0]);
       for (std::size_t i = 0; i < v.size(); ++i) v[i] = v[i] > 0 ? v[i] : a[i % 3] * v[i];
       return refs::tensor(v, Shape{2, 3});
     }},
    {.what = "ActivityRegularization", .make = factory<ActivityRegularization>(0.1, 0.2, o64), .input_shape = {2, 3},
     .expected_shape = {2, 3}, .reference = [](const Inputs& x, Layer&) { return x[0]; }},
    {.what = "GaussianNoise 3-D", .make = factory<GaussianNoise>(0.3, std::nullopt, o64), .input_shape = {2, 3, 2},
     .expected_shape = {2, 3, 2}, .training = Training::noise},
});

// ---- reshaping ----

KERAS_LAYER_CASES({
    {.what = "Permute (ref)", .make = factory<Permute>(std::vector<int>{2, 1}, o64), .input_shape = {2, 3, 4},
     .expected_shape = {2, 4, 3},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{2, 4, 3}, [](const std::vector<std::int64_t>& o) { return o[0] * 12 + o[2] * 4 + o[1]; });
     }},
    {.what = "RepeatVector (ref)", .make = factory<RepeatVector>(3, o64), .input_shape = {2, 4}, .expected_shape = {2, 3, 4},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{2, 3, 4}, [](const std::vector<std::int64_t>& o) { return o[0] * 4 + o[2]; });
     }},
    {.what = "ZeroPadding2D (ref)", .make = factory<ZeroPadding2D>(std::vector<Ints>{{1, 0}, {2, 1}}, "channels_last", o64),
     .input_shape = {1, 2, 3, 2}, .expected_shape = {1, 3, 6, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{1, 3, 6, 2}, [](const std::vector<std::int64_t>& o) -> std::int64_t {
         const auto r = o[1] - 1, c = o[2] - 2;
         return r < 0 || r >= 2 || c < 0 || c >= 3 ? -1 : (r * 3 + c) * 2 + o[3];
       });
     }},
    {.what = "ZeroPadding1D (ref)", .make = factory<ZeroPadding1D>(Ints{1, 2}, "channels_last", o64), .input_shape = {2, 3, 2},
     .expected_shape = {2, 6, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{2, 6, 2}, [](const std::vector<std::int64_t>& o) -> std::int64_t {
         const auto t = o[1] - 1;
         return t < 0 || t >= 3 ? -1 : (o[0] * 3 + t) * 2 + o[2];
       });
     }},
    {.what = "Cropping2D (ref)", .make = factory<Cropping2D>(std::vector<Ints>{{1, 0}, {1, 2}}, "channels_last", o64),
     .input_shape = {1, 3, 5, 2}, .expected_shape = {1, 2, 2, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{1, 2, 2, 2},
                               [](const std::vector<std::int64_t>& o) { return ((o[1] + 1) * 5 + o[2] + 1) * 2 + o[3]; });
     }},
    {.what = "Cropping1D (ref)", .make = factory<Cropping1D>(Ints{2, 1}, o64), .input_shape = {2, 6, 2},
     .expected_shape = {2, 3, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{2, 3, 2}, [](const std::vector<std::int64_t>& o) { return (o[0] * 6 + o[1] + 2) * 2 + o[2]; });
     }},
    {.what = "UpSampling1D (ref)", .make = factory<UpSampling1D>(2, o64), .input_shape = {2, 3, 2}, .expected_shape = {2, 6, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{2, 6, 2}, [](const std::vector<std::int64_t>& o) { return (o[0] * 3 + o[1] / 2) * 2 + o[2]; });
     }},
    {.what = "UpSampling2D nearest (ref)", .make = factory<UpSampling2D>(Ints{2, 3}, "channels_last", "nearest", o64),
     .input_shape = {1, 2, 2, 2}, .expected_shape = {1, 4, 6, 2},
     .reference = [](const Inputs& x, Layer&) {
       return refs::gather_map(x[0], Shape{1, 4, 6, 2},
                               [](const std::vector<std::int64_t>& o) { return ((o[1] / 2) * 2 + o[2] / 3) * 2 + o[3]; });
     }},
    {.what = "UpSampling2D bilinear (ref)", .make = factory<UpSampling2D>(Ints{2, 3}, "channels_last", "bilinear", o64),
     .input_shape = {2, 3, 2, 2}, .expected_shape = {2, 6, 6, 2},
     .reference = [](const Inputs& x, Layer&) {
       const auto v = refs::vals(x[0]);
       // Half-pixel centers, clamped: output i samples (i + 0.5) / f - 0.5.
       auto sample = [](std::int64_t i, std::int64_t f, std::int64_t n, std::int64_t& lo, std::int64_t& hi) {
         const double p = std::clamp((static_cast<double>(i) + 0.5) / static_cast<double>(f) - 0.5, 0.0, static_cast<double>(n - 1));
         lo = static_cast<std::int64_t>(std::floor(p));
         hi = std::min(lo + 1, n - 1);
         return p - static_cast<double>(lo);
       };
       refs::Vec y;
       refs::for_each_index({2, 6, 6, 2}, [&](const std::vector<std::int64_t>& o) {
         std::int64_t r0, r1, c0, c1;
         const double fr = sample(o[1], 2, 3, r0, r1), fc = sample(o[2], 3, 2, c0, c1);
         auto at = [&](std::int64_t r, std::int64_t c) { return v[static_cast<std::size_t>(((o[0] * 3 + r) * 2 + c) * 2 + o[3])]; };
         y.push_back((1 - fr) * ((1 - fc) * at(r0, c0) + fc * at(r0, c1)) + fr * ((1 - fc) * at(r1, c0) + fc * at(r1, c1)));
       });
       return refs::tensor(y, Shape{2, 6, 6, 2});
     }},
});

// ---- embedding, recurrent, attention ----

RecurrentOptions r64(RecurrentOptions o) {
  o.dtype = f64;
  return o;
}

Tensor project(const Tensor& x, const Tensor& kernel, const Tensor& bias) {
  return ops::add(ops::matmul(x, kernel), bias);
}

Tensor last_step(const Tensor& seq) {
  const auto t = seq.shape()[1];
  return ops::squeeze(ops::slice(seq, {0, t - 1, 0}, {-1, 1, -1}), {1});
}

KERAS_LAYER_CASES({
    {.what = "Embedding (ref)", .make = factory<Embedding>(5, 3, EmbeddingOptions{.dtype = f64}), .input_shape = {2, 4},
     .expected_shape = {2, 4, 3}, .low = 0.01, .high = 4.99,
     .reference = [](const Inputs& x, Layer& l) {
       const auto ids = refs::vals(x[0]), table = refs::vals(w(l, 0));
       refs::Vec y;
       for (double id : ids)
         for (int j = 0; j < 3; ++j) y.push_back(table[static_cast<std::size_t>(static_cast<int>(id)) * 3 + j]);
       return refs::tensor(y, Shape{2, 4, 3});
     }},
    {.what = "SimpleRNN (ref)", .make = factory<SimpleRNN>(3, r64({})), .input_shape = {2, 4, 2}, .expected_shape = {2, 3},
     .reference = [](const Inputs& x, Layer& l) {
       const Tensor xz = project(x[0], w(l, 0), w(l, 2));
       return last_step(recurrent_test::simple_rnn_reference(xz, ops::zeros({2, 3}, f64), w(l, 1)));
     }},
    {.what = "LSTM sequences (ref)", .make = factory<LSTM>(2, r64({.return_sequences = true})), .input_shape = {2, 3, 2},
     .expected_shape = {2, 3, 2},
     .reference = [](const Inputs& x, Layer& l) {
       const Tensor xz = project(x[0], w(l, 0), w(l, 2));
       const Tensor hc = recurrent_test::lstm_reference(xz, ops::zeros({2, 2}, f64), ops::zeros({2, 2}, f64), w(l, 1));
       return ops::slice(hc, {0, 0, 0}, {-1, -1, 2});
     }},
    {.what = "GRU reset_after (ref)", .make = factory<GRU>(2, r64({})), .input_shape = {2, 3, 2}, .expected_shape = {2, 2},
     .reference = [](const Inputs& x, Layer& l) {
       const Tensor b = w(l, 2);  // (2, 3u): input bias, recurrent bias
       const Tensor xz = project(x[0], w(l, 0), ops::squeeze(ops::slice(b, {0, 0}, {1, -1}), {0}));
       return last_step(recurrent_test::gru_reference(xz, ops::zeros({2, 2}, f64), w(l, 1),
                                                      ops::squeeze(ops::slice(b, {1, 0}, {1, -1}), {0}), true));
     }},
    {.what = "GRU reset_after=false (ref)", .make = factory<GRU>(2, r64({.reset_after = false})), .input_shape = {2, 3, 2},
     .expected_shape = {2, 2},
     .reference = [](const Inputs& x, Layer& l) {
       const Tensor xz = project(x[0], w(l, 0), w(l, 2));
       return last_step(recurrent_test::gru_reference(xz, ops::zeros({2, 2}, f64), w(l, 1), ops::zeros({6}, f64), false));
     }},
    {.what = "RNN(SimpleRNNCell)", .make = [] { return make<RNN>(make<SimpleRNNCell>(2, r64({})), r64({})); },
     .input_shape = {2, 3, 2}, .expected_shape = {2, 2}},
    {.what = "RNN(LSTMCell) sequences", .make = [] { return make<RNN>(make<LSTMCell>(2, r64({})), r64({.return_sequences = true})); },
     .input_shape = {2, 3, 2}, .expected_shape = {2, 3, 2}},
    {.what = "RNN(GRUCell) backwards", .make = [] { return make<RNN>(make<GRUCell>(2, r64({})), r64({.go_backwards = true})); },
     .input_shape = {2, 3, 2}, .expected_shape = {2, 2}},
    {.what = "Bidirectional(SimpleRNN) ave",
     .make = [] { return make<Bidirectional>(make<SimpleRNN>(2, r64({})), "ave", nullptr, LayerOptions{.dtype = f64}); },
     .input_shape = {2, 3, 2}, .expected_shape = {2, 2}},
    {.what = "TimeDistributed(Conv1D)",
     .make = [] { return make<TimeDistributed>(make<Conv1D>(2, Ints{2}, ConvOptions{.dtype = f64}), o64); },
     .input_shape = {2, 3, 4, 2}, .expected_shape = {2, 3, 3, 2}},
    {.what = "Attention dot (ref)", .make = factory<Attention>(AttentionOptions{.dtype = f64}), .input_shape = {2, 3, 4},
     .expected_shape = {2, 3, 4}, .more_inputs = {{2, 5, 4}},
     .reference = [](const Inputs& x, Layer&) {
       const auto q = refs::vals(x[0]), v = refs::vals(x[1]);
       const Tensor scores = refs::tensor(refs::bmm(q, v, 2, 3, 4, 5, true), Shape{2, 3, 5});
       return refs::tensor(refs::bmm(refs::vals(refs::softmax_last(scores)), v, 2, 3, 5, 4, false), Shape{2, 3, 4});
     }},
    {.what = "Attention scaled, with key", .make = factory<Attention>(AttentionOptions{.use_scale = true, .dtype = f64}),
     .input_shape = {2, 3, 4}, .expected_shape = {2, 3, 4}, .more_inputs = {{2, 5, 4}, {2, 5, 4}}},
    {.what = "AdditiveAttention (ref)", .make = factory<AdditiveAttention>(AttentionOptions{.use_scale = true, .dtype = f64}),
     .input_shape = {2, 3, 4}, .expected_shape = {2, 3, 4}, .more_inputs = {{2, 2, 4}},
     .reference = [](const Inputs& x, Layer& l) {
       // scores[i, j] = sum_d scale[d] * tanh(q[i, d] + v[j, d])
       const auto q = refs::vals(x[0]), v = refs::vals(x[1]), s = refs::vals(w(l, 0));
       refs::Vec scores;
       for (int b = 0; b < 2; ++b)
         for (int i = 0; i < 3; ++i)
           for (int j = 0; j < 2; ++j) {
             double acc = 0;
             for (int d = 0; d < 4; ++d) acc += s[d] * std::tanh(q[(b * 3 + i) * 4 + d] + v[(b * 2 + j) * 4 + d]);
             scores.push_back(acc);
           }
       const auto p = refs::vals(refs::softmax_last(refs::tensor(scores, Shape{2, 3, 2})));
       return refs::tensor(refs::bmm(p, v, 2, 3, 2, 4, false), Shape{2, 3, 4});
     }},
    {.what = "MultiHeadAttention", .make = [] { return make<MultiHeadAttention>(2, 3, MultiHeadAttentionOptions{.dtype = f64}); },
     .input_shape = {2, 3, 4}, .expected_shape = {2, 3, 4}, .more_inputs = {{2, 2, 5}}},
});

}  // namespace
