// The conv layers' fused op (conv_bias: relu(conv + bias) or conv + bias) and the relu-masked
// max-pooling gradient it folds into when traced: kernels against their naive references and
// the unfused kernels, thread-count independence, and traced gradients against the unfused
// composition of ops.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>

#include "backend/cpu/conv.h"
#include "backend/cpu/conv_pooling.h"
#include "keras/backend/parallel.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/op_def.h"
#include "keras/ops/ops.h"
#include "ops/conv_params.h"

namespace cpu = keras::backend::cpu;
using keras::Tensor;
namespace ops = keras::ops;

namespace {

template <typename T>
std::vector<T> random_values(std::int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = static_cast<T>(dist(rng));
  return v;
}

// n samples of in x in (channels c) -> f filters of k x k, "valid" or "same" (stride 1 only).
cpu::ConvGeometry geometry_2d(std::int64_t n, std::int64_t in, std::int64_t c, std::int64_t f, std::int64_t k,
                              std::int64_t stride, std::int64_t groups, bool same) {
  cpu::ConvGeometry g;
  g.n = n, g.c = c, g.f = f, g.groups = groups;
  for (int d = 1; d < 3; ++d) {
    g.in[d] = in, g.k[d] = k, g.stride[d] = stride;
    g.pad[d] = same ? (k - 1) / 2 : 0;
    g.out[d] = same ? (in + stride - 1) / stride : (in - k) / stride + 1;
  }
  return g;
}

template <typename T>
T relu(T v) {
  return (v > T(0) || v != v) ? v : T(0);
}

template <typename T>
void check_epilogue(const cpu::ConvGeometry& g, std::mt19937& rng, double tol) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.cg() * g.f,
                     ny = g.n * g.out_positions() * g.f;
  const auto x = random_values<T>(nx, rng), w = random_values<T>(nw, rng), b = random_values<T>(g.f, rng);
  for (bool with_relu : {false, true}) {
    // The fast kernel without an epilogue, then bias and relu as separate passes: the fused
    // epilogue must give exactly these values.
    std::vector<T> unfused(static_cast<std::size_t>(ny)), reference(static_cast<std::size_t>(ny));
    cpu::conv_forward(g, x.data(), w.data(), unfused.data());
    cpu::conv_forward_reference(g, x.data(), w.data(), reference.data());
    for (std::int64_t i = 0; i < ny; ++i) {
      const auto u = static_cast<std::size_t>(i);
      unfused[u] += b[static_cast<std::size_t>(i % g.f)];
      reference[u] += b[static_cast<std::size_t>(i % g.f)];
      if (with_relu) unfused[u] = relu(unfused[u]), reference[u] = relu(reference[u]);
    }
    std::vector<T> fused[2];
    const int saved = keras::backend::num_threads();
    for (int threads : {1, 2}) {
      keras::backend::set_num_threads(threads);
      fused[threads - 1].assign(static_cast<std::size_t>(ny), T(-7));
      cpu::conv_forward(g, x.data(), w.data(), fused[threads - 1].data(), cpu::ConvEpilogue<T>{b.data(), with_relu});
    }
    keras::backend::set_num_threads(saved);
    EXPECT_EQ(fused[0], unfused) << "relu=" << with_relu << " c=" << g.c << " f=" << g.f;
    EXPECT_EQ(fused[0], fused[1]) << "relu=" << with_relu << " c=" << g.c << " f=" << g.f;
    std::size_t zeros = 0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      ASSERT_LE(std::abs(static_cast<double>(fused[0][i]) - static_cast<double>(reference[i])),
                tol * (1.0 + std::abs(static_cast<double>(reference[i]))))
          << "relu=" << with_relu << " at " << i;
      zeros += fused[0][i] == T(0);
    }
    if (with_relu) {
      EXPECT_GT(zeros, reference.size() / 10);  // the relu did cut something
    }
  }
}

TEST(ConvBiasKernel, EpilogueMatchesSeparatePassesAndReference) {
  std::mt19937 rng(5);
  const std::vector<cpu::ConvGeometry> cases = {
      geometry_2d(3, 12, 1, 20, 3, 1, 1, false),   // one input channel: register-blocked, a partial vector
      geometry_2d(2, 9, 1, 32, 3, 2, 1, true),     // one channel, strided, border positions
      geometry_2d(24, 13, 32, 64, 3, 1, 1, false), // im2col: several chunks, taken whole by threads
      geometry_2d(2, 7, 4, 6, 3, 1, 2, true),      // grouped im2col
      geometry_2d(2, 5, 5, 7, 1, 1, 1, false),     // pointwise: one product
      geometry_2d(2, 6, 3, 6, 3, 1, 3, true),      // depthwise
  };
  for (const auto& g : cases) {
    check_epilogue<float>(g, rng, 1e-5);
    check_epilogue<double>(g, rng, 1e-12);
  }
}

// conv_backward_kernel with db: dw exactly as without it, db the column sums of dy (against
// double sums), and neither depending on the thread count.
template <typename T>
void check_bias_gradient(const cpu::ConvGeometry& g, std::mt19937& rng, double tol) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, nw = g.taps() * g.cg() * g.f,
                     ny = g.n * g.out_positions() * g.f;
  const auto x = random_values<T>(nx, rng), dy = random_values<T>(ny, rng);
  std::vector<T> dw_alone(static_cast<std::size_t>(nw)), dw[2], db[2];
  cpu::conv_backward_kernel(g, x.data(), dy.data(), dw_alone.data());
  const int saved = keras::backend::num_threads();
  for (int threads : {1, 2}) {
    keras::backend::set_num_threads(threads);
    dw[threads - 1].assign(static_cast<std::size_t>(nw), T(-7));
    db[threads - 1].assign(static_cast<std::size_t>(g.f), T(-7));
    cpu::conv_backward_kernel(g, x.data(), dy.data(), dw[threads - 1].data(), db[threads - 1].data());
  }
  keras::backend::set_num_threads(saved);
  EXPECT_EQ(dw[0], dw_alone) << "c=" << g.c << " f=" << g.f;
  EXPECT_EQ(dw[0], dw[1]) << "c=" << g.c << " f=" << g.f;
  EXPECT_EQ(db[0], db[1]) << "c=" << g.c << " f=" << g.f;
  std::vector<double> want(static_cast<std::size_t>(g.f), 0.0);
  for (std::int64_t i = 0; i < ny; ++i) want[static_cast<std::size_t>(i % g.f)] += static_cast<double>(dy[static_cast<std::size_t>(i)]);
  for (std::int64_t j = 0; j < g.f; ++j)
    EXPECT_NEAR(static_cast<double>(db[0][static_cast<std::size_t>(j)]), want[static_cast<std::size_t>(j)],
                tol * (1.0 + std::abs(want[static_cast<std::size_t>(j)])))
        << "c=" << g.c << " f=" << g.f << " filter " << j;
}

TEST(ConvBiasKernel, BiasGradientComesWithTheKernelGradient) {
  std::mt19937 rng(7);
  const std::vector<cpu::ConvGeometry> cases = {
      geometry_2d(4, 28, 1, 32, 3, 1, 1, false),   // the CNN's first layer: one channel
      geometry_2d(3, 12, 1, 20, 3, 2, 1, true),    // one channel, a partial vector, borders
      geometry_2d(24, 13, 32, 64, 3, 1, 1, false), // several im2col chunks
      geometry_2d(2, 6, 3, 5, 3, 1, 1, true),      // one chunk
      geometry_2d(2, 7, 4, 6, 3, 1, 2, true),      // grouped
      geometry_2d(2, 5, 5, 7, 1, 1, 1, false),     // pointwise
      geometry_2d(2, 6, 3, 6, 3, 1, 3, true),      // depthwise
  };
  for (const auto& g : cases) {
    check_bias_gradient<float>(g, rng, 1e-4);
    check_bias_gradient<double>(g, rng, 1e-12);
  }
}

// max_pool_backward / max_pool_gather with the relu mask against the reference (the unmasked
// reference followed by where(x > 0, ., 0)) and against the thread count.
template <typename T>
void check_masked_pool(const cpu::ConvGeometry& g, std::mt19937& rng, bool relu_input) {
  const std::int64_t nx = g.n * g.in_positions() * g.c, ny = g.n * g.out_positions() * g.c;
  auto x = random_values<T>(nx, rng);
  if (relu_input)  // zeros where the relu cut, and windows that are all zeros
    for (auto& v : x) v = relu(v);
  const auto dy = random_values<T>(ny, rng), h = random_values<T>(nx, rng);
  std::vector<T> dx_ref(static_cast<std::size_t>(nx)), pooled(static_cast<std::size_t>(ny));
  cpu::max_pool_backward_reference(g, x.data(), dy.data(), dx_ref.data(), true);
  cpu::max_pool_reference(g, x.data(), pooled.data());
  // gather: h at each argmax, zero where the window's maximum is not > 0.
  std::vector<T> gather_ref(static_cast<std::size_t>(ny));
  cpu::max_pool_gather(g, x.data(), h.data(), gather_ref.data(), false);
  for (std::size_t i = 0; i < gather_ref.size(); ++i)
    if (!(pooled[i] > T(0))) gather_ref[i] = T(0);
  std::vector<T> dx[2], gathered[2];
  const int saved = keras::backend::num_threads();
  for (int threads : {1, 2}) {
    keras::backend::set_num_threads(threads);
    dx[threads - 1].assign(static_cast<std::size_t>(nx), T(-7));
    gathered[threads - 1].assign(static_cast<std::size_t>(ny), T(-7));
    cpu::max_pool_backward(g, x.data(), dy.data(), dx[threads - 1].data(), true);
    cpu::max_pool_gather(g, x.data(), h.data(), gathered[threads - 1].data(), true);
  }
  keras::backend::set_num_threads(saved);
  EXPECT_EQ(dx[0], dx_ref) << "in " << g.in[2] << " k " << g.k[2] << " stride " << g.stride[2];
  EXPECT_EQ(dx[0], dx[1]);
  EXPECT_EQ(gathered[0], gather_ref);
  EXPECT_EQ(gathered[0], gathered[1]);
}

cpu::ConvGeometry pool_2d(std::int64_t n, std::int64_t in, std::int64_t c, std::int64_t k, std::int64_t stride,
                          bool same) {
  cpu::ConvGeometry g = geometry_2d(n, in, c, c, k, stride, 1, false);
  for (int d = 1; d < 3; ++d) {
    const std::int64_t out = same ? (in + stride - 1) / stride : (in - k) / stride + 1;
    g.out[d] = out;
    g.pad[d] = same ? std::max<std::int64_t>(0, (out - 1) * stride + k - in) / 2 : 0;
  }
  return g;
}

TEST(MaskedMaxPoolGrad, MatchesReferenceAndDoesNotDependOnTheThreadCount) {
  std::mt19937 rng(9);
  for (bool relu_input : {true, false}) {
    check_masked_pool<float>(pool_2d(2, 26, 32, 2, 2, false), rng, relu_input);  // the CNN's first pool
    check_masked_pool<float>(pool_2d(3, 11, 64, 2, 2, false), rng, relu_input);  // a dropped remainder
    check_masked_pool<float>(pool_2d(2, 5, 3, 2, 2, true), rng, relu_input);     // "same": partial windows
    check_masked_pool<float>(pool_2d(2, 7, 5, 3, 1, false), rng, relu_input);    // overlapping windows
    check_masked_pool<double>(pool_2d(2, 6, 4, 2, 2, false), rng, relu_input);
  }
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

// Every op name in the graph behind `t`, with "max_pool_grad+" for a relu-masked one.
void collect_ops(const std::shared_ptr<keras::Node>& node, std::set<const keras::Node*>& seen,
                 std::multiset<std::string>& names) {
  if (!node || !seen.insert(node.get()).second) return;
  if (node->kind == keras::NodeKind::op)
    names.insert(node->op->name + (node->op->name == "max_pool_grad" && node->attrs.flag ? "+" : ""));
  for (const auto& in : node->inputs) collect_ops(in, seen, names);
}

TEST(ConvBiasOp, EagerValuesAreConvPlusBiasThenRelu) {
  const Tensor x = keras::random::uniform({2, 7, 6, 3}, -1, 1, keras::DType::float32, 1);
  const Tensor w = keras::random::uniform({3, 3, 3, 5}, -1, 1, keras::DType::float32, 2);
  const Tensor b = keras::random::uniform({5}, -1, 1, keras::DType::float32, 3);
  const Tensor z = ops::add(ops::conv(x, w, {1}, "same"), b);
  EXPECT_EQ(values(ops::detail::conv_bias(x, w, b, true, {1}, "same", {1})), values(ops::relu(z)));
  EXPECT_EQ(values(ops::detail::conv_bias(x, w, b, false, {1}, "same", {1})), values(z));
  EXPECT_THROW(ops::detail::conv_bias(x, w, ops::zeros({4}), true, {1}, "same", {1}), keras::ValueError);
  EXPECT_THROW(ops::detail::conv_bias(x, w, ops::zeros({5}, keras::DType::float64), true, {1}, "same", {1}),
               keras::TypeError);
}

TEST(ConvBiasOp, TracedGradientsMatchTheUnfusedOpsAndFoldTheReluIntoThePooling) {
  keras::Variable w(keras::random::uniform({3, 3, 2, 4}, -1, 1, keras::DType::float32, 11), "w");
  keras::Variable b(keras::random::uniform({4}, -0.5, 0.5, keras::DType::float32, 13), "b");
  std::multiset<std::string> fused_ops, plain_ops;
  auto body = [&](bool fused, std::multiset<std::string>& names) {
    return [&, fused](const std::vector<Tensor>& in) {
      names.clear();  // the last trace's
      Tensor y = fused ? ops::detail::conv_bias(in[0], w, b, true, {1}, "valid", {1})
                       : ops::relu(ops::add(ops::conv(in[0], w, {1}, "valid"), b));
      Tensor p = ops::max_pool(y, {2});
      Tensor loss = ops::sum(ops::multiply(p, p));
      auto grads = keras::gradients(loss, {in[0], w, b});
      std::set<const keras::Node*> seen;
      for (const auto& g : grads) collect_ops(g.node(), seen, names);
      return std::vector<Tensor>{y, grads[0], grads[1], grads[2]};
    };
  };
  const Tensor x = keras::random::uniform({3, 9, 8, 2}, -1, 1, keras::DType::float32, 12);
  keras::Function f_fused(body(true, fused_ops)), f_plain(body(false, plain_ops));
  const auto fused = f_fused({x});
  const auto plain = f_plain({x});
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const auto a = values(fused[i]), e = values(plain[i]);
    ASSERT_EQ(a.size(), e.size());
    for (std::size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], e[j], 1e-6 * (1 + std::abs(e[j]))) << i << " " << j;
  }
  // The relu's where(y > 0, ...) became the pooling gradient's mask.
  EXPECT_EQ(fused_ops.count("max_pool_grad+"), 1u);
  EXPECT_EQ(fused_ops.count("max_pool_grad"), 0u);
  EXPECT_EQ(fused_ops.count("where"), 0u);
  EXPECT_EQ(plain_ops.count("where"), 1u);
}

}  // namespace
