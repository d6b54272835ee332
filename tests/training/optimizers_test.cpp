// Every optimizer against a float64 re-derivation of Keras 3's update formula over several
// steps, plus state layout (Keras's variable order), clipping, weight decay, schedules,
// frozen weights, errors and a traced (compiled) step.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "keras/graph/function.h"
#include "keras/layers/layer.h"
#include "keras/ops/ops.h"
#include "keras/training/optimizers.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace training_test;
using namespace optimizers;

// Float64 state of one variable in the reference.
struct RefVar {
  std::vector<double> w, m, v, vhat, extra;
};
// (t = 1-based step, vars, gradients per variable, optimizer-wide state)
using RefStep = std::function<void(int t, std::vector<RefVar>& vars, const std::vector<std::vector<double>>& grads,
                                   std::vector<double>& global)>;

double f32r(double x) { return static_cast<float>(x); }  // Keras stores hyper-parameters as float32

std::vector<float> initial_w() { return {0.5f, -0.3f, 0.8f, 0.1f, -0.9f, 0.25f}; }
std::vector<float> initial_b() { return {0.05f, -0.1f, 0.2f}; }

// Gradients that change sign and size from step to step.
std::vector<float> grad_at(int t, std::size_t n, int salt) {
  std::vector<float> g(n);
  for (std::size_t i = 0; i < n; ++i)
    g[i] = static_cast<float>(0.5 * std::sin(1.3 * static_cast<double>(i) + 0.7 * t + salt) + 0.1 * static_cast<double>(i % 3) -
                              0.05 * t);
  return g;
}

// Runs `steps` eager steps of `opt` on w (2,3) and b (3,), checking the change of each
// variable after every step against the reference.
void expect_trajectory(Optimizer& opt, const RefStep& ref, int steps = 5, double rtol = 2e-4) {
  Variable w(f32(initial_w(), {2, 3}), "dense/kernel"), b(f32(initial_b(), {3}), "dense/bias");
  std::vector<RefVar> vars(2);
  const std::vector<std::vector<float>> init = {initial_w(), initial_b()};
  for (int k = 0; k < 2; ++k) {
    const std::size_t n = init[k].size();
    vars[k].w.assign(init[k].begin(), init[k].end());
    vars[k].m.assign(n, 0.0);
    vars[k].v.assign(n, 0.0);
    vars[k].vhat.assign(n, 0.0);
    vars[k].extra.assign(n, 0.0);
  }
  std::vector<double> global;
  for (int t = 1; t <= steps; ++t) {
    const auto gw = grad_at(t, 6, 0), gb = grad_at(t, 3, 5);
    opt.apply_gradients({f32(gw, {2, 3}), f32(gb, {3})}, {w, b});
    ref(t, vars, {std::vector<double>(gw.begin(), gw.end()), std::vector<double>(gb.begin(), gb.end())}, global);
    const Tensor actual[2] = {w, b};
    for (int k = 0; k < 2; ++k) {
      const auto got = actual[k].to_vector<double>();
      double scale = 0;
      for (std::size_t i = 0; i < got.size(); ++i) scale = std::max(scale, std::abs(vars[k].w[i] - init[k][i]));
      ASSERT_GT(scale, 1e-4) << "the reference should move the weights (step " << t << ")";
      for (std::size_t i = 0; i < got.size(); ++i) {
        const double expected_delta = vars[k].w[i] - init[k][i], got_delta = got[i] - init[k][i];
        ASSERT_NEAR(got_delta, expected_delta, rtol * scale + 2e-6)
            << opt.class_name() << " step " << t << " variable " << k << " element " << i;
      }
    }
  }
  EXPECT_EQ(opt.iterations().item(), steps);
  EXPECT_EQ(opt.iterations().dtype(), DType::int64);
}

TEST(Optimizers, SgdPlainMomentumNesterov) {
  const double lr = f32r(0.1);
  SGD plain(0.1);
  expect_trajectory(plain, [&](int, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) vars[k].w[i] -= lr * grads[k][i];
  });
  for (bool nesterov : {false, true}) {
    SGD sgd(0.1, 0.9, nesterov);
    expect_trajectory(sgd, [&](int, auto& vars, const auto& grads, auto&) {
      for (int k = 0; k < 2; ++k)
        for (std::size_t i = 0; i < grads[k].size(); ++i) {
          double& m = vars[k].m[i];
          m = 0.9 * m - lr * grads[k][i];
          vars[k].w[i] += nesterov ? 0.9 * m - lr * grads[k][i] : m;
        }
    });
  }
}

RefStep adam_ref(double lr_in, double b1, double b2, double eps, bool amsgrad, double weight_decay = 0) {
  const double lr = f32r(lr_in);
  return [=](int t, std::vector<RefVar>& vars, const std::vector<std::vector<double>>& grads, std::vector<double>&) {
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        const double g = grads[k][i];
        r.w[i] *= 1 - weight_decay * lr;
        r.m[i] = b1 * r.m[i] + (1 - b1) * g;
        r.v[i] = b2 * r.v[i] + (1 - b2) * g * g;
        r.vhat[i] = std::max(r.vhat[i], r.v[i]);
        const double v_used = amsgrad ? r.vhat[i] : r.v[i];
        r.w[i] -= alpha * r.m[i] / (std::sqrt(v_used) + eps);
      }
  };
}

TEST(Optimizers, AdamAmsgradAdamW) {
  Adam adam(0.01);
  expect_trajectory(adam, adam_ref(0.01, 0.9, 0.999, 1e-7, false));
  Adam ams(0.01, 0.9, 0.99, 1e-7, true);
  expect_trajectory(ams, adam_ref(0.01, 0.9, 0.99, 1e-7, true), 8);
  AdamW adamw(0.01, 0.1);
  expect_trajectory(adamw, adam_ref(0.01, 0.9, 0.999, 1e-7, false, 0.1));
  EXPECT_EQ(adamw.class_name(), "AdamW");
}

TEST(Optimizers, Adamax) {
  Adamax opt(0.01);
  const double lr = f32r(0.01);
  expect_trajectory(opt, [&](int t, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        const double g = grads[k][i];
        r.m[i] = 0.9 * r.m[i] + 0.1 * g;
        r.v[i] = std::max(0.999 * r.v[i], std::abs(g));
        r.w[i] -= lr * r.m[i] / ((1 - std::pow(0.9, t)) * (r.v[i] + 1e-7));
      }
  });
}

TEST(Optimizers, Nadam) {
  Nadam opt(0.01);
  const double lr = f32r(0.01), b1 = 0.9, b2 = 0.999;
  expect_trajectory(opt, [&](int t, auto& vars, const auto& grads, auto& global) {
    if (global.empty()) global.push_back(1.0);  // u_product
    const double u_t = b1 * (1 - 0.5 * std::pow(0.96, t)), u_t1 = b1 * (1 - 0.5 * std::pow(0.96, t + 1));
    const double up_t = global[0] * u_t, up_t1 = up_t * u_t1;
    global[0] = up_t;
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        const double g = grads[k][i];
        r.m[i] = b1 * r.m[i] + (1 - b1) * g;
        r.v[i] = b2 * r.v[i] + (1 - b2) * g * g;
        const double m_hat = u_t1 * r.m[i] / (1 - up_t1) + (1 - u_t) * g / (1 - up_t);
        const double v_hat = r.v[i] / (1 - std::pow(b2, t));
        r.w[i] -= lr * m_hat / (std::sqrt(v_hat) + 1e-7);
      }
  });
}

TEST(Optimizers, RmspropPlainMomentumCentered) {
  for (double momentum : {0.0, 0.5})
    for (bool centered : {false, true}) {
      RMSprop opt(0.01, 0.9, momentum, 1e-7, centered);
      const double lr = f32r(0.01);
      expect_trajectory(opt, [&](int, auto& vars, const auto& grads, auto&) {
        for (int k = 0; k < 2; ++k)
          for (std::size_t i = 0; i < grads[k].size(); ++i) {
            RefVar& r = vars[k];
            const double g = grads[k][i];
            r.v[i] = 0.9 * r.v[i] + 0.1 * g * g;
            double denom = r.v[i] + 1e-7;
            if (centered) {
              r.extra[i] = 0.9 * r.extra[i] + 0.1 * g;
              denom -= r.extra[i] * r.extra[i];
            }
            const double inc = lr * g / std::sqrt(denom);
            if (momentum > 0) {
              r.m[i] = momentum * r.m[i] + inc;
              r.w[i] -= r.m[i];
            } else {
              r.w[i] -= inc;
            }
          }
      });
    }
}

TEST(Optimizers, Adagrad) {
  Adagrad opt(0.1);
  const double lr = f32r(0.1);
  expect_trajectory(opt, [&](int t, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        if (t == 1) r.v[i] = f32r(0.1);  // initial_accumulator_value
        r.v[i] += grads[k][i] * grads[k][i];
        r.w[i] -= lr * grads[k][i] / std::sqrt(r.v[i] + 1e-7);
      }
  });
}

TEST(Optimizers, Adadelta) {
  Adadelta opt(1.0);
  expect_trajectory(opt, [&](int, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        const double g = grads[k][i];
        r.m[i] = 0.95 * r.m[i] + 0.05 * g * g;
        const double delta = -std::sqrt(r.v[i] + 1e-7) * g / std::sqrt(r.m[i] + 1e-7);
        r.v[i] = 0.95 * r.v[i] + 0.05 * delta * delta;
        r.w[i] += 1.0 * delta;
      }
  });
}

TEST(Optimizers, Ftrl) {
  FtrlOptions f;
  f.l1_regularization_strength = 0.01;
  f.l2_regularization_strength = 0.02;
  f.l2_shrinkage_regularization_strength = 0.01;
  f.beta = 0.1;
  Ftrl opt(0.1, f);
  const double lr = f32r(0.1);
  expect_trajectory(opt, [&](int t, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        if (t == 1) r.v[i] = f32r(0.1);  // accumulator starts at initial_accumulator_value
        const double g = grads[k][i];
        const double l2 = 0.02 + 0.1 / (2 * lr);
        const double grad_to_use = g + 2 * 0.01 * r.w[i];
        const double new_accum = r.v[i] + g * g;
        r.m[i] += grad_to_use - (std::pow(new_accum, 0.5) - std::pow(r.v[i], 0.5)) / lr * r.w[i];  // linear
        const double quadratic = std::pow(new_accum, 0.5) / lr + 2 * l2;
        const double clipped = std::min(std::max(r.m[i], -0.01), 0.01);
        r.w[i] = (clipped - r.m[i]) / quadratic;
        r.v[i] = new_accum;
      }
  });
}

TEST(Optimizers, Lion) {
  Lion opt(0.01);
  const double lr = f32r(0.01);
  expect_trajectory(opt, [&](int, auto& vars, const auto& grads, auto&) {
    for (int k = 0; k < 2; ++k)
      for (std::size_t i = 0; i < grads[k].size(); ++i) {
        RefVar& r = vars[k];
        const double g = grads[k][i];
        const double c = 0.9 * r.m[i] + 0.1 * g;
        r.w[i] -= lr * ((c > 0) - (c < 0));
        r.m[i] = 0.99 * r.m[i] + 0.01 * g;
      }
  });
}

std::vector<std::string> names_of(const Optimizer& opt) {
  std::vector<std::string> names;
  for (const auto& v : opt.variables()) names.push_back(v.name());
  return names;
}

TEST(Optimizers, VariablesFollowKerasOrder) {
  Variable k(ops::zeros({2, 3}), "dense/kernel"), b(ops::zeros({3}), "dense/bias");
  Adam adam;
  adam.build({k, b});
  EXPECT_EQ(names_of(adam), (std::vector<std::string>{"iteration", "learning_rate", "dense_kernel_momentum",
                                                      "dense_kernel_velocity", "dense_bias_momentum",
                                                      "dense_bias_velocity"}));
  EXPECT_EQ(adam.variables()[2].shape(), (Shape{2, 3}));
  Adam ams(0.001, 0.9, 0.999, 1e-7, true);
  ams.build({k, b});
  EXPECT_EQ(names_of(ams).back(), "dense_bias_velocity_hat");
  EXPECT_EQ(names_of(ams)[6], "dense_kernel_velocity_hat");
  // RMSprop adds each kind for all variables in turn.
  RMSprop rms(0.001, 0.9, 0.5, 1e-7, true);
  rms.build({k, b});
  EXPECT_EQ(names_of(rms), (std::vector<std::string>{"iteration", "learning_rate", "dense_kernel_velocity",
                                                     "dense_bias_velocity", "dense_kernel_momentum",
                                                     "dense_bias_momentum", "dense_kernel_average_gradient",
                                                     "dense_bias_average_gradient"}));
  Nadam nadam;
  nadam.build({k, b});
  EXPECT_EQ(names_of(nadam).size(), 7u);
  EXPECT_EQ(names_of(nadam).back(), "u_product");
  SGD sgd;
  sgd.build({k, b});
  EXPECT_EQ(names_of(sgd), (std::vector<std::string>{"iteration", "learning_rate"}));
  Ftrl ftrl;
  ftrl.build({k, b});
  EXPECT_EQ(ftrl.variables()[2].name(), "dense_kernel_accumulator");
  EXPECT_TRUE(close_to(ftrl.variables()[2], std::vector<double>(6, f32r(0.1))));
  EXPECT_EQ(ftrl.variables()[3].name(), "dense_kernel_linear");
  for (const auto& v : adam.variables()) EXPECT_FALSE(v.trainable());
}

TEST(Optimizers, LearningRateIsFloat32AndSettable) {
  clear_session();  // Keras's auto-names count per process
  SGD sgd(0.05);
  EXPECT_EQ(sgd.learning_rate_value(), 0.05000000074505806);
  sgd.set_learning_rate(0.01);
  EXPECT_EQ(sgd.learning_rate_value(), static_cast<double>(0.01f));
  EXPECT_EQ(sgd.name(), "sgd");
  EXPECT_EQ(SGD().name(), "sgd_1");
  EXPECT_EQ(Adam().name(), "adam");
  EXPECT_EQ(RMSprop().name(), "rm_sprop");  // Keras 3's to_snake_case("RMSprop")
  EXPECT_EQ(AdamW().name(), "adam_w");
  EXPECT_EQ(SGD(0.1, 0.0, false, {.name = "mine"}).name(), "mine");
  EXPECT_EQ(get("RMSprop")->class_name(), "RMSprop");
  EXPECT_EQ(get("adamw")->class_name(), "AdamW");
  EXPECT_THROW(get("adamm"), ValueError);
}

TEST(Optimizers, GetConfigHasKerasKeysInOrder) {
  RMSprop rms(0.001, 0.9, 0.5, 1e-7, true, {.clipnorm = 1.0, .name = "r"});
  const Config c = rms.get_config();
  std::vector<std::string> keys;
  for (const auto& [k, v] : c.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
                                            "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
                                            "loss_scale_factor", "gradient_accumulation_steps", "rho", "momentum",
                                            "epsilon", "centered"}));
  EXPECT_EQ(c["learning_rate"].get<double>(), static_cast<double>(0.001f));
  EXPECT_EQ(c["clipnorm"].get<double>(), 1.0);
  EXPECT_TRUE(c["weight_decay"].is_null());
  EXPECT_EQ(c["centered"].get<bool>(), true);
  Ftrl ftrl(0.1, FtrlOptions{.l1_regularization_strength = 0.5});
  EXPECT_EQ(ftrl.get_config()["l1_regularization_strength"].get<double>(), 0.5);
  EXPECT_EQ(ftrl.get_config().back().get<double>(), 0.0);  // "beta" comes last
  // A schedule is serialized as a Keras object.
  SGD scheduled(std::make_shared<schedules::ExponentialDecay>(0.1, 1000, 0.96));
  const Config lr = scheduled.get_config()["learning_rate"];
  EXPECT_EQ(lr.dump(), "{\"module\":\"keras.optimizers.schedules\",\"class_name\":\"ExponentialDecay\",\"config\":"
                       "{\"initial_learning_rate\":0.1,\"decay_steps\":1000,\"decay_rate\":0.96,\"staircase\":false,"
                       "\"name\":\"ExponentialDecay\"},\"registered_name\":null}");
}

TEST(Optimizers, ScheduleIsEvaluatedAtTheIterationCount) {
  auto schedule = std::make_shared<schedules::ExponentialDecay>(0.1, 1.0, 0.5);
  SGD sgd(schedule);
  Variable w(f32({1.0f}), "w");
  for (int i = 0; i < 3; ++i) sgd.apply_gradients({f32({1.0f})}, {w});
  EXPECT_TRUE(close_to(w, {1.0 - 0.1 - 0.05 - 0.025}));
  EXPECT_TRUE(close_to(sgd.learning_rate_value(), 0.0125));
  EXPECT_THROW(sgd.set_learning_rate(0.1), TypeError);
  EXPECT_EQ(names_of(sgd), (std::vector<std::string>{"iteration"}));
}

TEST(Optimizers, Clipping) {
  Variable w(f32({0, 0}), "w"), z(f32({0, 0}), "z");
  SGD clipnorm(1.0, 0.0, false, {.clipnorm = 1.0});
  clipnorm.apply_gradients({f32({3, 4}), f32({0, 0})}, {w, z});  // norm 5 -> scaled to norm 1
  EXPECT_TRUE(close_to(w, {-0.6, -0.8}));
  EXPECT_TRUE(close_to(z, {0.0, 0.0}));  // a zero gradient stays zero (no 0/0)

  Variable a(f32({0, 0}), "a"), b(f32({0}), "b");
  SGD global(1.0, 0.0, false, {.global_clipnorm = 6.5});
  global.apply_gradients({f32({3, 4}), f32({12})}, {a, b});  // global norm 13 -> factor 0.5
  EXPECT_TRUE(close_to(a, {-1.5, -2.0}));
  EXPECT_TRUE(close_to(b, {-6.0}));

  Variable c(f32({0, 0, 0}), "c");
  SGD value(1.0, 0.0, false, {.clipvalue = 0.5});
  value.apply_gradients({f32({-2, 0.25f, 3})}, {c});
  EXPECT_TRUE(close_to(c, {0.5, -0.25, -0.5}));

  expect_throw_with<ValueError>([] { SGD(0.1, 0.0, false, {.clipnorm = 1.0, .clipvalue = 1.0}); },
                                {"Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"});
}

TEST(Optimizers, WeightDecayAndExclusions) {
  Variable k(f32({1.0f, 2.0f}), "dense/kernel"), b(f32({1.0f}), "dense/bias");
  SGD sgd(0.1, 0.0, false, {.weight_decay = 0.5});
  sgd.exclude_from_weight_decay({"bias"});
  sgd.apply_gradients({f32({0, 1}), f32({1})}, {k, b});
  const double lr = f32r(0.1);
  EXPECT_TRUE(close_to(k, {1.0 * (1 - 0.5 * lr), 2.0 * (1 - 0.5 * lr) - lr}));
  EXPECT_TRUE(close_to(b, {1.0 - lr}));
  EXPECT_THROW(sgd.exclude_from_weight_decay({"x"}), ValueError);  // after build
}

TEST(Optimizers, FrozenWeightsAreNeverTouched) {
  Variable trainable(f32({1, 1}), "t"), frozen(f32({0, 1, 2}), "w_vec", /*trainable=*/false);
  Adam adam(0.1);
  for (int i = 0; i < 3; ++i) adam.apply_gradients({f32({1, 1}), f32({5, 5, 5})}, {trainable, frozen});
  EXPECT_TRUE(close_to(frozen, {0, 1, 2}, 0, 0));
  EXPECT_LT(trainable.to_vector<float>()[0], 1.0f);
  EXPECT_EQ(adam.iterations().item(), 3);
}

TEST(Optimizers, Errors) {
  Variable w(f32({1, 1}), "w"), other(f32({1}), "other");
  SGD sgd;
  expect_throw_with<ValueError>([&] { sgd.apply_gradients({f32({1, 1})}, {w, other}); },
                                {"one gradient per variable", "1 gradients and 2 variables"});
  sgd.apply_gradients({f32({1, 1})}, {w});
  expect_throw_with<ValueError>([&] { sgd.apply_gradients({f32({1})}, {other}); },
                                {"Unknown variable: 'other'", "originally built with"});
  expect_throw_with<ValueError>([&] { sgd.apply_gradients({Tensor()}, {w}); }, {"No gradients provided"});
  expect_throw_with<ValueError>([&] { sgd.apply_gradients({f32({1, 1, 1})}, {w}); }, {"(3,)", "(2,)"});
  EXPECT_THROW(SGD(0.1, 1.5), ValueError);
  EXPECT_THROW(Lion(0.1, 0.0), ValueError);
  EXPECT_THROW(Ftrl(0.1, FtrlOptions{.learning_rate_power = 0.5}), ValueError);
  SGD unbuilt;
  EXPECT_THROW(unbuilt.apply({f32({1, 1})}), ValueError);
}

TEST(Optimizers, SetWeightsRestoresState) {
  Variable w(f32({1, 2}), "w");
  Adam a(0.1), b(0.1);
  for (int i = 0; i < 2; ++i) a.apply_gradients({f32({0.5f, -1})}, {w});
  std::vector<Tensor> state;
  for (const auto& v : a.variables()) state.push_back(v.value());
  b.build({w});
  b.set_weights(state);
  EXPECT_EQ(b.iterations().item(), 2);
  EXPECT_TRUE(close_to(b.variables()[3], a.variables()[3].to_vector<double>()));
  EXPECT_THROW(b.set_weights({state[0]}), ValueError);
}

TEST(Optimizers, TracedStepMatchesEager) {
  // The same Adam step compiled into a Plan (gradients are the Plan's inputs) and run eagerly.
  Variable we(f32(initial_w(), {2, 3}), "we"), be(f32(initial_b(), {3}), "be");
  Variable wt(f32(initial_w(), {2, 3}), "wt"), bt(f32(initial_b(), {3}), "bt");
  Adam eager(0.05, 0.9, 0.99, 1e-7, true), traced(0.05, 0.9, 0.99, 1e-7, true);
  traced.build({wt, bt});
  Function step([&](const std::vector<Tensor>& in) {
    traced.apply_gradients({in[0], in[1]}, {wt, bt});
    return std::vector<Tensor>{ops::sum(in[0])};
  });
  for (int t = 1; t <= 4; ++t) {
    Tensor gw = f32(grad_at(t, 6, 0), {2, 3}), gb = f32(grad_at(t, 3, 5), {3});
    eager.apply_gradients({gw, gb}, {we, be});
    step({gw, gb});
  }
  EXPECT_EQ(step.num_traces(), 1);
  EXPECT_EQ(traced.iterations().item(), 4);
  EXPECT_TRUE(close_to(wt, we.to_vector<double>(), 1e-6, 1e-7));
  EXPECT_TRUE(close_to(bt, be.to_vector<double>(), 1e-6, 1e-7));
  for (std::size_t i = 0; i < eager.variables().size(); ++i)
    EXPECT_TRUE(close_to(traced.variables()[i], eager.variables()[i].to_vector<double>(), 1e-6, 1e-9)) << i;
}

}  // namespace
}  // namespace keras
