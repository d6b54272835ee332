#pragma once
// Naive references for the harness (layer_harness.h): plain loops over std::vector<double>,
// written from Keras's definitions, independent of the kernels under test.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "keras/keras.h"

namespace layer_refs {

using keras::Shape;
using keras::Tensor;
using Vec = std::vector<double>;

inline Vec vals(const Tensor& t) { return keras::ops::cast(t, keras::DType::float64).to_vector<double>(); }
inline Tensor tensor(const Vec& v, const Shape& s) { return Tensor::from_vector(v, s); }

/// Row-major strides of a shape.
inline std::vector<std::int64_t> strides_of(const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[static_cast<std::size_t>(i)] = s[static_cast<std::size_t>(i) + 1] * dims[static_cast<std::size_t>(i) + 1];
  return s;
}

/// Calls fn(index) for every multi-index of `dims`, in row-major order.
inline void for_each_index(const std::vector<std::int64_t>& dims, const std::function<void(const std::vector<std::int64_t>&)>& fn) {
  std::vector<std::int64_t> idx(dims.size(), 0);
  for (auto d : dims)
    if (d == 0) return;
  while (true) {
    fn(idx);
    int k = static_cast<int>(dims.size()) - 1;
    while (k >= 0 && ++idx[static_cast<std::size_t>(k)] == dims[static_cast<std::size_t>(k)]) idx[static_cast<std::size_t>(k--)] = 0;
    if (k < 0) return;
  }
}

inline std::int64_t offset(const std::vector<std::int64_t>& idx, const std::vector<std::int64_t>& strides) {
  std::int64_t o = 0;
  for (std::size_t i = 0; i < idx.size(); ++i) o += idx[i] * strides[i];
  return o;
}

/// Applies a Keras activation by name to one value.
inline double activate(const std::string& name, double v) {
  if (name == "linear" || name.empty()) return v;
  if (name == "relu") return std::max(v, 0.0);
  if (name == "tanh") return std::tanh(v);
  if (name == "sigmoid") return 1 / (1 + std::exp(-v));
  throw std::runtime_error("layer_refs::activate: no reference for " + name);
}

/// Dense: act(x @ kernel + bias) over the last axis.
inline Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor* bias, const std::string& act) {
  const Vec xv = vals(x), k = vals(kernel);
  const std::int64_t in = kernel.shape()[0], units = kernel.shape()[1], rows = x.size() / in;
  const Vec b = bias ? vals(*bias) : Vec(static_cast<std::size_t>(units), 0.0);
  Vec y(static_cast<std::size_t>(rows * units));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t u = 0; u < units; ++u) {
      double s = b[static_cast<std::size_t>(u)];
      for (std::int64_t i = 0; i < in; ++i) s += xv[static_cast<std::size_t>(r * in + i)] * k[static_cast<std::size_t>(i * units + u)];
      y[static_cast<std::size_t>(r * units + u)] = activate(act, s);
    }
  Shape s = x.shape();
  s.dims().back() = units;
  return tensor(y, s);
}

/// Where the window of output position o starts (before padding), per Keras's padding modes.
inline std::int64_t pad_before(const std::string& padding, std::int64_t in, std::int64_t out, std::int64_t k,
                               std::int64_t stride, std::int64_t dilation) {
  const std::int64_t extent = (k - 1) * dilation + 1;
  if (padding == "valid") return 0;
  if (padding == "causal") return extent - 1;
  return std::max<std::int64_t>((out - 1) * stride + extent - in, 0) / 2;  // "same"
}

inline std::int64_t out_size(const std::string& padding, std::int64_t in, std::int64_t k, std::int64_t stride,
                             std::int64_t dilation) {
  const std::int64_t extent = (k - 1) * dilation + 1;
  if (padding == "valid") return (in - extent) / stride + 1;
  return (in + stride - 1) / stride;  // same, causal
}

/// Convolution, channels_last, any spatial rank: kernel (k..., cin / groups, filters).
inline Tensor conv(const Tensor& x, const Tensor& kernel, const Tensor* bias, std::vector<std::int64_t> strides,
                   std::vector<std::int64_t> dilation, const std::string& padding, std::int64_t groups = 1) {
  const auto& xd = x.shape().dims();
  const auto& kd = kernel.shape().dims();
  const std::size_t R = xd.size() - 2;
  if (strides.size() == 1) strides.assign(R, strides[0]);
  if (dilation.size() == 1) dilation.assign(R, dilation[0]);
  const std::int64_t cin = xd.back(), filters = kd.back(), cg = cin / groups, fg = filters / groups;
  std::vector<std::int64_t> od{xd[0]}, pads;
  for (std::size_t i = 0; i < R; ++i) {
    od.push_back(out_size(padding, xd[i + 1], kd[i], strides[i], dilation[i]));
    pads.push_back(pad_before(padding, xd[i + 1], od.back(), kd[i], strides[i], dilation[i]));
  }
  od.push_back(filters);
  const Vec xv = vals(x), kv = vals(kernel);
  const Vec b = bias ? vals(*bias) : Vec(static_cast<std::size_t>(filters), 0.0);
  const auto xs = strides_of(xd), ks = strides_of(kd);
  Vec y;
  std::vector<std::int64_t> kspatial(kd.begin(), kd.begin() + static_cast<std::ptrdiff_t>(R));
  for_each_index(od, [&](const std::vector<std::int64_t>& o) {
    const std::int64_t f = o.back(), g = f / fg;
    double s = b[static_cast<std::size_t>(f)];
    for_each_index(kspatial, [&](const std::vector<std::int64_t>& k) {
      std::vector<std::int64_t> xi{o[0]};
      for (std::size_t i = 0; i < R; ++i) {
        const std::int64_t p = o[i + 1] * strides[i] + k[i] * dilation[i] - pads[i];
        if (p < 0 || p >= xd[i + 1]) return;
        xi.push_back(p);
      }
      for (std::int64_t c = 0; c < cg; ++c) {
        std::vector<std::int64_t> xidx = xi, kidx = k;
        xidx.push_back(g * cg + c);
        kidx.push_back(c);
        kidx.push_back(f);
        s += xv[static_cast<std::size_t>(offset(xidx, xs))] * kv[static_cast<std::size_t>(offset(kidx, ks))];
      }
    });
    y.push_back(s);
  });
  return tensor(y, Shape(od));
}

/// Max or average pooling, channels_last, any spatial rank; windows never count padding.
inline Tensor pool(const Tensor& x, bool max, std::vector<std::int64_t> size, std::vector<std::int64_t> strides,
                   const std::string& padding) {
  const auto& xd = x.shape().dims();
  const std::size_t R = xd.size() - 2;
  std::vector<std::int64_t> od{xd[0]}, pads;
  for (std::size_t i = 0; i < R; ++i) {
    od.push_back(out_size(padding, xd[i + 1], size[i], strides[i], 1));
    pads.push_back(pad_before(padding, xd[i + 1], od.back(), size[i], strides[i], 1));
  }
  od.push_back(xd.back());
  const Vec xv = vals(x);
  const auto xs = strides_of(xd);
  Vec y;
  for_each_index(od, [&](const std::vector<std::int64_t>& o) {
    double acc = max ? -std::numeric_limits<double>::infinity() : 0.0;
    int n = 0;
    for_each_index(size, [&](const std::vector<std::int64_t>& k) {
      std::vector<std::int64_t> xi{o[0]};
      for (std::size_t i = 0; i < R; ++i) {
        const std::int64_t p = o[i + 1] * strides[i] + k[i] - pads[i];
        if (p < 0 || p >= xd[i + 1]) return;
        xi.push_back(p);
      }
      xi.push_back(o.back());
      const double v = xv[static_cast<std::size_t>(offset(xi, xs))];
      acc = max ? std::max(acc, v) : acc + v;
      ++n;
    });
    y.push_back(max ? acc : acc / n);
  });
  return tensor(y, Shape(od));
}

/// Maps every output element to an input element (or to zero with -1): reshaping layers.
inline Tensor gather_map(const Tensor& x, const Shape& out,
                         const std::function<std::int64_t(const std::vector<std::int64_t>&)>& source) {
  const Vec xv = vals(x);
  Vec y;
  for_each_index(out.dims(), [&](const std::vector<std::int64_t>& o) {
    const std::int64_t s = source(o);
    y.push_back(s < 0 ? 0.0 : xv[static_cast<std::size_t>(s)]);
  });
  return tensor(y, out);
}

/// Normalizes each run of `n` consecutive values (the last axes): (x - mean) / sqrt(var + eps)
/// * gamma + beta, gamma/beta indexed within the run.
inline Tensor normalize_runs(const Tensor& x, std::int64_t n, double eps, const Vec& gamma, const Vec& beta) {
  Vec v = vals(x);
  for (std::size_t start = 0; start < v.size(); start += static_cast<std::size_t>(n)) {
    double mean = 0, var = 0;
    for (std::int64_t i = 0; i < n; ++i) mean += v[start + static_cast<std::size_t>(i)] / static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i) var += std::pow(v[start + static_cast<std::size_t>(i)] - mean, 2) / static_cast<double>(n);
    for (std::int64_t i = 0; i < n; ++i) {
      auto& e = v[start + static_cast<std::size_t>(i)];
      e = (e - mean) / std::sqrt(var + eps) * gamma[static_cast<std::size_t>(i)] + beta[static_cast<std::size_t>(i)];
    }
  }
  return tensor(v, x.shape());
}

/// Softmax over the last axis.
inline Tensor softmax_last(const Tensor& x) {
  Vec v = vals(x);
  const auto n = static_cast<std::size_t>(x.shape().dims().back());
  for (std::size_t s = 0; s < v.size(); s += n) {
    double m = -std::numeric_limits<double>::infinity(), total = 0;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, v[s + i]);
    for (std::size_t i = 0; i < n; ++i) total += (v[s + i] = std::exp(v[s + i] - m));
    for (std::size_t i = 0; i < n; ++i) v[s + i] /= total;
  }
  return tensor(v, x.shape());
}

/// Element by element.
inline Tensor map(const Tensor& x, const std::function<double(double)>& f) {
  Vec v = vals(x);
  for (auto& e : v) e = f(e);
  return tensor(v, x.shape());
}

inline Tensor zip(const std::vector<Tensor>& xs, const std::function<double(const Vec&)>& f) {
  std::vector<Vec> v;
  for (const auto& x : xs) v.push_back(vals(x));
  Vec y(v[0].size());
  for (std::size_t i = 0; i < y.size(); ++i) {
    Vec args;
    for (const auto& a : v) args.push_back(a[i]);
    y[i] = f(args);
  }
  return tensor(y, xs[0].shape());
}

/// Batched matmul of (B, n, k) by (B, k, m), or by (B, m, k) transposed.
inline Vec bmm(const Vec& a, const Vec& b, std::int64_t B, std::int64_t n, std::int64_t k, std::int64_t m, bool b_transposed) {
  Vec y(static_cast<std::size_t>(B * n * m), 0.0);
  for (std::int64_t s = 0; s < B; ++s)
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < m; ++j) {
        double acc = 0;
        for (std::int64_t t = 0; t < k; ++t)
          acc += a[static_cast<std::size_t>((s * n + i) * k + t)] *
                 (b_transposed ? b[static_cast<std::size_t>((s * m + j) * k + t)] : b[static_cast<std::size_t>((s * k + t) * m + j)]);
        y[static_cast<std::size_t>((s * n + i) * m + j)] = acc;
      }
  return y;
}

}  // namespace layer_refs
