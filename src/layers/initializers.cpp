// Keras 3 initializers (keras/src/initializers): constant, random and variance-scaling.
#include "keras/initializers.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <random>

#include "keras/ops/ops.h"

namespace keras::initializers {
namespace {

// Seeds for initializers created without one. Keras draws them from Python's RNG, so they
// cannot match Keras's numbers anyway; what matters is that two unseeded initializers
// differ and each one is repeatable.
std::uint64_t make_default_seed() {
  static std::mutex mutex;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mutex);
  return engine();
}

void require_defined(const Shape& shape, const std::string& who) {
  if (!shape.is_fully_defined())
    throw ValueError(who + " needs a fully defined shape. Received: shape=" + shape.to_string());
}

Tensor cast_to(const Tensor& t, DType dtype) { return t.dtype() == dtype ? t : ops::cast(t, dtype); }

// Random draws come as float32 or float64; integer weights go through a cast.
DType draw_dtype(DType dtype) { return dtype == DType::float64 ? DType::float64 : DType::float32; }

Config seed_or_null(const std::optional<std::uint64_t>& seed) {
  return seed ? Config(*seed) : Config(nullptr);
}

}  // namespace

std::pair<double, double> compute_fans(const Shape& shape) {
  const auto& d = shape.dims();
  if (d.empty()) return {1.0, 1.0};
  if (d.size() == 1) return {static_cast<double>(d[0]), static_cast<double>(d[0])};
  if (d.size() == 2) return {static_cast<double>(d[0]), static_cast<double>(d[1])};
  double receptive = 1.0;
  for (std::size_t i = 0; i + 2 < d.size(); ++i) receptive *= static_cast<double>(d[i]);
  return {static_cast<double>(d[d.size() - 2]) * receptive, static_cast<double>(d.back()) * receptive};
}

// ---- constants -----------------------------------------------------------------------------

Tensor Zeros::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "Zeros");
  return ops::zeros(shape, dtype);
}

Tensor Ones::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "Ones");
  return ops::ones(shape, dtype);
}

Constant::Constant(double value) : value_(Tensor::scalar(value, DType::float64)) {}
Constant::Constant(const Tensor& value) {
  if (!value.defined() || value.is_symbolic())
    throw ValueError("Constant initializer expects a concrete value (a number or a concrete tensor).");
  value_ = cast_to(value, DType::float64).copy();
}
Constant::Constant(const std::vector<double>& values)
    : value_(Tensor::from_vector(values, Shape{static_cast<std::int64_t>(values.size())})) {}

Tensor Constant::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "Constant");
  Tensor v = value_;
  if (v.shape() != shape) {
    bool ok = true;
    try {
      ok = broadcast_shapes(v.shape(), shape, "Constant") == shape;
    } catch (const ValueError&) {
      ok = false;
    }
    if (!ok)
      throw ValueError("Constant initializer value of shape " + v.shape().to_string() +
                       " cannot be broadcast to the weight's shape " + shape.to_string() +
                       ". Received: value shape=" + v.shape().to_string());
    v = ops::broadcast_to(v, shape);
  }
  return cast_to(v, dtype).copy();
}

Config Constant::get_config() const {
  Config c;
  if (value_.rank() == 0) {
    c["value"] = value_.item();
  } else {
    // Nested lists, as json.dumps of a NumPy array's tolist() would give.
    const auto flat = value_.to_vector<double>();
    std::function<Config(int, std::size_t&)> nest = [&](int axis, std::size_t& pos) {
      Config list = Config::array();
      for (std::int64_t i = 0; i < value_.shape().dims()[axis]; ++i)
        list.push_back(axis + 1 == value_.rank() ? Config(flat[pos++]) : nest(axis + 1, pos));
      return list;
    };
    std::size_t pos = 0;
    c["value"] = nest(0, pos);
  }
  return c;
}

Tensor Identity::operator()(const Shape& shape, DType dtype) const {
  if (shape.rank() != 2)
    throw ValueError("Identity matrix initializer can only be used for 2D matrices. Received: shape=" +
                     shape.to_string() + " of rank " + std::to_string(shape.rank()) + ".");
  require_defined(shape, "Identity");
  Tensor e = ops::eye(shape.dims()[0], shape.dims()[1], DType::float64);
  return cast_to(ops::multiply(e, Tensor::scalar(gain_, DType::float64)), dtype).copy();
}

Config Identity::get_config() const { return Config{{"gain", gain_}}; }

// ---- random --------------------------------------------------------------------------------

RandomInitializer::RandomInitializer(std::optional<std::uint64_t> seed)
    : seed_(seed ? *seed : make_default_seed()), init_seed_(seed) {}

Config RandomInitializer::seed_config() const { return seed_or_null(init_seed_); }

RandomUniform::RandomUniform(double minval, double maxval, std::optional<std::uint64_t> seed)
    : RandomInitializer(seed), minval_(minval), maxval_(maxval) {}

Tensor RandomUniform::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "RandomUniform");
  return cast_to(random::uniform(shape, minval_, maxval_, draw_dtype(dtype), seed_), dtype);
}

Config RandomUniform::get_config() const {
  Config c;
  c["seed"] = seed_config();
  c["minval"] = minval_;
  c["maxval"] = maxval_;
  return c;
}

RandomNormal::RandomNormal(double mean, double stddev, std::optional<std::uint64_t> seed)
    : RandomInitializer(seed), mean_(mean), stddev_(stddev) {}

Tensor RandomNormal::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "RandomNormal");
  return cast_to(random::normal(shape, mean_, stddev_, draw_dtype(dtype), seed_), dtype);
}

Config RandomNormal::get_config() const {
  Config c;
  c["seed"] = seed_config();
  c["mean"] = mean_;
  c["stddev"] = stddev_;
  return c;
}

TruncatedNormal::TruncatedNormal(double mean, double stddev, std::optional<std::uint64_t> seed)
    : RandomInitializer(seed), mean_(mean), stddev_(stddev) {}

Tensor TruncatedNormal::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, "TruncatedNormal");
  return cast_to(random::truncated_normal(shape, mean_, stddev_, draw_dtype(dtype), seed_), dtype);
}

Config TruncatedNormal::get_config() const {
  Config c;
  c["seed"] = seed_config();
  c["mean"] = mean_;
  c["stddev"] = stddev_;
  return c;
}

VarianceScaling::VarianceScaling(double scale, std::string mode, std::string distribution,
                                 std::optional<std::uint64_t> seed)
    : RandomInitializer(seed), scale_(scale), mode_(std::move(mode)), distribution_(std::move(distribution)) {
  if (!(scale_ > 0.0))
    throw ValueError("Argument `scale` must be positive float. Received: scale=" + std::to_string(scale_));
  if (mode_ != "fan_in" && mode_ != "fan_out" && mode_ != "fan_avg")
    throw ValueError("Invalid `mode` argument: expected one of {\"fan_in\", \"fan_out\", \"fan_avg\"}. Received: mode=" +
                     mode_);
  if (distribution_ == "normal") distribution_ = "truncated_normal";  // Keras's legacy alias
  if (distribution_ != "uniform" && distribution_ != "truncated_normal" && distribution_ != "untruncated_normal")
    throw ValueError(
        "Invalid `distribution` argument: expected one of {\"uniform\", \"truncated_normal\", "
        "\"untruncated_normal\"}. Received: distribution=" + distribution_);
}

Tensor VarianceScaling::operator()(const Shape& shape, DType dtype) const {
  require_defined(shape, class_name());
  const auto [fan_in, fan_out] = compute_fans(shape);
  double scale = scale_;
  if (mode_ == "fan_in") scale /= std::max(1.0, fan_in);
  else if (mode_ == "fan_out") scale /= std::max(1.0, fan_out);
  else scale /= std::max(1.0, (fan_in + fan_out) / 2.0);
  const DType d = draw_dtype(dtype);
  Tensor out;
  if (distribution_ == "truncated_normal") {
    // Stddev of a unit normal truncated to [-2, 2]: dividing by it restores the target variance.
    const double stddev = std::sqrt(scale) / 0.87962566103423978;
    out = random::truncated_normal(shape, 0.0, stddev, d, seed_);
  } else if (distribution_ == "untruncated_normal") {
    out = random::normal(shape, 0.0, std::sqrt(scale), d, seed_);
  } else {
    const double limit = std::sqrt(3.0 * scale);
    out = random::uniform(shape, -limit, limit, d, seed_);
  }
  return cast_to(out, dtype);
}

Config VarianceScaling::get_config() const {
  Config c;
  c["seed"] = seed_config();
  c["scale"] = scale_;
  c["mode"] = mode_;
  c["distribution"] = distribution_;
  return c;
}

namespace {
Config preset_config(const Config& seed) {
  Config c;
  c["seed"] = seed;
  c["input_axes"] = nullptr;
  c["output_axes"] = nullptr;
  return c;
}
}  // namespace

Config GlorotUniform::get_config() const { return preset_config(seed_config()); }
Config GlorotNormal::get_config() const { return preset_config(seed_config()); }
Config HeUniform::get_config() const { return preset_config(seed_config()); }
Config HeNormal::get_config() const { return preset_config(seed_config()); }
Config LecunUniform::get_config() const { return preset_config(seed_config()); }
Config LecunNormal::get_config() const { return preset_config(seed_config()); }

Orthogonal::Orthogonal(double gain, std::optional<std::uint64_t> seed) : RandomInitializer(seed), gain_(gain) {}

Tensor Orthogonal::operator()(const Shape& shape, DType dtype) const {
  if (shape.rank() < 2)
    throw ValueError("The tensor to initialize must be at least two-dimensional. Received: shape=" +
                     shape.to_string() + " of rank " + std::to_string(shape.rank()) + ".");
  require_defined(shape, "Orthogonal");
  std::int64_t rows = 1;
  for (int i = 0; i + 1 < shape.rank(); ++i) rows *= shape.dims()[i];
  const std::int64_t cols = shape.dims().back();
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  auto a = random::normal(Shape{m, n}, 0.0, 1.0, DType::float64, seed_).to_vector<double>();

  // Modified Gram-Schmidt QR of the (m, n) matrix, column by column; q's columns are
  // orthonormal and r's diagonal is kept positive, which is Keras's `q *= sign(diag(r))`.
  std::vector<double> q(static_cast<std::size_t>(m * n));
  for (std::int64_t j = 0; j < n; ++j) {
    std::vector<double> v(static_cast<std::size_t>(m));
    for (std::int64_t i = 0; i < m; ++i) v[i] = a[i * n + j];
    for (std::int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (std::int64_t i = 0; i < m; ++i) dot += q[i * n + k] * v[i];
      for (std::int64_t i = 0; i < m; ++i) v[i] -= dot * q[i * n + k];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (norm == 0) norm = 1;  // a zero draw has probability zero; avoid NaN anyway
    for (std::int64_t i = 0; i < m; ++i) q[i * n + j] = v[i] / norm;
  }
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  if (rows < cols) {
    // q is (cols, rows): transpose into (rows, cols).
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = gain_ * q[c * n + r];
  } else {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = gain_ * q[i];
  }
  return cast_to(Tensor::from_vector(out, shape), dtype).copy();
}

Config Orthogonal::get_config() const {
  Config c;
  c["seed"] = seed_config();
  c["gain"] = gain_;
  return c;
}

// ---- lookup --------------------------------------------------------------------------------

InitializerPtr get(const std::string& name) {
  if (name == "zeros" || name == "zero" || name == "Zeros") return std::make_shared<Zeros>();
  if (name == "ones" || name == "one" || name == "Ones") return std::make_shared<Ones>();
  if (name == "constant" || name == "Constant") return std::make_shared<Constant>();
  if (name == "uniform" || name == "random_uniform" || name == "RandomUniform") return std::make_shared<RandomUniform>();
  if (name == "normal" || name == "random_normal" || name == "RandomNormal") return std::make_shared<RandomNormal>();
  if (name == "truncated_normal" || name == "TruncatedNormal") return std::make_shared<TruncatedNormal>();
  if (name == "glorot_uniform" || name == "GlorotUniform") return std::make_shared<GlorotUniform>();
  if (name == "glorot_normal" || name == "GlorotNormal") return std::make_shared<GlorotNormal>();
  if (name == "he_uniform" || name == "HeUniform") return std::make_shared<HeUniform>();
  if (name == "he_normal" || name == "HeNormal") return std::make_shared<HeNormal>();
  if (name == "lecun_uniform" || name == "LecunUniform") return std::make_shared<LecunUniform>();
  if (name == "lecun_normal" || name == "LecunNormal") return std::make_shared<LecunNormal>();
  if (name == "orthogonal" || name == "Orthogonal" || name == "OrthogonalInitializer")
    return std::make_shared<Orthogonal>();
  if (name == "identity" || name == "Identity" || name == "IdentityInitializer") return std::make_shared<Identity>();
  if (name == "variance_scaling" || name == "VarianceScaling") return std::make_shared<VarianceScaling>();
  throw ValueError(
      "Could not interpret initializer identifier: expected one of zeros, ones, constant, uniform, random_uniform, "
      "normal, random_normal, truncated_normal, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, "
      "lecun_normal, orthogonal, identity, variance_scaling (or their class names). Received: " + name);
}

InitializerPtr InitializerArg::resolve(const std::string& fallback) const {
  if (init_) return init_;
  return get(name_.empty() ? fallback : name_);
}

Config serialize(const Initializer& init) {
  Config c;
  c["module"] = "keras.initializers";
  c["class_name"] = init.class_name();
  c["config"] = init.get_config();
  c["registered_name"] = nullptr;
  return c;
}

}  // namespace keras::initializers
