// Plan compilation: dead-code removal, arena reuse, side-effect ordering, fusion, checks.
#include <gtest/gtest.h>

#include <tuple>

#include "graph_test_util.h"
#include "keras/backend/parallel.h"
#include "keras/graph/function.h"
#include "keras/graph/plan.h"
#include "keras/ops/ops.h"
#include "keras/ops/trace.h"

namespace keras {
namespace {

using testing::all_close;
using testing::random_tensor;

Tensor eager_chain(const Tensor& x) {
  Tensor a = ops::multiply(x, x);
  Tensor b = ops::add(a, 1.0f);
  Tensor c = ops::divide(a, b);
  return ops::subtract(c, ops::maximum(x, 0.25f));
}

TEST(Plan, ChainMatchesEagerOnBothRunPaths) {
  std::mt19937 rng(1);
  Tensor xv = random_tensor({4, 5}, rng);
  Tensor x = Tensor::placeholder({4, 5}, DType::float32, "x");
  Plan plan({x}, {eager_chain(x)});
  const Tensor expected = eager_chain(xv);

  EXPECT_TRUE(all_close(expected, plan.run({xv})[0]));

  const void* ptrs[] = {xv.raw_data()};
  plan.run(ptrs);
  ASSERT_EQ(plan.output_shape(0), Shape({4, 5}));
  ASSERT_EQ(plan.output_dtype(0), DType::float32);
  const float* out = static_cast<const float*>(plan.output_data(0));
  const auto e = expected.to_vector<float>();
  for (std::size_t i = 0; i < e.size(); ++i) EXPECT_EQ(e[i], out[i]) << i;
}

TEST(Plan, DeadCodeIsRemoved) {
  Tensor x = Tensor::placeholder({8, 3});
  Tensor used = ops::add(x, 1.0f);
  Tensor unused = ops::multiply(x, 3.0f);
  Tensor unused2 = ops::subtract(unused, ops::sum(unused));
  (void)unused2;
  for (bool fuse : {false, true}) {
    Plan plan({x}, {used}, {}, testing::plan_options(fuse, true));
    EXPECT_EQ(plan.num_steps(), 1) << plan.describe();
  }
  Plan both({x}, {used, unused2}, {}, testing::plan_options(false, true));
  EXPECT_EQ(both.num_steps(), 4) << both.describe();  // add, multiply, sum, subtract
}

TEST(Plan, ArenaReusesSlotsAlongAChain) {
  Tensor x = Tensor::placeholder({64, 64});
  Tensor y = x;
  const int length = 10;
  for (int i = 0; i < length; ++i) y = (i % 2) ? ops::multiply(y, 0.5f) : ops::add(y, 1.0f);
  const std::size_t slot = 64 * 64 * sizeof(float);

  Plan separate({x}, {y}, {}, testing::plan_options(false, false));
  EXPECT_EQ(separate.num_steps(), length);
  EXPECT_EQ(separate.intermediate_bytes(), length * slot);
  // A value dies as soon as the next op has read it: two slots take turns.
  EXPECT_EQ(separate.arena_bytes(), 2 * slot) << separate.describe();

  Plan in_place({x}, {y}, {}, testing::plan_options(false, true));
  EXPECT_EQ(in_place.arena_bytes(), slot) << in_place.describe();

  std::mt19937 rng(2);
  Tensor xv = random_tensor({64, 64}, rng);
  EXPECT_TRUE(all_close(separate.run({xv})[0], in_place.run({xv})[0], 0.0));
}

TEST(Plan, ArenaSlotsAreBestFitAndAligned) {
  // Values of different sizes alive at once: no two live values may overlap.
  Tensor x = Tensor::placeholder({3, 7});
  Tensor a = ops::add(x, 1.0f);                       // (3,7)
  Tensor s = ops::sum(a, 1, true);                    // (3,1)
  Tensor b = ops::multiply(a, s);                     // (3,7): a and s alive together
  Tensor c = ops::subtract(b, ops::sum(b, 0, true));  // (1,7) broadcast
  Plan plan({x}, {c, s}, {}, testing::plan_options(false, false));
  std::mt19937 rng(3);
  Tensor xv = random_tensor({3, 7}, rng);
  Tensor av = ops::add(xv, 1.0f);
  Tensor sv = ops::sum(av, 1, true);
  Tensor bv = ops::multiply(av, sv);
  Tensor cv = ops::subtract(bv, ops::sum(bv, 0, true));
  auto out = plan.run({xv});
  EXPECT_TRUE(all_close(cv, out[0]));
  EXPECT_TRUE(all_close(sv, out[1]));
  EXPECT_EQ(plan.arena_bytes() % 64, 0u);
  EXPECT_LT(plan.arena_bytes(), plan.intermediate_bytes());
}

TEST(Plan, SideEffectsRunAfterEveryRead) {
  Variable w(Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}), "w");
  Tensor x = Tensor::placeholder({3});
  std::vector<Tensor> outputs, effects;
  {
    TraceScope scope;
    // The assignment is written first, yet y must read the old w.
    ops::assign(w, ops::add(w, 1.0f));
    outputs = {ops::multiply(w, x)};
    effects = scope.side_effects();
  }
  ASSERT_EQ(effects.size(), 1u);
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 2, 3})) << "tracing must not assign";
  Plan plan({x}, outputs, effects);
  Tensor xv = Tensor::from_vector(std::vector<float>{2, 2, 2}, {3});
  EXPECT_EQ(plan.run({xv})[0].to_vector<float>(), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(plan.run({xv})[0].to_vector<float>(), (std::vector<float>{4, 6, 8}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{3, 4, 5}));
}

TEST(Plan, AssignmentsSwapAndReturnedVariablesKeepOldValues) {
  Variable a(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "a");
  Variable b(Tensor::from_vector(std::vector<float>{10, 20}, {2}), "b");
  Function swap([&](const std::vector<Tensor>&) {
    ops::assign(a, b);
    ops::assign(b, a);
    return std::vector<Tensor>{a, b};
  });
  auto out = swap({});
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(out[1].to_vector<float>(), (std::vector<float>{10, 20}));
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{10, 20}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 2}));
  swap({});
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{10, 20}));
}

TEST(Plan, ConstantAssignmentsRunEveryStepButInitializationRunsOnce) {
  // `reset` existed before the trace: writing it is part of every run, even with a constant.
  // `built` is created during the first trace (a layer building its weights): its initial
  // assignment happens once, at trace time.
  Variable reset(Tensor::from_vector(std::vector<float>{0, 0}, {2}), "reset");
  std::vector<Variable> built;
  Function f([&](const std::vector<Tensor>& in) {
    if (built.empty()) {
      built.emplace_back(Tensor::from_vector(std::vector<float>{0, 0}, {2}), "built");
      built[0].assign(Tensor::from_vector(std::vector<float>{5, 6}, {2}));
    }
    reset.assign(Tensor::from_vector(std::vector<float>{7, 7}, {2}));
    return std::vector<Tensor>{ops::add(in[0], built[0])};
  });
  Tensor x = Tensor::from_vector(std::vector<float>{1, 1}, {2});
  EXPECT_EQ(f({x})[0].to_vector<float>(), (std::vector<float>{6, 7}));
  EXPECT_EQ(reset.to_vector<float>(), (std::vector<float>{7, 7}));
  built[0].assign(Tensor::from_vector(std::vector<float>{100, 200}, {2}));
  reset.assign(Tensor::from_vector(std::vector<float>{-1, -1}, {2}));
  EXPECT_EQ(f({x})[0].to_vector<float>(), (std::vector<float>{101, 201}));
  EXPECT_EQ(reset.to_vector<float>(), (std::vector<float>{7, 7}));
  EXPECT_EQ(f.num_traces(), 1);
}

TEST(Plan, InputsCanBeAssignedToVariables) {
  Variable w(Tensor::from_vector(std::vector<float>{0, 0}, {2}), "w");
  Function set([&](const std::vector<Tensor>& in) {
    ops::assign(w, in[0]);
    return std::vector<Tensor>{w};
  });
  auto old = set({Tensor::from_vector(std::vector<float>{3, 4}, {2})});
  EXPECT_EQ(old[0].to_vector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{3, 4}));
}

TEST(Plan, OutputsMayBeInputsConstantsAndVariables) {
  Variable w(Tensor::from_vector(std::vector<float>{7, 8}, {2}), "w");
  Tensor c = Tensor::from_vector(std::vector<float>{3, 4}, {2});
  Tensor x = Tensor::placeholder({2});
  Plan plan({x}, {x, c, w, ops::add(x, c)});
  Tensor xv = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  auto out = plan.run({xv});
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(out[1].to_vector<float>(), (std::vector<float>{3, 4}));
  EXPECT_EQ(out[2].to_vector<float>(), (std::vector<float>{7, 8}));
  EXPECT_EQ(out[3].to_vector<float>(), (std::vector<float>{4, 6}));
  EXPECT_EQ(plan.num_steps(), 1);
  const void* ptrs[] = {xv.raw_data()};
  plan.run(ptrs);
  EXPECT_EQ(plan.output_data(0), xv.raw_data());
  EXPECT_EQ(plan.output_data(2), w.raw_data());
}

TEST(Plan, FusionGivesTheUnfusedNumbers) {
  // 3 * 700 elements: several full blocks and a partial tail block.
  const Shape shape{3, 700};
  std::mt19937 rng(4);
  Tensor xv = random_tensor(shape, rng), yv = random_tensor(shape, rng);
  auto body = [](const Tensor& x, const Tensor& y) {
    Tensor a = ops::multiply(ops::add(x, 0.5f), y);
    Tensor b = ops::where(ops::greater(a, 0.0f), a, ops::negative(ops::multiply(a, 0.1f)));
    Tensor c = ops::divide(b, ops::add(ops::multiply(y, y), 1.0f));
    return ops::subtract(ops::maximum(c, x), ops::minimum(a, 0.2f));
  };
  Tensor x = Tensor::placeholder(shape), y = Tensor::placeholder(shape);
  Tensor out = body(x, y);
  Plan fused({x, y}, {out}, {}, testing::plan_options(true, true));
  Plan unfused({x, y}, {out}, {}, testing::plan_options(false, false));
  EXPECT_GE(fused.num_fused_groups(), 1) << fused.describe();
  EXPECT_LT(fused.num_steps(), unfused.num_steps());
  EXPECT_EQ(unfused.num_fused_groups(), 0);
  EXPECT_LT(fused.arena_bytes(), unfused.arena_bytes());
  const Tensor expected = body(xv, yv);
  EXPECT_TRUE(all_close(expected, unfused.run({xv, yv})[0], 0.0));
  EXPECT_TRUE(all_close(expected, fused.run({xv, yv})[0], 0.0)) << fused.describe();
}

TEST(Plan, FusionHandlesRowBroadcastOperandsInWholeRowBlocks) {
  // Bias-add + activation: the bias is whole in every block of whole rows. 37 rows of 75 do
  // not divide into 512-element blocks (6 rows each): the last block is a partial one. A
  // row longer than a block (2000) makes one-row blocks.
  std::mt19937 rng(8);
  for (const auto& [x_shape, row_shape, col_shape] :
       std::vector<std::tuple<Shape, Shape, Shape>>{{{37, 75}, {75}, {1, 75}},
                                                    {{5, 4, 30}, {4, 30}, {30}},
                                                    {{3, 2000}, {2000}, {1, 2000}}}) {
    Tensor xv = random_tensor(x_shape, rng), bv = random_tensor(row_shape, rng), cv = random_tensor(col_shape, rng);
    auto body = [](const Tensor& x, const Tensor& b, const Tensor& c) {
      Tensor h = ops::maximum(ops::add(x, b), ops::multiply(c, 0.5f));
      return ops::subtract(ops::multiply(h, c), b);
    };
    Tensor x = Tensor::placeholder(x_shape), b = Tensor::placeholder(row_shape), c = Tensor::placeholder(col_shape);
    Tensor out = body(x, b, c);
    Plan fused({x, b, c}, {out});
    Plan unfused({x, b, c}, {out}, {}, testing::plan_options(false, false));
    const Tensor expected = body(xv, bv, cv);
    // c * 0.5 has the row's shape, not the output's: it stays a (tiny) step of its own.
    EXPECT_EQ(fused.num_steps(), 2) << fused.describe();
    EXPECT_EQ(fused.num_fused_ops(), 4) << fused.describe();
    EXPECT_TRUE(all_close(expected, fused.run({xv, bv, cv})[0], 0.0)) << x_shape.to_string() << "\n"
                                                                     << fused.describe();
    EXPECT_TRUE(all_close(expected, unfused.run({xv, bv, cv})[0], 0.0));
  }
}

TEST(Plan, LargeFusedGroupsSplitAcrossThreadsGiveTheUnfusedNumbers) {
  // Big enough that the fused group's blocks are shared among the pool's threads (each with
  // its own scratch), with a bias row and a partial last block.
  const int saved_threads = backend::num_threads();
  std::mt19937 rng(9);
  const Shape shape{1001, 75}, row{75};
  Tensor xv = random_tensor(shape, rng), bv = random_tensor(row, rng), gv = random_tensor(shape, rng);
  auto body = [](const Tensor& x, const Tensor& b, const Tensor& g) {
    Tensor h = ops::tanh(ops::add(x, b));
    Tensor dh = ops::multiply(g, ops::subtract(1.0f, ops::square(h)));
    return ops::where(ops::greater(h, 0.0f), dh, ops::multiply(dh, 0.25f));
  };
  Tensor x = Tensor::placeholder(shape), b = Tensor::placeholder(row), g = Tensor::placeholder(shape);
  Tensor out = body(x, b, g);
  Plan unfused({x, b, g}, {out}, {}, testing::plan_options(false, false));
  backend::set_num_threads(1);
  const Tensor expected = unfused.run({xv, bv, gv})[0];
  for (int threads : {1, 2, 3}) {
    backend::set_num_threads(threads);
    Plan fused({x, b, g}, {out});
    ASSERT_EQ(fused.num_fused_groups(), 3) << fused.describe();  // h and dh have two consumers each
    EXPECT_TRUE(all_close(expected, fused.run({xv, bv, gv})[0], 0.0)) << threads << " threads";
    EXPECT_TRUE(all_close(expected, fused.run({xv, bv, gv})[0], 0.0)) << threads << " threads, second run";
  }
  backend::set_num_threads(saved_threads);
}

TEST(Plan, FusionStopsAtValuesUsedTwiceOrReturned) {
  Tensor x = Tensor::placeholder({16});
  Tensor shared = ops::multiply(x, 2.0f);  // two consumers: must be computed once, kept
  Tensor a = ops::add(shared, 1.0f);
  Tensor b = ops::subtract(shared, 1.0f);
  Tensor out = ops::multiply(a, b);
  Plan plan({x}, {out, a});
  // `a` is an output, so only b -> out fuse; `shared` stays a step of its own.
  EXPECT_EQ(plan.num_fused_groups(), 1) << plan.describe();
  EXPECT_EQ(plan.num_fused_ops(), 2);
  EXPECT_EQ(plan.num_steps(), 3);
  std::mt19937 rng(5);
  Tensor xv = random_tensor({16}, rng);
  auto got = plan.run({xv});
  Tensor sv = ops::multiply(xv, 2.0f);
  EXPECT_TRUE(all_close(ops::multiply(ops::add(sv, 1.0f), ops::subtract(sv, 1.0f)), got[0], 0.0));
  EXPECT_TRUE(all_close(ops::add(sv, 1.0f), got[1], 0.0));
}

TEST(Plan, ChecksInputsWithKerasStyleMessages) {
  Tensor x = Tensor::placeholder({32, 75}, DType::float32, "x");
  Plan plan({x}, {ops::add(x, 1.0f)});
  std::mt19937 rng(6);
  try {
    plan.run({random_tensor({16, 75}, rng)});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("expected shape (32, 75)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Received: (16, 75)"), std::string::npos) << msg;
  }
  EXPECT_THROW(plan.run(std::vector<Tensor>{}), ValueError);
  EXPECT_THROW(plan.run({Tensor::from_vector(std::vector<double>(32 * 75, 0.0), {32, 75})}), ValueError);
  EXPECT_THROW(plan.run({x}), ValueError);  // symbolic
}

TEST(Plan, RejectsBadConstruction) {
  Tensor x = Tensor::placeholder({2});
  Tensor other = Tensor::placeholder({2}, DType::float32, "other");
  Tensor c = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  EXPECT_THROW(Plan({c}, {c}), ValueError);                          // not a placeholder
  EXPECT_THROW(Plan({x}, {ops::add(x, other)}), ValueError);         // missing input
  EXPECT_THROW(Plan({x, x}, {x}), ValueError);                       // listed twice
  EXPECT_THROW(Plan({Tensor::placeholder({-1, 2})}, {x}), ValueError);  // unknown dim
  try {
    Plan({x}, {ops::add(x, other)});
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'other'"), std::string::npos) << e.what();
  }
}

TEST(Function, CachesPerSignatureAndRetracesOnNewBatchSize) {
  int body_calls = 0;
  Function f([&](const std::vector<Tensor>& in) {
    ++body_calls;
    return std::vector<Tensor>{ops::sum(ops::multiply(in[0], in[0]), 1)};
  });
  std::mt19937 rng(7);
  Tensor a = random_tensor({32, 5}, rng), b = random_tensor({32, 5}, rng), c = random_tensor({16, 5}, rng);
  EXPECT_TRUE(all_close(ops::sum(ops::multiply(a, a), 1), f({a})[0]));
  EXPECT_TRUE(all_close(ops::sum(ops::multiply(b, b), 1), f({b})[0]));
  EXPECT_EQ(f.num_traces(), 1);
  Plan* first = &f.get_plan({a});
  EXPECT_EQ(f.num_traces(), 1);
  auto small = f({c})[0];
  EXPECT_EQ(small.shape(), Shape({16}));
  EXPECT_TRUE(all_close(ops::sum(ops::multiply(c, c), 1), small));
  EXPECT_EQ(f.num_traces(), 2);
  EXPECT_EQ(f.num_cached_plans(), 2u);
  f({a});
  EXPECT_EQ(f.num_traces(), 2);
  EXPECT_EQ(&f.get_plan({a}), first);
  // A dtype change is a new signature too.
  f({Tensor::from_vector(std::vector<double>(32 * 5, 1.0), {32, 5})});
  EXPECT_EQ(f.num_traces(), 3);
  EXPECT_EQ(body_calls, 3);
  f.clear_cache();
  f({a});
  EXPECT_EQ(f.num_traces(), 4);
}

TEST(Function, NestedCallsBecomePartOfTheOuterTrace) {
  Variable counter(Tensor::scalar(0.0), "counter");
  Function inner([&](const std::vector<Tensor>& in) {
    ops::assign(counter, ops::add(counter, 1.0f));
    return std::vector<Tensor>{ops::multiply(in[0], 2.0f)};
  });
  Function outer([&](const std::vector<Tensor>& in) {
    return std::vector<Tensor>{ops::add(inner({in[0]})[0], 1.0f)};
  });
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2}, {2});
  EXPECT_EQ(outer({x})[0].to_vector<float>(), (std::vector<float>{3, 5}));
  EXPECT_EQ(outer({x})[0].to_vector<float>(), (std::vector<float>{3, 5}));
  EXPECT_EQ(counter.item(), 2.0);  // the inner assignment is part of the outer plan
  EXPECT_EQ(inner.num_traces(), 0);
}

TEST(Function, SlotVariablesCanBeCreatedWhileTracing) {
  // An optimizer builds its slots lazily, on the first (traced) step.
  Variable w(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "w");
  std::vector<Variable> slots;
  Function step([&](const std::vector<Tensor>& in) {
    if (slots.empty()) slots.emplace_back(ops::zeros_like(w), "m", false);
    ops::assign(slots[0], ops::add(slots[0], in[0]));
    return std::vector<Tensor>{};
  });
  Tensor g = Tensor::from_vector(std::vector<float>{0.5f, 1}, {2});
  step({g});
  step({g});
  ASSERT_EQ(slots.size(), 1u);
  EXPECT_EQ(slots[0].to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST(Function, ReadsVariablesAtRunTimeNotTraceTime) {
  Variable w(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "w");
  Function f([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::multiply(in[0], w)}; });
  Tensor x = Tensor::from_vector(std::vector<float>{3, 3}, {2});
  EXPECT_EQ(f({x})[0].to_vector<float>(), (std::vector<float>{3, 6}));
  w.assign(Tensor::from_vector(std::vector<float>{-1, 4}, {2}));
  EXPECT_EQ(f({x})[0].to_vector<float>(), (std::vector<float>{-3, 12}));
  EXPECT_EQ(f.num_traces(), 1);
}

}  // namespace
}  // namespace keras
