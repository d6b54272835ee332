// How fast one training step of the motivating model at batch 1 can be on this machine: the
// floor that issue #7's "one training step at batch 1 <= 2 us" is measured against.
//
//   HandWrittenStep   the whole step with no framework: forward, backward and Keras's Adam
//                     (m, v and the variable in float32; update m * alpha / (sqrt(v) + eps)),
//                     the kernel gradient x^T dz never stored (each row of it is formed and
//                     consumed by the Adam loop). Plain loops the compiler vectorises, and
//                     keras.cpp's tanh.
//   AdamExact         only the Adam update of the model's 5,933 parameters from a stored
//                     gradient, as Keras computes it.
//   AdamNoDivide      the same loop without the square root and division: what reading and
//                     writing the gradient, variable, m and v alone costs (~90 KB, more than L1).
//
//   build/bench/seed_step_floor_bench   (KERAS_NUM_THREADS=1 for one thread)
// keras.cpp's compiled step of the same model is bench/seed_train_bench's BM_SeedTrainStep/1.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/cpu/unary_math.h"  // keras.cpp's own tanh (std::tanh is a scalar libm call)

namespace {

constexpr int kIn = 75, kHidden = 75, kNarrow = 3;
constexpr float kBeta1 = 0.9f, kBeta2 = 0.999f, kEpsilon = 1e-7f, kRate = 1e-3f;

std::vector<float> uniform(std::size_t n, float limit, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-limit, limit);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// One parameter tensor with its Adam slots.
struct Slot {
  std::vector<float> value, m, v;
  explicit Slot(std::vector<float> initial) : value(std::move(initial)), m(value.size()), v(value.size()) {}
};

// Keras's Adam on n parameters, gradient g * scale (the scale lets a kernel-gradient row
// x[i] * dz be formed on the fly).
inline void adam(float* __restrict value, float* __restrict m, float* __restrict v, const float* __restrict g,
                 float scale, int n, float alpha) {
  for (int j = 0; j < n; ++j) {
    const float gj = g[j] * scale;
    m[j] = m[j] * kBeta1 + gj * (1 - kBeta1);
    v[j] = v[j] * kBeta2 + gj * gj * (1 - kBeta2);
    value[j] -= m[j] * alpha / (std::sqrt(v[j]) + kEpsilon);
  }
}

struct HandWrittenModel {
  Slot w1, b1, w2, b2, w3, b3;
  const float w[kNarrow] = {0, 1, 2};
  std::vector<float> x, h1, dz1;
  float y = 0.3f;
  int step = 0;

  explicit HandWrittenModel(std::mt19937& rng)
      : w1(uniform(kIn * kHidden, 0.2f, rng)), b1(std::vector<float>(kHidden)), w2(uniform(kHidden * kNarrow, 0.3f, rng)),
        b2(std::vector<float>(kNarrow)), w3(uniform(1, 1.0f, rng)), b3(std::vector<float>(1)),
        x(uniform(kIn, 1.0f, rng)), h1(kHidden), dz1(kHidden) {}

  void train_step() {
    ++step;
    const float alpha = kRate * std::sqrt(1 - std::pow(kBeta2, static_cast<float>(step))) /
                        (1 - std::pow(kBeta1, static_cast<float>(step)));
    // Forward.
    for (int j = 0; j < kHidden; ++j) h1[j] = b1.value[j];
    for (int i = 0; i < kIn; ++i)
      for (int j = 0; j < kHidden; ++j) h1[j] += x[i] * w1.value[i * kHidden + j];
    for (float& h : h1) h = keras::backend::cpu::fast_tanh(h);
    float h2[kNarrow];
    for (int k = 0; k < kNarrow; ++k) {
      float z = b2.value[k];
      for (int i = 0; i < kHidden; ++i) z += h1[i] * w2.value[i * kNarrow + k];
      h2[k] = keras::backend::cpu::fast_tanh(z);
    }
    const float q = (h2[0] * w[0]) * (h2[1] * w[1]) * (h2[2] * w[2]);
    const float out = q * w3.value[0] + b3.value[0];
    // Backward (MSE at batch 1).
    const float dout = 2 * (out - y), dq = dout * w3.value[0];
    const float g3 = dout * q, gb3 = dout;
    float dz2[kNarrow];
    for (int k = 0; k < kNarrow; ++k) {
      float others = 1;
      for (int l = 0; l < kNarrow; ++l)
        if (l != k) others *= h2[l] * w[l];
      dz2[k] = dq * others * w[k] * (1 - h2[k] * h2[k]);
    }
    float g2[kHidden * kNarrow];
    for (int i = 0; i < kHidden; ++i) {
      float s = 0;
      for (int k = 0; k < kNarrow; ++k) {
        s += w2.value[i * kNarrow + k] * dz2[k];
        g2[i * kNarrow + k] = h1[i] * dz2[k];
      }
      dz1[i] = s * (1 - h1[i] * h1[i]);
    }
    // Adam; the kernel gradient of the first layer row by row (x[i] * dz1).
    for (int i = 0; i < kIn; ++i)
      adam(&w1.value[i * kHidden], &w1.m[i * kHidden], &w1.v[i * kHidden], dz1.data(), x[i], kHidden, alpha);
    adam(b1.value.data(), b1.m.data(), b1.v.data(), dz1.data(), 1, kHidden, alpha);
    adam(w2.value.data(), w2.m.data(), w2.v.data(), g2, 1, kHidden * kNarrow, alpha);
    adam(b2.value.data(), b2.m.data(), b2.v.data(), dz2, 1, kNarrow, alpha);
    adam(w3.value.data(), w3.m.data(), w3.v.data(), &g3, 1, 1, alpha);
    adam(b3.value.data(), b3.m.data(), b3.v.data(), &gb3, 1, 1, alpha);
  }
};

void HandWrittenStep(benchmark::State& state) {
  std::mt19937 rng(1);
  HandWrittenModel model(rng);
  for (auto _ : state) {
    model.train_step();
    benchmark::DoNotOptimize(model.w1.value.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

// All of the model's parameters as one flat array: 75*75 + 75 + 75*3 + 3 + 1 + 1.
constexpr int kParameters = kIn * kHidden + kHidden + kHidden * kNarrow + kNarrow + 2;

template <bool kDivide>
void AdamUpdate(benchmark::State& state) {
  std::mt19937 rng(2);
  std::vector<float> value = uniform(kParameters, 0.2f, rng), g = uniform(kParameters, 0.1f, rng);
  std::vector<float> m(kParameters), v(kParameters);
  for (auto _ : state) {
    float* __restrict pv = value.data();
    float* __restrict pm = m.data();
    float* __restrict pw = v.data();
    const float* __restrict pg = g.data();
    for (int j = 0; j < kParameters; ++j) {
      pm[j] = pm[j] * kBeta1 + pg[j] * (1 - kBeta1);
      pw[j] = pw[j] * kBeta2 + pg[j] * pg[j] * (1 - kBeta2);
      if constexpr (kDivide) pv[j] -= pm[j] * 1e-4f / (std::sqrt(pw[j]) + kEpsilon);
      else pv[j] -= pm[j] * 1e-4f * pw[j];
    }
    benchmark::DoNotOptimize(value.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
void AdamExact(benchmark::State& state) { AdamUpdate<true>(state); }
void AdamNoDivide(benchmark::State& state) { AdamUpdate<false>(state); }

}  // namespace

BENCHMARK(HandWrittenStep);
BENCHMARK(AdamExact);
BENCHMARK(AdamNoDivide);
