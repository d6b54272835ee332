// The fused recurrent ops (lstm_sequence, gru_sequence, simple_rnn_sequence) against their
// naive twins built from basic ops (recurrent_reference.h): values and gradients on random
// inputs, with and without masks, for every fused activation; the helpers reverse_time,
// mask_seen and previous_states; and the ops' input checks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cpu/matmul.h"
#include "backend/cpu/rnn.h"
#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"
#include "layers/recurrent_reference.h"
#include "ops/recurrent_ops.h"

namespace {

using keras::DType;
using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
namespace rnn = keras::ops::rnn;
using namespace recurrent_test;

Tensor random_tensor(const Shape& shape, unsigned seed, double low = -1.0, double high = 1.0,
                     DType dtype = DType::float64) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(gen);
  const Tensor t = Tensor::from_vector(v, shape);
  return dtype == DType::float64 ? t : ops::cast(t, dtype);
}

// A mask with masked steps at the start, middle and end of different rows, and a fully
// masked row.
// The states part of a fused op's output (its first `width` columns per step).
Tensor states_of(const Tensor& out, std::int64_t width) { return ops::slice(out, {0, 0, 0}, {-1, -1, width}); }

Tensor test_mask(std::int64_t batch, std::int64_t steps) {
  std::vector<bool> m(static_cast<std::size_t>(batch * steps), true);
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t t = 0; t < steps; ++t) {
      const bool masked = (b == 0 && t == steps - 1) || (b == 1 && t == 0) || (b == 2 && t % 2 == 1) || b == 3;
      m[static_cast<std::size_t>(b * steps + t)] = !masked;
    }
  return Tensor::from_bools(m, Shape{batch, steps});
}

void expect_near(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    if (std::abs(g[i] - w[i]) > worst) worst = std::abs(g[i] - w[i]), at = i;
  EXPECT_LE(worst, tol) << what << ": element " << at << " got " << g[at] << ", reference " << w[at];
}

struct ActivationCase {
  std::string act, rec;
  rnn::Activation a, r;
};

const std::vector<ActivationCase> kActivations = {
    {"tanh", "sigmoid", rnn::Activation::tanh, rnn::Activation::sigmoid},
    {"relu", "hard_sigmoid", rnn::Activation::relu, rnn::Activation::hard_sigmoid},
    {"linear", "sigmoid", rnn::Activation::linear, rnn::Activation::sigmoid},
};

// Values and the gradients of sum(out * w) for every float input, fused vs reference.
void compare(const std::vector<Tensor>& inputs, const std::function<Tensor(const std::vector<Tensor>&)>& fused,
             const std::function<Tensor(const std::vector<Tensor>&)>& reference, const std::string& what) {
  std::vector<Tensor> gf, gr;
  Tensor yf, yr;
  {
    keras::GradientTape tape;
    yf = fused(inputs);
    const Tensor w = random_tensor(yf.shape(), 99, 0.5, 1.5);
    gf = tape.gradient(ops::sum(ops::multiply(yf, w)), inputs);
  }
  {
    keras::GradientTape tape;
    yr = reference(inputs);
    const Tensor w = random_tensor(yr.shape(), 99, 0.5, 1.5);
    gr = tape.gradient(ops::sum(ops::multiply(yr, w)), inputs);
  }
  expect_near(yf, yr, 1e-12, what + " values");
  for (std::size_t i = 0; i < inputs.size(); ++i) expect_near(gf[i], gr[i], 1e-11, what + " gradient " + std::to_string(i));
}

// The fused LSTM's outputs in lstm_reference's layout: (B, T, 2u) [h | c] per step (both
// sequences, or h alone then (B, T, u)), or the final states (B, 2u). Inputs: x, kernel, bias,
// h0, c0, recurrent kernel.
enum class LstmRead { both_sequences, h_sequence, final_states };

Tensor fused_lstm(const std::vector<Tensor>& x, const Tensor& mask, rnn::Activation a, rnn::Activation r,
                  LstmRead read) {
  const rnn::LstmInputs in{x[0], x[1], x[2], x[3], x[4], x[5], mask, a, r};
  const Tensor tape = rnn::lstm_sequence(in);
  if (read == LstmRead::final_states) return rnn::lstm_output(tape, in, rnn::LstmOutput::final_states);
  const Tensor h = rnn::lstm_output(tape, in, rnn::LstmOutput::sequence);
  if (read == LstmRead::h_sequence) return h;
  return ops::concatenate({h, rnn::lstm_output(tape, in, rnn::LstmOutput::cell_sequence)}, 2);
}

Tensor reference_lstm(const std::vector<Tensor>& x, const Tensor& mask, const std::string& act, const std::string& rec,
                      LstmRead read) {
  const std::int64_t T = x[0].shape()[1], u = x[3].shape()[1];
  const Tensor states = lstm_reference(ops::add(ops::matmul(x[0], x[1]), x[2]), x[3], x[4], x[5], mask, act, rec);
  if (read == LstmRead::h_sequence) return states_of(states, u);
  if (read == LstmRead::final_states) return ops::squeeze(ops::slice(states, {0, T - 1, 0}, {-1, 1, -1}), {1});
  return states;
}

std::vector<Tensor> lstm_inputs(std::int64_t B, std::int64_t T, std::int64_t F, std::int64_t u, unsigned seed,
                                DType dtype = DType::float64) {
  return {random_tensor({B, T, F}, seed, -2, 2, dtype),         random_tensor({F, 4 * u}, seed + 1, -0.7, 0.7, dtype),
          random_tensor({4 * u}, seed + 2, -1, 1, dtype),       random_tensor({B, u}, seed + 3, -1, 1, dtype),
          random_tensor({B, u}, seed + 4, -1, 1, dtype),        random_tensor({u, 4 * u}, seed + 5, -0.7, 0.7, dtype)};
}

TEST(RecurrentOps, LstmSequenceMatchesNaiveStepsWithGradients) {
  const std::int64_t B = 4, T = 5, F = 2, u = 3;
  const std::vector<Tensor> in = lstm_inputs(B, T, F, u, 1);
  for (const auto& a : kActivations)
    for (bool masked : {false, true})
      for (LstmRead read : {LstmRead::both_sequences, LstmRead::h_sequence, LstmRead::final_states}) {
        const Tensor mask = masked ? test_mask(B, T) : Tensor();
        compare(
            in, [&](const auto& x) { return fused_lstm(x, mask, a.a, a.r, read); },
            [&](const auto& x) { return reference_lstm(x, mask, a.act, a.rec, read); },
            "lstm " + a.act + "/" + a.rec + (masked ? " masked" : "") + " read " +
                std::to_string(static_cast<int>(read)));
      }
}

TEST(RecurrentOps, GruSequenceMatchesNaiveStepsWithGradients) {
  const std::int64_t B = 4, T = 5, u = 3;
  for (const auto& a : kActivations)
    for (bool reset_after : {true, false})
      for (bool masked : {false, true}) {
        const Tensor mask = masked ? test_mask(B, T) : Tensor();
        const std::vector<Tensor> in{random_tensor({B, T, 3 * u}, 5, -2, 2), random_tensor({B, u}, 6),
                                     random_tensor({u, 3 * u}, 7), random_tensor({3 * u}, 8)};
        compare(
            in,
            [&](const auto& x) {
              return states_of(rnn::gru_sequence(x[0], x[1], x[2], x[3], mask, reset_after, a.a, a.r), u);
            },
            [&](const auto& x) { return gru_reference(x[0], x[1], x[2], x[3], reset_after, mask, a.act, a.rec); },
            "gru " + a.act + "/" + a.rec + (reset_after ? " reset_after" : " reset_before") +
                (masked ? " masked" : ""));
      }
}

TEST(RecurrentOps, SimpleRnnSequenceMatchesNaiveStepsWithGradients) {
  const std::int64_t B = 4, T = 6, u = 5;
  for (const auto& a : kActivations)
    for (bool masked : {false, true}) {
      const Tensor mask = masked ? test_mask(B, T) : Tensor();
      const std::vector<Tensor> in{random_tensor({B, T, u}, 9, -2, 2), random_tensor({B, u}, 10),
                                   random_tensor({u, u}, 11)};
      compare(
          in, [&](const auto& x) { return rnn::simple_rnn_sequence(x[0], x[1], x[2], mask, a.a); },
          [&](const auto& x) { return simple_rnn_reference(x[0], x[1], x[2], mask, a.act); },
          "simple_rnn " + a.act + (masked ? " masked" : ""));
    }
}

// Batches large enough for the threaded row loops and BLAS-sized products, in float32.
TEST(RecurrentOps, LargeFloat32BatchesMatchTheReference) {
  const std::int64_t B = 67, T = 9, u = 24;
  const Tensor mask = test_mask(B, T);
  const std::vector<Tensor> x = lstm_inputs(B, T, 7, u, 12, DType::float32);
  const Tensor h0 = x[3];
  for (LstmRead read : {LstmRead::both_sequences, LstmRead::final_states})
    expect_near(fused_lstm(x, mask, rnn::Activation::tanh, rnn::Activation::sigmoid, read),
                reference_lstm(x, mask, "tanh", "sigmoid", read), 2e-5, "lstm float32");
  const Tensor xg = random_tensor({B, T, 3 * u}, 16, -2, 2, DType::float32);
  const Tensor Ug = random_tensor({u, 3 * u}, 17, -0.3, 0.3, DType::float32);
  const Tensor bg = random_tensor({3 * u}, 18, -1, 1, DType::float32);
  expect_near(states_of(rnn::gru_sequence(xg, h0, Ug, bg, mask), u), gru_reference(xg, h0, Ug, bg, true, mask), 2e-5,
              "gru float32");
  // float32 and float64 runs of the same op agree to float32 precision.
  std::vector<Tensor> x64;
  for (const Tensor& t : x) x64.push_back(ops::cast(t, DType::float64));
  const rnn::LstmInputs in32{x[0], x[1], x[2], x[3], x[4], x[5], mask}, in64{x64[0], x64[1], x64[2], x64[3], x64[4], x64[5], mask};
  expect_near(ops::cast(rnn::lstm_sequence(in32), DType::float64), rnn::lstm_sequence(in64), 2e-5, "lstm f32 vs f64");
}

// float32 runs the per-step products against packed panels on AVX-512 CPUs (units a multiple of
// 16 both ways here), float64 through BLAS: values and every gradient agree to float32 precision.
TEST(RecurrentOps, LstmFloat32GradientsMatchFloat64) {
  const std::int64_t B = 13, T = 6, F = 5, u = 32;
  for (bool masked : {false, true})
    for (LstmRead read : {LstmRead::h_sequence, LstmRead::final_states}) {
      const Tensor mask = masked ? test_mask(B, T) : Tensor();
      const std::vector<Tensor> x32 = lstm_inputs(B, T, F, u, 50, DType::float32);
      std::vector<Tensor> x64;
      for (const Tensor& t : x32) x64.push_back(ops::cast(t, DType::float64));
      std::vector<Tensor> g32, g64;
      Tensor y32, y64;
      {
        keras::GradientTape tape;
        y32 = fused_lstm(x32, mask, rnn::Activation::tanh, rnn::Activation::sigmoid, read);
        g32 = tape.gradient(ops::sum(ops::multiply(y32, random_tensor(y32.shape(), 51, 0.5, 1.5, DType::float32))), x32);
      }
      {
        keras::GradientTape tape;
        y64 = fused_lstm(x64, mask, rnn::Activation::tanh, rnn::Activation::sigmoid, read);
        g64 = tape.gradient(ops::sum(ops::multiply(y64, random_tensor(y64.shape(), 51, 0.5, 1.5))), x64);
      }
      const std::string what = std::string("lstm f32 vs f64") + (masked ? " masked" : "");
      expect_near(ops::cast(y32, DType::float64), y64, 2e-5, what + " values");
      for (std::size_t i = 0; i < x32.size(); ++i)
        expect_near(ops::cast(g32[i], DType::float64), g64[i], 2e-4, what + " gradient " + std::to_string(i));
    }
}

TEST(RecurrentOps, MaskedStepsCarryTheStates) {
  const std::int64_t B = 2, T = 4, u = 2;
  std::vector<bool> m{true, false, false, true, false, false, false, false};
  const Tensor mask = Tensor::from_bools(m, Shape{B, T});
  const std::vector<Tensor> x = lstm_inputs(B, T, 3, u, 20);
  const auto s = rnn::lstm_sequence({x[0], x[1], x[2], x[3], x[4], x[5], mask}).to_vector<double>();
  // The tape is time-major: (T, B, 7u + F + 1) = [h | x_next | 1 | c | i f c~ o | act(c)], F = 3.
  const std::int64_t F = 3, S = 7 * u + F + 1;
  auto at = [&](std::int64_t b, std::int64_t t, std::int64_t j) { return s[static_cast<std::size_t>((t * B + b) * S + j)]; };
  auto state = [&](std::int64_t b, std::int64_t t, std::int64_t j) { return at(b, t, j < u ? j : u + F + 1 + (j - u)); };
  for (std::int64_t j = 0; j < 2 * u; ++j) {
    EXPECT_EQ(state(0, 1, j), state(0, 0, j));
    EXPECT_EQ(state(0, 2, j), state(0, 0, j));
    EXPECT_NE(state(0, 3, j), state(0, 2, j));
  }
  // A skipped step's gate columns are zeros; a processed step's are the activated gates.
  for (std::int64_t j = 2 * u + F + 1; j < S; ++j) {
    EXPECT_EQ(at(0, 1, j), 0.0);
    EXPECT_GT(std::abs(at(0, 3, j)), 0.0);
  }
  // Each row carries the next step's input.
  const auto xs = x[0].to_vector<double>();
  for (std::int64_t f = 0; f < F; ++f) EXPECT_EQ(at(1, 2, u + f), xs[static_cast<std::size_t>((1 * T + 3) * F + f)]);
  EXPECT_EQ(at(1, 2, u + F), 1.0);
  // A fully masked row keeps its initial states.
  const auto h = x[3].to_vector<double>(), c = x[4].to_vector<double>();
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t j = 0; j < u; ++j) {
      EXPECT_EQ(state(1, t, j), h[static_cast<std::size_t>(u + j)]);
      EXPECT_EQ(state(1, t, u + j), c[static_cast<std::size_t>(u + j)]);
    }
}

// The per-step products against packed panels (AVX-512 CPUs only) against the naive product:
// row tiles of every height (m % 6), panels of every width (n % 64), strided rows.
TEST(RecurrentOps, PackedProductMatchesTheReference) {
  namespace cpu = keras::backend::cpu;
  if (!cpu::packed_gemm_available(16)) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (std::int64_t m : {1, 5, 6, 13, 64})
    for (std::int64_t n : {16, 48, 64, 112, 512})
      for (std::int64_t k : {1, 7, 161}) {
        const std::int64_t lda = k + 3, ldc = n + 5;
        std::vector<float> a(static_cast<std::size_t>(m * lda)), b(static_cast<std::size_t>(k * n)),
            packed(static_cast<std::size_t>(k * n)), c(static_cast<std::size_t>(m * ldc), 99.0f);
        for (auto& v : a) v = dist(gen);
        for (auto& v : b) v = dist(gen);
        std::vector<float> dense(static_cast<std::size_t>(m * k)), want(static_cast<std::size_t>(m * n));
        for (std::int64_t i = 0; i < m; ++i)
          for (std::int64_t p = 0; p < k; ++p) dense[static_cast<std::size_t>(i * k + p)] = a[static_cast<std::size_t>(i * lda + p)];
        cpu::gemm_reference(false, false, m, n, k, dense.data(), b.data(), want.data());
        cpu::pack_panels(b.data(), k, n, packed.data());
        cpu::packed_gemm(m, n, k, a.data(), lda, packed.data(), c.data(), ldc);
        for (std::int64_t i = 0; i < m; ++i) {
          for (std::int64_t j = 0; j < n; ++j)
            ASSERT_NEAR(c[static_cast<std::size_t>(i * ldc + j)], want[static_cast<std::size_t>(i * n + j)], 1e-4)
                << "m " << m << " n " << n << " k " << k << " at " << i << ", " << j;
          for (std::int64_t j = n; j < ldc; ++j) ASSERT_EQ(c[static_cast<std::size_t>(i * ldc + j)], 99.0f);  // untouched
        }
      }
}

TEST(RecurrentOps, ReverseTimeAndMaskSeen) {
  const Tensor x = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Shape{2, 3, 2});
  EXPECT_EQ(rnn::reverse_time(x).to_vector<float>(), (std::vector<float>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}));
  const Tensor m = Tensor::from_bools({false, false, true, false, true, false, false, false}, Shape{2, 4});
  EXPECT_EQ(rnn::mask_seen(m).to_vector<std::int32_t>(), (std::vector<std::int32_t>{0, 0, 1, 1, 1, 1, 1, 1}));
  // reverse_time is its own gradient.
  const Tensor v = random_tensor({2, 3, 2}, 30);
  keras::GradientTape tape;
  const Tensor y = ops::sum(ops::multiply(rnn::reverse_time(v), ops::cast(x, DType::float64)));
  const auto g = tape.gradient(y, {v})[0].to_vector<double>();
  EXPECT_EQ(g, (std::vector<double>{4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7}));
}

TEST(RecurrentOps, PreviousStatesWithKnownAndUnknownSteps) {
  const Tensor h0 = Tensor::from_vector(std::vector<float>{9, 9}, Shape{2, 1});
  const Tensor s = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3, 1});
  EXPECT_EQ(rnn::previous_states(h0, s).to_vector<float>(), (std::vector<float>{9, 1, 2, 9, 4, 5}));
  const Tensor one = Tensor::from_vector(std::vector<float>{1, 4}, Shape{2, 1, 1});
  EXPECT_EQ(rnn::previous_states(h0, one).to_vector<float>(), (std::vector<float>{9, 9}));
  // Symbolic, unknown batch and steps: the shape stays (None, None, 1).
  const Tensor ps = rnn::previous_states(Tensor::placeholder({-1, 1}), Tensor::placeholder({-1, -1, 1}));
  EXPECT_EQ(ps.shape(), (Shape{-1, -1, 1}));
  const rnn::LstmInputs in{Tensor::placeholder({-1, -1, 3}), Tensor::placeholder({3, 8}), Tensor::placeholder({8}),
                           Tensor::placeholder({-1, 2}),    Tensor::placeholder({-1, 2}), Tensor::placeholder({2, 8})};
  const Tensor tape = rnn::lstm_sequence(in);
  EXPECT_EQ(tape.shape(), (Shape{-1, -1, 18}));  // (T, B, [h | x_next | 1 | c | 4 gates | act(c)]), u = 2, F = 3
  EXPECT_EQ(rnn::lstm_output(tape, in, rnn::LstmOutput::sequence).shape(), (Shape{-1, -1, 2}));
  EXPECT_EQ(rnn::lstm_output(tape, in, rnn::LstmOutput::final_states).shape(), (Shape{-1, 4}));
  // Its gradient graph builds with unknown dims too.
  const auto grads = keras::gradients(ops::sum(rnn::lstm_output(tape, in, rnn::LstmOutput::sequence)),
                                      {in.x, in.recurrent_kernel, in.kernel, in.bias, in.h0});
  EXPECT_EQ(grads[0].shape(), (Shape{-1, -1, 3}));
  EXPECT_EQ(grads[1].shape(), (Shape{2, 8}));
  EXPECT_EQ(grads[2].shape(), (Shape{3, 8}));
  EXPECT_EQ(grads[3].shape(), (Shape{8}));
  EXPECT_EQ(grads[4].shape(), (Shape{-1, 2}));
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const keras::ValueError& e) {
    return e.what();
  } catch (const keras::TypeError& e) {
    return std::string("TypeError: ") + e.what();
  }
  return "no error";
}

TEST(RecurrentOps, BadInputsRaiseErrorsNamingTheOpAndShapes) {
  const Tensor x = random_tensor({2, 3, 5}, 40), h = random_tensor({2, 2}, 41), U = random_tensor({2, 8}, 42);
  const Tensor W = random_tensor({5, 8}, 43), b = random_tensor({8}, 44);
  std::string e = error_of([&] { rnn::lstm_sequence({x, random_tensor({4, 8}, 1), b, h, h, U}); });
  EXPECT_NE(e.find("lstm_sequence"), std::string::npos) << e;
  EXPECT_NE(e.find("kernel of shape (5, 8)"), std::string::npos) << e;
  EXPECT_NE(e.find("(4, 8)"), std::string::npos) << e;
  e = error_of([&] { rnn::lstm_sequence({x, W, b, random_tensor({3, 2}, 1), h, U}); });
  EXPECT_NE(e.find("initial state of shape (2, 2)"), std::string::npos) << e;
  EXPECT_NE(e.find("(3, 2)"), std::string::npos) << e;
  e = error_of([&] { rnn::lstm_sequence({x, W, b, h, h, random_tensor({2, 6}, 1)}); });
  EXPECT_NE(e.find("recurrent kernel"), std::string::npos) << e;
  e = error_of([&] { rnn::lstm_sequence({x, W, random_tensor({6}, 1), h, h, U}); });
  EXPECT_NE(e.find("bias of shape (8,)"), std::string::npos) << e;
  e = error_of([&] { rnn::lstm_sequence({x, W, b, h, h, U, ops::zeros({2, 3})}); });
  EXPECT_NE(e.find("bool mask of shape (2, 3)"), std::string::npos) << e;
  const rnn::LstmInputs good{x, W, b, h, h, U};
  e = error_of([&] { rnn::lstm_output(random_tensor({3, 2, 14}, 1), good, rnn::LstmOutput::sequence); });
  EXPECT_NE(e.find("tape"), std::string::npos) << e;
  e = error_of([&] { rnn::gru_sequence(random_tensor({2, 3, 6}, 1), h, random_tensor({2, 6}, 2), random_tensor({5}, 3)); });
  EXPECT_NE(e.find("recurrent bias of shape (6,)"), std::string::npos) << e;
  e = error_of([&] { rnn::simple_rnn_sequence(ops::cast(random_tensor({2, 3, 2}, 1), DType::int32), h, random_tensor({2, 2}, 2)); });
  EXPECT_NE(e.find("floating-point"), std::string::npos) << e;
  e = error_of([&] { rnn::reverse_time(random_tensor({3}, 1)); });
  EXPECT_NE(e.find("rnn_reverse_time"), std::string::npos) << e;
}

}  // namespace
