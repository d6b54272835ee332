// Permute, RepeatVector, Cropping1D/2D, ZeroPadding1D/2D, UpSampling1D/2D.
#include <algorithm>
#include <cmath>

#include "keras/layers/reshaping.h"
#include "keras/ops/ops.h"
#include "layer_args.h"

namespace keras::layers {

namespace {

InputSpec rank_spec(int rank) {
  InputSpec spec;
  spec.ndim = rank;
  return spec;
}

// Each entry of a 2-D (before, after) argument standardized to two values.
std::vector<Ints> standardize_pairs(const std::vector<Ints>& value, const char* name, const std::string& layer) {
  if (value.size() != 2)
    throw ValueError("Layer \"" + layer + "\": `" + name + "` should have two elements. Received: " + name +
                     " with " + std::to_string(value.size()) + " elements.");
  return {detail::standardize_tuple(value[0], 2, std::string("1st entry of ") + name, layer, true),
          detail::standardize_tuple(value[1], 2, std::string("2nd entry of ") + name, layer, true)};
}

Config pairs_json(const std::vector<Ints>& pairs) {
  Config a = Config::array();
  for (const auto& p : pairs) a.push_back(detail::ints_json(p));
  return a;
}

// x repeated n times along `axis`, each element next to its copies ([a, b] -> [a, a, b, b]).
Tensor repeat_elements(const Tensor& x, int axis, std::int64_t n) {
  if (n == 1) return x;
  const Tensor e = ops::expand_dims(x, axis + 1);
  const Tensor tiled = ops::concatenate(std::vector<Tensor>(static_cast<std::size_t>(n), e), axis + 1);
  Shape target = x.shape();
  for (int i = 1; i < x.rank(); ++i)
    if (target.dims()[static_cast<std::size_t>(i)] < 0)
      throw ValueError("Up-sampling needs every non-batch dimension of its input. Received: shape " +
                       x.shape().to_string());
  target.dims()[static_cast<std::size_t>(axis)] *= n;
  return ops::reshape(tiled, target);
}

// x[..., before : size - after, ...] on the given axes.
Tensor crop(const Tensor& x, const std::vector<int>& axes, const std::vector<Ints>& crops, const Layer& layer) {
  std::vector<std::int64_t> start(static_cast<std::size_t>(x.rank()), 0), sizes(static_cast<std::size_t>(x.rank()), -1);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<std::size_t>(axes[i]);
    const std::int64_t d = x.shape().dims()[a];
    if (d < 0)
      throw ValueError("Layer \"" + layer.name() + "\" needs the size of the cropped axes. Received: shape " +
                       x.shape().to_string());
    start[a] = crops[i][0];
    sizes[a] = d - crops[i][0] - crops[i][1];
  }
  return ops::slice(x, start, sizes);
}

// Bilinear upsampling by `factor` along `axis` (input length n), as ops.image.resize without
// antialias: output i samples the input at (i + 0.5) / factor - 0.5 (half-pixel centers),
// clamped to [0, n - 1] so that the edges repeat the border value. The sampling pattern is
// constant, so it is two gathers and a blend with constant weights (differentiable in x).
Tensor bilinear_upsample_axis(const Tensor& x, int axis, std::int64_t n, std::int64_t factor) {
  if (factor == 1) return x;
  const std::int64_t m = n * factor;
  std::vector<std::int64_t> lo(static_cast<std::size_t>(m)), hi(static_cast<std::size_t>(m));
  std::vector<double> frac(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < m; ++i) {
    double pos = (static_cast<double>(i) + 0.5) / static_cast<double>(factor) - 0.5;
    pos = std::clamp(pos, 0.0, static_cast<double>(n - 1));
    const auto l = static_cast<std::int64_t>(std::floor(pos));
    lo[static_cast<std::size_t>(i)] = l;
    hi[static_cast<std::size_t>(i)] = std::min(l + 1, n - 1);
    frac[static_cast<std::size_t>(i)] = pos - static_cast<double>(l);
  }
  std::vector<std::int64_t> wshape(static_cast<std::size_t>(x.rank()), 1);
  wshape[static_cast<std::size_t>(axis)] = m;
  const Tensor w = ops::cast(Tensor::from_vector(frac, Shape(wshape)), x.dtype());
  const Tensor a = ops::take(x, Tensor::from_vector(lo, Shape{m}), axis);
  const Tensor b = ops::take(x, Tensor::from_vector(hi, Shape{m}), axis);
  return ops::add(a, ops::multiply(ops::subtract(b, a), w));
}

}  // namespace

// ---- Permute ------------------------------------------------------------------------------------

Permute::Permute(std::vector<int> dims, LayerOptions options) : Layer(std::move(options), "Permute"), dims_(std::move(dims)) {
  std::vector<int> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int>(i) + 1) {
      std::string s = "(";
      for (std::size_t j = 0; j < dims_.size(); ++j) s += (j ? ", " : "") + std::to_string(dims_[j]);
      throw ValueError("Invalid permutation argument `dims` for Permute Layer \"" + name() +
                       "\". The set of indices in `dims` must be consecutive and start from 1. Received dims=" + s +
                       (dims_.size() == 1 ? ",)" : ")"));
    }
  set_input_spec({rank_spec(static_cast<int>(dims_.size()) + 1)});
}

Shape Permute::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, static_cast<int>(dims_.size()) + 1, name(), class_name(), "(batch, ...)");
  Shape out{input_shape.dims()[0]};
  for (int d : dims_) out.push_back(input_shape.dims()[static_cast<std::size_t>(d)]);
  return out;
}

Tensor Permute::call(const Tensor& x) {
  std::vector<int> perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return ops::transpose(x, perm);
}

Config Permute::get_config() const {
  Config c = base_config();
  Config dims = Config::array();
  for (int d : dims_) dims.push_back(d);
  c["dims"] = dims;
  return c;
}

// ---- RepeatVector -------------------------------------------------------------------------------

RepeatVector::RepeatVector(std::int64_t n, LayerOptions options) : Layer(std::move(options), "RepeatVector"), n_(n) {
  if (n <= 0)
    throw ValueError("Layer \"" + name() + "\": argument `n` should be a positive integer. Received: n=" +
                     std::to_string(n));
  set_input_spec({rank_spec(2)});
}

Shape RepeatVector::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 2, name(), class_name(), "(batch, features)");
  return Shape{input_shape.dims()[0], n_, input_shape.dims()[1]};
}

Tensor RepeatVector::call(const Tensor& x) {
  const Tensor e = ops::expand_dims(x, 1);
  return n_ == 1 ? e : ops::concatenate(std::vector<Tensor>(static_cast<std::size_t>(n_), e), 1);
}

Config RepeatVector::get_config() const {
  Config c = base_config();
  c["n"] = n_;
  return c;
}

// ---- Cropping1D / Cropping2D --------------------------------------------------------------------

Cropping1D::Cropping1D(const Ints& cropping, LayerOptions options) : Layer(std::move(options), "Cropping1D") {
  cropping_ = detail::standardize_tuple(cropping, 2, "cropping", name(), /*allow_zero=*/true);
  set_input_spec({rank_spec(3)});
}

Shape Cropping1D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 3, name(), class_name(), "(batch, steps, features)");
  Shape out = input_shape;
  const std::int64_t steps = input_shape.dims()[1];
  if (steps >= 0) {
    if (steps - cropping_[0] - cropping_[1] <= 0)
      throw ValueError("`cropping` parameter of `Cropping1D` layer \"" + name() +
                       "\" must be smaller than the input length. Received: input_shape=" + input_shape.to_string() +
                       ", cropping=" + detail::ints_string(cropping_));
    out.dims()[1] = steps - cropping_[0] - cropping_[1];
  }
  return out;
}

Tensor Cropping1D::call(const Tensor& x) {
  compute_output_shape(x.shape());
  return crop(x, {1}, {cropping_}, *this);
}

Config Cropping1D::get_config() const {
  Config c = base_config();
  c["cropping"] = detail::ints_json(cropping_);
  return c;
}

Cropping2D::Cropping2D(const std::vector<Ints>& cropping, std::string data_format, LayerOptions options)
    : Layer(std::move(options), "Cropping2D") {
  data_format_ = detail::standardize_data_format(data_format, name());
  cropping_ = standardize_pairs(cropping, "cropping", name());
  set_input_spec({rank_spec(4)});
}

Shape Cropping2D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 4, name(), class_name(), "(batch, rows, cols, channels)");
  const int first = data_format_ == "channels_first" ? 2 : 1;
  Shape out = input_shape;
  for (int i = 0; i < 2; ++i) {
    const auto a = static_cast<std::size_t>(first + i);
    const std::int64_t d = input_shape.dims()[a];
    if (d < 0) continue;
    const auto& c = cropping_[static_cast<std::size_t>(i)];
    if (c[0] + c[1] >= d)
      throw ValueError("Values in `cropping` argument of layer \"" + name() +
                       "\" should be smaller than the corresponding spatial dimension of the input. Received: "
                       "input_shape=" + input_shape.to_string() + ", cropping=(" + detail::ints_string(cropping_[0]) +
                       ", " + detail::ints_string(cropping_[1]) + ")");
    out.dims()[a] = d - c[0] - c[1];
  }
  return out;
}

Tensor Cropping2D::call(const Tensor& x) {
  compute_output_shape(x.shape());
  const int first = data_format_ == "channels_first" ? 2 : 1;
  return crop(x, {first, first + 1}, cropping_, *this);
}

Config Cropping2D::get_config() const {
  Config c = base_config();
  c["cropping"] = pairs_json(cropping_);
  c["data_format"] = data_format_;
  return c;
}

// ---- ZeroPadding1D / ZeroPadding2D --------------------------------------------------------------

ZeroPadding1D::ZeroPadding1D(const Ints& padding, std::string data_format, LayerOptions options)
    : Layer(std::move(options), "ZeroPadding1D") {
  data_format_ = detail::standardize_data_format(data_format, name());
  padding_ = detail::standardize_tuple(padding, 2, "padding", name(), /*allow_zero=*/true);
  set_input_spec({rank_spec(3)});
}

Shape ZeroPadding1D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 3, name(), class_name(), "(batch, steps, features)");
  Shape out = input_shape;
  const auto a = static_cast<std::size_t>(data_format_ == "channels_first" ? 2 : 1);
  if (out.dims()[a] >= 0) out.dims()[a] += padding_[0] + padding_[1];
  return out;
}

Tensor ZeroPadding1D::call(const Tensor& x) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(3, {0, 0});
  pads[data_format_ == "channels_first" ? 2 : 1] = {padding_[0], padding_[1]};
  return ops::pad(x, pads);
}

Config ZeroPadding1D::get_config() const {
  Config c = base_config();
  c["padding"] = detail::ints_json(padding_);
  c["data_format"] = data_format_;
  return c;
}

ZeroPadding2D::ZeroPadding2D(const std::vector<Ints>& padding, std::string data_format, LayerOptions options)
    : Layer(std::move(options), "ZeroPadding2D") {
  data_format_ = detail::standardize_data_format(data_format, name());
  padding_ = standardize_pairs(padding, "padding", name());
  set_input_spec({rank_spec(4)});
}

Shape ZeroPadding2D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 4, name(), class_name(), "(batch, rows, cols, channels)");
  Shape out = input_shape;
  const int first = data_format_ == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i) {
    const auto a = static_cast<std::size_t>(first + i);
    if (out.dims()[a] >= 0) out.dims()[a] += padding_[static_cast<std::size_t>(i)][0] + padding_[static_cast<std::size_t>(i)][1];
  }
  return out;
}

Tensor ZeroPadding2D::call(const Tensor& x) {
  std::vector<std::pair<std::int64_t, std::int64_t>> pads(4, {0, 0});
  const int first = data_format_ == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i)
    pads[static_cast<std::size_t>(first + i)] = {padding_[static_cast<std::size_t>(i)][0],
                                                 padding_[static_cast<std::size_t>(i)][1]};
  return ops::pad(x, pads);
}

Config ZeroPadding2D::get_config() const {
  Config c = base_config();
  c["padding"] = pairs_json(padding_);
  c["data_format"] = data_format_;
  return c;
}

// ---- UpSampling1D / UpSampling2D ----------------------------------------------------------------

UpSampling1D::UpSampling1D(std::int64_t size, LayerOptions options) : Layer(std::move(options), "UpSampling1D"), size_(size) {
  if (size <= 0)
    throw ValueError("Layer \"" + name() + "\": argument `size` should be a positive integer. Received: size=" +
                     std::to_string(size));
  set_input_spec({rank_spec(3)});
}

Shape UpSampling1D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 3, name(), class_name(), "(batch, steps, features)");
  Shape out = input_shape;
  if (out.dims()[1] >= 0) out.dims()[1] *= size_;
  return out;
}

Tensor UpSampling1D::call(const Tensor& x) { return repeat_elements(x, 1, size_); }

Config UpSampling1D::get_config() const {
  Config c = base_config();
  c["size"] = size_;
  return c;
}

UpSampling2D::UpSampling2D(const Ints& size, std::string data_format, std::string interpolation, LayerOptions options)
    : Layer(std::move(options), "UpSampling2D") {
  data_format_ = detail::standardize_data_format(data_format, name());
  size_ = detail::standardize_tuple(size, 2, "size", name());
  for (char& ch : interpolation) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  interpolation_ = interpolation;
  if (interpolation_ != "nearest" && interpolation_ != "bilinear")
    throw NotImplementedError("Layer \"" + name() + "\" (UpSampling2D) supports interpolation \"nearest\" and "
                              "\"bilinear\". Received: interpolation=" + interpolation_);
  set_input_spec({rank_spec(4)});
}

Shape UpSampling2D::compute_output_shape(const Shape& input_shape) {
  detail::require_rank(input_shape, 4, name(), class_name(), "(batch, rows, cols, channels)");
  Shape out = input_shape;
  const int first = data_format_ == "channels_first" ? 2 : 1;
  for (int i = 0; i < 2; ++i) {
    const auto a = static_cast<std::size_t>(first + i);
    if (out.dims()[a] >= 0) out.dims()[a] *= size_[static_cast<std::size_t>(i)];
  }
  return out;
}

Tensor UpSampling2D::call(const Tensor& x) {
  const int first = data_format_ == "channels_first" ? 2 : 1;
  if (interpolation_ == "nearest")
    return repeat_elements(repeat_elements(x, first, size_[0]), first + 1, size_[1]);
  Tensor y = x;
  for (int i = 0; i < 2; ++i) {
    const std::int64_t n = x.shape().dims()[static_cast<std::size_t>(first + i)];
    if (n < 0)
      throw ValueError("Layer \"" + name() + "\" (UpSampling2D) with interpolation=\"bilinear\" needs known spatial "
                       "dimensions. Received: input shape " + x.shape().to_string());
    y = bilinear_upsample_axis(y, first + i, n, size_[static_cast<std::size_t>(i)]);
  }
  return y;
}

Config UpSampling2D::get_config() const {
  Config c = base_config();
  c["size"] = detail::ints_json(size_);
  c["data_format"] = data_format_;
  c["interpolation"] = interpolation_;
  return c;
}

}  // namespace keras::layers
