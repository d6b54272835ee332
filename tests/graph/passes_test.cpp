// Compile passes beyond scheduling: constant folding, views, direct variable writes and
// shape specialization. Each must leave the numbers unchanged.
#include <gtest/gtest.h>

#include "graph_test_util.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/graph/plan.h"
#include "keras/ops/ops.h"
#include "keras/ops/trace.h"

namespace keras {
namespace {

using testing::all_close;
using testing::random_tensor;

struct Traced {
  std::vector<Tensor> outputs, effects;
};

template <typename Body>
Traced trace(Body body) {
  TraceScope scope;
  Traced t;
  t.outputs = body();
  t.effects = scope.side_effects();
  return t;
}

TEST(Passes, FoldsWhatDependsOnShapesOnlyAndDropsWhatOnlyFedAShape) {
  Tensor x = Tensor::placeholder({4, 3});
  Tensor only_for_shape = ops::multiply(x, 2.0f);
  Tensor ones = ops::ones_like(only_for_shape);          // a constant once shapes are known
  Tensor twos = ops::add(ones, ones);                    // so is this
  Tensor y = ops::multiply(x, twos);
  Plan plan({x}, {y});
  EXPECT_EQ(plan.num_folded_ops(), 2) << plan.describe();
  EXPECT_EQ(plan.num_steps(), 1) << plan.describe();  // x * 2 is gone: it only fed a shape
  std::mt19937 rng(1);
  Tensor xv = random_tensor({4, 3}, rng);
  EXPECT_TRUE(all_close(ops::multiply(xv, 2.0f), plan.run({xv})[0], 0.0));
}

TEST(Passes, ViewsShareStorageAndKeepTheirSourceAlive) {
  Tensor x = Tensor::placeholder({6, 4});
  Tensor a = ops::multiply(x, 3.0f);
  Tensor v = ops::reshape(a, {4, 6});  // a view of a
  Tensor e = ops::expand_dims(v, 0);   // a view of a view
  // a's last direct reader; in-place would overwrite a while its views are still unread.
  Tensor b = ops::add(a, 1.0f);
  Tensor out = ops::add(ops::reshape(ops::squeeze(e, {0}), {6, 4}), b);
  auto body = [](const Tensor& xx) {
    Tensor aa = ops::multiply(xx, 3.0f);
    Tensor ee = ops::expand_dims(ops::reshape(aa, {4, 6}), 0);
    return ops::add(ops::reshape(ops::squeeze(ee, {0}), {6, 4}), ops::add(aa, 1.0f));
  };
  std::mt19937 rng(2);
  Tensor xv = random_tensor({6, 4}, rng);
  for (bool fuse : {false, true}) {
    Plan plan({x}, {out}, {}, testing::plan_options(fuse, true));
    EXPECT_EQ(plan.num_view_ops(), 4) << plan.describe();
    EXPECT_TRUE(all_close(body(xv), plan.run({xv})[0], 0.0)) << plan.describe();
  }
  // A returned view pins its source's storage.
  Plan both({x}, {out, e});
  auto got = both.run({xv});
  EXPECT_TRUE(all_close(body(xv), got[0], 0.0)) << both.describe();
  EXPECT_TRUE(all_close(ops::expand_dims(ops::reshape(ops::multiply(xv, 3.0f), {4, 6}), 0), got[1], 0.0));
}

TEST(Passes, ViewsOfInputsAndVariablesAreCopies) {
  Variable w(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}), "w");
  Tensor x = Tensor::placeholder({2, 2});
  Traced t = trace([&] {
    Tensor wv = ops::reshape(w, {4});
    Tensor xv = ops::reshape(x, {4});
    ops::assign(w, ops::add(w, 10.0f));
    return std::vector<Tensor>{wv, xv};
  });
  Plan plan({x}, t.outputs, t.effects);
  EXPECT_EQ(plan.num_view_ops(), 0) << plan.describe();
  Tensor xin = Tensor::from_vector(std::vector<float>{5, 6, 7, 8}, {2, 2});
  auto got = plan.run({xin});
  EXPECT_EQ(got[0].to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));  // the old w
  EXPECT_EQ(got[1].to_vector<float>(), (std::vector<float>{5, 6, 7, 8}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{11, 12, 13, 14}));
}

TEST(Passes, UpdatesWriteStraightIntoVariables) {
  Variable a(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "a");
  Variable b(Tensor::from_vector(std::vector<float>{10, 20}, {2}), "b");
  // b's update reads a, so it must run before a's update overwrites a.
  Traced t = trace([&] {
    ops::assign(a, ops::multiply(a, 2.0f));
    ops::assign(b, ops::add(b, a));
    return std::vector<Tensor>{};
  });
  Plan plan({}, t.outputs, t.effects);
  EXPECT_EQ(plan.num_direct_writes(), 2) << plan.describe();
  EXPECT_EQ(plan.num_steps(), 2) << plan.describe();
  plan.run(std::vector<Tensor>{});
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{2, 4}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{11, 22}));
  plan.run(std::vector<Tensor>{});
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{4, 8}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{13, 26}));
}

TEST(Passes, CyclicUpdatesKeepTheirCopies) {
  Variable a(Tensor::from_vector(std::vector<float>{1, 2}, {2}), "a");
  Variable b(Tensor::from_vector(std::vector<float>{10, 20}, {2}), "b");
  Traced t = trace([&] {
    ops::assign(a, ops::add(a, b));
    ops::assign(b, ops::subtract(b, a));
    return std::vector<Tensor>{};
  });
  Plan plan({}, t.outputs, t.effects);
  EXPECT_EQ(plan.num_direct_writes(), 0) << plan.describe();
  plan.run(std::vector<Tensor>{});
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{11, 22}));
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{9, 18}));
}

TEST(Passes, NoDirectWriteWhenTheNewValueIsAlsoReturnedOrNotElementwise) {
  if (!testing::has_op("matmul")) GTEST_SKIP() << "matmul not registered yet";
  Variable w(Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}), "w");
  Variable v(Tensor::from_vector(std::vector<float>{1, 1}, {2}), "v");
  Traced t = trace([&] {
    ops::assign(w, ops::matmul(w, w));  // reads w while writing it: not elementwise
    Tensor v_new = ops::multiply(v, 3.0f);
    ops::assign(v, v_new);
    return std::vector<Tensor>{v_new};  // returned too: needs its own slot
  });
  Plan plan({}, t.outputs, t.effects);
  EXPECT_EQ(plan.num_direct_writes(), 0) << plan.describe();
  auto out = plan.run(std::vector<Tensor>{});
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{7, 10, 15, 22}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{3, 3}));
  EXPECT_EQ(out[0].to_vector<float>(), (std::vector<float>{3, 3}));
}

TEST(Passes, SpecializesUnknownBatchToConcreteShapes) {
  Tensor x = Tensor::placeholder({-1, 3}, DType::float32, "x");
  Tensor bias = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3});
  Tensor y = ops::sum(ops::multiply(ops::add(x, bias), ops::ones_like(x)), 1, true);
  EXPECT_THROW(Plan({x}, {y}), ValueError);
  PlanOptions options;
  options.input_shapes = {Shape{5, 3}};
  Plan plan({x}, {y}, {}, options);
  EXPECT_EQ(plan.input_shape(0), Shape({5, 3}));
  EXPECT_EQ(plan.output_shape(0), Shape({5, 1}));
  std::mt19937 rng(3);
  Tensor xv = random_tensor({5, 3}, rng);
  EXPECT_TRUE(all_close(ops::sum(ops::add(xv, bias), 1, true), plan.run({xv})[0]));
  options.input_shapes = {Shape{5, 4}};
  try {
    Plan bad({x}, {y}, {}, options);
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("(None, 3)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Received: (5, 4)"), std::string::npos) << e.what();
  }
}

TEST(Passes, SpecializedGradientGraphMatchesEager) {
  if (!testing::differentiable_op("mean") || !testing::differentiable_op("matmul")) GTEST_SKIP();
  std::mt19937 rng(4);
  Variable w(random_tensor({3, 2}, rng), "w");
  Tensor x = Tensor::placeholder({-1, 3});
  Tensor loss = ops::mean(ops::square(ops::matmul(x, w)));
  Tensor grad = gradients(loss, {w})[0];
  PlanOptions options;
  options.input_shapes = {Shape{7, 3}};
  Plan plan({x}, {loss, grad}, {}, options);
  Tensor xv = random_tensor({7, 3}, rng);
  GradientTape tape;
  Tensor eager_loss = ops::mean(ops::square(ops::matmul(xv, w)));
  Tensor eager_grad = tape.gradient(eager_loss, {w})[0];
  auto got = plan.run({xv});
  EXPECT_TRUE(all_close(eager_loss, got[0]));
  EXPECT_TRUE(all_close(eager_grad, got[1]));
}

}  // namespace
}  // namespace keras
