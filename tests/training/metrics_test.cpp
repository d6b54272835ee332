// Metrics against hand-computed values (mostly the examples of Keras's docstrings), with
// sample weights, accumulation across batches, reset, compile-style resolution and tracing.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/graph/function.h"
#include "keras/layers/layer.h"
#include "keras/ops/ops.h"
#include "keras/training/metrics.h"
#include "test_util.h"

namespace keras {
namespace {

using namespace training_test;
using namespace metrics;

TEST(Metrics, MeanWeightedAccumulatesAndResets) {
  Mean m;
  m.update_state(f32({1, 3, 5, 7}));
  EXPECT_TRUE(close_to(m.result(), {4.0}));
  m.reset_state();
  m.update_state(f32({1, 3, 5, 7}), f32({1, 1, 0, 0}));
  EXPECT_TRUE(close_to(m.result(), {2.0}));
  // The loss tracker: one scalar per batch weighted by the batch size (4, 4, 2).
  Mean loss("loss");
  loss.update_state(Tensor::scalar(0.5), Tensor::scalar(4));
  loss.update_state(Tensor::scalar(0.25), Tensor::scalar(4));
  loss.update_state(Tensor::scalar(1.0), Tensor::scalar(2));
  EXPECT_TRUE(close_to(loss.result(), {(2.0 + 1.0 + 2.0) / 10.0}));
  EXPECT_EQ(loss.variables().size(), 2u);
  Mean empty;
  EXPECT_TRUE(close_to(empty.result(), {0.0}));  // divide_no_nan
  Sum s;
  s.update_state(f32({1, 3, 5, 7}), f32({1, 1, 0, 2}));
  EXPECT_TRUE(close_to(s.result(), {18.0}));
}

TEST(Metrics, Accuracies) {
  Accuracy acc;
  acc.update_state(f32({1, 2, 3, 4}, {4, 1}), f32({0, 2, 3, 4}, {4, 1}));
  EXPECT_TRUE(close_to(acc.result(), {0.75}));
  acc.reset_state();
  acc.update_state(f32({1, 2, 3, 4}, {4, 1}), f32({0, 2, 3, 4}, {4, 1}), f32({1, 1, 0, 0}));
  EXPECT_TRUE(close_to(acc.result(), {0.5}));

  BinaryAccuracy bin;
  bin.update_state(f32({1, 1, 0, 0}, {4, 1}), f32({0.98f, 1, 0, 0.6f}, {4, 1}));
  EXPECT_TRUE(close_to(bin.result(), {0.75}));
  bin.reset_state();
  bin.update_state(f32({1, 1, 0, 0}, {4, 1}), f32({0.98f, 1, 0, 0.6f}, {4, 1}), f32({1, 0, 0, 1}));
  EXPECT_TRUE(close_to(bin.result(), {0.5}));
  BinaryAccuracy strict("strict", 0.99);
  strict.update_state(f32({1, 1, 0, 0}, {4, 1}), f32({0.98f, 1, 0, 0.6f}, {4, 1}));
  EXPECT_TRUE(close_to(strict.result(), {0.75}));  // 0.98 now negative: wrong; 0.6 now negative: right

  Tensor probs = f32({0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0}, {2, 3});
  CategoricalAccuracy cat;
  cat.update_state(f32({0, 0, 1, 0, 1, 0}, {2, 3}), probs);
  EXPECT_TRUE(close_to(cat.result(), {0.5}));
  cat.reset_state();
  cat.update_state(f32({0, 0, 1, 0, 1, 0}, {2, 3}), probs, f32({0.7f, 0.3f}));
  EXPECT_TRUE(close_to(cat.result(), {0.3}));

  SparseCategoricalAccuracy sparse;
  sparse.update_state(f32({2, 1}, {2, 1}), probs);
  EXPECT_TRUE(close_to(sparse.result(), {0.5}));
  sparse.update_state(i32({1, 1}, {2}), probs, f32({0.7f, 0.3f}));  // accumulates across batches
  EXPECT_TRUE(close_to(sparse.result(), {(1.0 + 1.0) / 3.0}));
}

TEST(Metrics, TopK) {
  Tensor probs = f32({0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0}, {2, 3});
  TopKCategoricalAccuracy top1(1);
  top1.update_state(f32({0, 0, 1, 0, 1, 0}, {2, 3}), probs);
  EXPECT_TRUE(close_to(top1.result(), {0.5}));
  SparseTopKCategoricalAccuracy stop1(1), stop2(2);
  stop1.update_state(i32({2, 1}, {2}), probs, f32({0.7f, 0.3f}));
  EXPECT_TRUE(close_to(stop1.result(), {0.3}));
  stop2.update_state(i32({2, 1}, {2}), probs);
  EXPECT_TRUE(close_to(stop2.result(), {1.0}));
  // Ties count as inside the top k (the target's score reaches the k-th largest).
  SparseTopKCategoricalAccuracy tie(1);
  tie.update_state(i32({1}, {1}), f32({0.5f, 0.5f, 0.0f}, {1, 3}));
  EXPECT_TRUE(close_to(tie.result(), {1.0}));
  EXPECT_EQ(TopKCategoricalAccuracy().name(), "top_k_categorical_accuracy");
}

TEST(Metrics, RegressionMetrics) {
  Tensor t = f32({0, 1, 0, 0}, {2, 2}), p = f32({1, 1, 0, 0}, {2, 2});
  MeanSquaredError mse;
  mse.update_state(t, p);
  EXPECT_TRUE(close_to(mse.result(), {0.25}));
  mse.reset_state();
  mse.update_state(t, p, f32({1, 0}));
  EXPECT_TRUE(close_to(mse.result(), {0.5}));
  MeanAbsoluteError mae;
  mae.update_state(t, p, f32({1, 0}));
  EXPECT_TRUE(close_to(mae.result(), {0.5}));
  RootMeanSquaredError rmse;
  rmse.update_state(t, p);
  EXPECT_TRUE(close_to(rmse.result(), {0.5}));
  rmse.reset_state();
  rmse.update_state(t, p, f32({1, 0}));
  EXPECT_TRUE(close_to(rmse.result(), {std::sqrt(0.5)}));
  EXPECT_EQ(rmse.direction(), Direction::down);
}

TEST(Metrics, R2Score) {
  R2Score r2;
  r2.update_state(f32({1, 4, 3}, {3, 1}), f32({2, 4, 4}, {3, 1}));
  EXPECT_TRUE(close_to(r2.result(), {0.57142854}));  // 1 - 2 / (14/3)
  // Two outputs, weighted samples, variance-weighted aggregation, hand-computed.
  R2Score weighted("variance_weighted_average");
  Tensor t = f32({1, 10, 2, 20, 4, 10}, {3, 2}), p = f32({1.5f, 12, 2, 18, 3, 11}, {3, 2});
  Tensor w = f32({1, 2, 1});
  weighted.update_state(t, p, w);
  double num = 0, den = 0;
  for (int c = 0; c < 2; ++c) {
    const double tv[3] = {t.to_vector<double>()[c], t.to_vector<double>()[2 + c], t.to_vector<double>()[4 + c]};
    const double pv[3] = {p.to_vector<double>()[c], p.to_vector<double>()[2 + c], p.to_vector<double>()[4 + c]};
    const double wv[3] = {1, 2, 1};
    double sw = 0, mean = 0, ss_tot = 0, ss_res = 0;
    for (int i = 0; i < 3; ++i) sw += wv[i], mean += wv[i] * tv[i];
    mean /= sw;
    for (int i = 0; i < 3; ++i) {
      ss_tot += wv[i] * (tv[i] - mean) * (tv[i] - mean);
      ss_res += wv[i] * (tv[i] - pv[i]) * (tv[i] - pv[i]);
    }
    num += ss_tot * (1 - ss_res / ss_tot);
    den += ss_tot;
  }
  EXPECT_TRUE(close_to(weighted.result(), {num / den}, 1e-4));
  EXPECT_THROW(R2Score().update_state(f32({1, 2, 3}), f32({1, 2, 3}, {1, 1, 3})), ValueError);
}

TEST(Metrics, PrecisionRecall) {
  Precision p;
  p.update_state(f32({0, 1, 1, 1}), f32({1, 0, 1, 1}));
  EXPECT_TRUE(close_to(p.result(), {2.0 / 3.0}));
  p.reset_state();
  p.update_state(f32({0, 1, 1, 1}), f32({1, 0, 1, 1}), f32({0, 0, 1, 0}));
  EXPECT_TRUE(close_to(p.result(), {1.0}));
  Precision top2({}, 2), top4({}, 4);
  top2.update_state(f32({0, 0, 1, 1}), f32({1, 1, 1, 1}));
  EXPECT_TRUE(close_to(top2.result(), {0.0}));  // ties: the first two entries are the top 2
  top4.update_state(f32({0, 0, 1, 1}), f32({1, 1, 1, 1}));
  EXPECT_TRUE(close_to(top4.result(), {0.5}));
  Recall r;
  r.update_state(f32({0, 1, 1, 1}), f32({1, 0, 1, 1}));
  EXPECT_TRUE(close_to(r.result(), {2.0 / 3.0}));
  r.reset_state();
  r.update_state(f32({0, 1, 1, 1}), f32({1, 0, 1, 1}), f32({0, 0, 1, 0}));
  EXPECT_TRUE(close_to(r.result(), {1.0}));
  // Several thresholds give one value each; class_id picks a column.
  Precision multi({0.25, 0.75});
  multi.update_state(f32({0, 1, 1, 0}), f32({0.5f, 0.8f, 0.3f, 0.9f}));
  EXPECT_TRUE(close_to(multi.result(), {2.0 / 4.0, 1.0 / 2.0}));
  Recall col({}, std::nullopt, 1);
  col.update_state(f32({1, 0, 0, 1, 0, 1}, {3, 2}), f32({0.9f, 0.2f, 0.1f, 0.7f, 0.3f, 0.4f}, {3, 2}));
  EXPECT_TRUE(close_to(col.result(), {0.5}));
  EXPECT_THROW(Precision({1.5}), ValueError);
}

// Keras's AUC computed independently: confusion counts by direct loops, then the Riemann
// sum (ROC) or Davis & Goadrich interpolation (PR).
double reference_auc(const std::vector<double>& y, const std::vector<double>& p, const std::vector<double>& w,
                     int num_thresholds, bool pr) {
  std::vector<double> th{-1e-7};
  for (int i = 0; i < num_thresholds - 2; ++i) th.push_back((i + 1) * 1.0 / (num_thresholds - 1));
  th.push_back(1 + 1e-7);
  const int n = num_thresholds;
  std::vector<double> tp(n), fp(n), tn(n), fn(n);
  for (int k = 0; k < n; ++k)
    for (std::size_t i = 0; i < y.size(); ++i) {
      // Evenly spaced thresholds: Keras clips predictions to [0, 1] first.
      const bool pos = std::min(std::max(p[i], 0.0), 1.0) > static_cast<float>(th[k]);
      (y[i] > 0 ? (pos ? tp : fn) : (pos ? fp : tn))[k] += w[i];
    }
  auto safe = [](double a, double b) { return b == 0 ? 0.0 : a / b; };
  double auc = 0;
  for (int k = 0; k + 1 < n; ++k) {
    if (!pr) {
      const double x0 = safe(fp[k], fp[k] + tn[k]), x1 = safe(fp[k + 1], fp[k + 1] + tn[k + 1]);
      const double y0 = safe(tp[k], tp[k] + fn[k]), y1 = safe(tp[k + 1], tp[k + 1] + fn[k + 1]);
      auc += (x0 - x1) * (y0 + y1) / 2;
    } else {
      const double dtp = tp[k] - tp[k + 1], p0 = tp[k] + fp[k], p1 = tp[k + 1] + fp[k + 1], dp = p0 - p1;
      const double slope = safe(dtp, std::max(dp, 0.0));
      const double intercept = tp[k + 1] - slope * p1;
      const double ratio = (p0 > 0 && p1 > 0) ? safe(p0, std::max(p1, 0.0)) : 1.0;
      auc += safe(slope * (dtp + intercept * std::log(ratio)), std::max(tp[k + 1] + fn[k + 1], 0.0));
    }
  }
  return auc;
}

TEST(Metrics, AucRocAndPr) {
  AUC small(3);
  small.update_state(f32({0, 0, 1, 1}), f32({0, 0.5f, 0.3f, 0.9f}));
  EXPECT_TRUE(close_to(small.result(), {0.75}));  // Keras doc value
  AUC roc;
  EXPECT_EQ(roc.thresholds().size(), 200u);
  roc.update_state(f32({0, 0, 1, 1}), f32({0, 0.5f, 0.3f, 0.9f}));
  EXPECT_TRUE(close_to(roc.result(), {0.75}));  // the exact pairwise AUC: 3 of 4 pairs ordered

  std::vector<double> y, p, w;
  for (int i = 0; i < 40; ++i) {
    y.push_back((i * 7) % 3 == 0 ? 1 : 0);
    p.push_back(static_cast<float>(0.5 + 0.45 * std::sin(i * 1.7) + (y.back() > 0 ? 0.1 : -0.1) * (i % 2)));
    w.push_back(0.5 + (i % 4) * 0.25);
  }
  std::vector<float> yf(y.begin(), y.end()), pf(p.begin(), p.end()), wf(w.begin(), w.end());
  AUC roc_w, pr(200, "PR");
  roc_w.update_state(f32(yf), f32(pf), f32(wf));
  pr.update_state(f32(yf), f32(pf), f32(wf));
  EXPECT_TRUE(close_to(roc_w.result(), {reference_auc(y, p, w, 200, false)}, 1e-4));
  EXPECT_TRUE(close_to(pr.result(), {reference_auc(y, p, w, 200, true)}, 1e-4));
  // Batches accumulate: two halves equal one update.
  AUC halves;
  halves.update_state(f32(std::vector<float>(yf.begin(), yf.begin() + 20)), f32(std::vector<float>(pf.begin(), pf.begin() + 20)),
                      f32(std::vector<float>(wf.begin(), wf.begin() + 20)));
  halves.update_state(f32(std::vector<float>(yf.begin() + 20, yf.end())), f32(std::vector<float>(pf.begin() + 20, pf.end())),
                      f32(std::vector<float>(wf.begin() + 20, wf.end())));
  EXPECT_TRUE(close_to(halves.result(), roc_w.result().to_vector<double>(), 1e-6));
  // from_logits applies a sigmoid first.
  AUC logits(200, "ROC", "interpolation", "auc", true);
  logits.update_state(f32({0, 0, 1, 1}), f32({-5, 0, -0.8f, 2.2f}));
  EXPECT_TRUE(close_to(logits.result(), {0.75}));
  EXPECT_THROW(AUC(1), ValueError);
  EXPECT_THROW(AUC(200, "XY"), ValueError);
}

TEST(Metrics, F1AndFBeta) {
  Tensor t = f32({1, 1, 1, 1, 0, 0, 1, 1, 0}, {3, 3}), p = f32({0.2f, 0.6f, 0.7f, 0.2f, 0.6f, 0.6f, 0.6f, 0.8f, 0.0f}, {3, 3});
  F1Score f1("", 0.5);
  f1.update_state(t, p);
  EXPECT_TRUE(close_to(f1.result(), {0.5, 0.8, 0.6666667}, 1e-5));  // Keras doc values
  F1Score macro("macro", 0.5);
  macro.update_state(t, p);
  EXPECT_TRUE(close_to(macro.result(), {(0.5 + 0.8 + 2.0 / 3.0) / 3}, 1e-5));
  // Without a threshold each row's maximum is the prediction; micro pools the counts.
  F1Score micro("micro");
  micro.update_state(t, p);
  // argmax rows: class 2, classes 1 and 2 (tie at 0.6), class 1 -> TP 2, FP 2, FN 4.
  const double prec = 2.0 / 4.0, rec = 2.0 / 6.0;
  EXPECT_TRUE(close_to(micro.result(), {2 * prec * rec / (prec + rec)}, 1e-5));
  FBetaScore f2("micro", 2.0, 0.5);
  f2.update_state(t, p);
  // threshold 0.5: TP 4 (0.6,0.7 row0; 0.6,0.8 row2), FP 2 (row1), FN 2 -> P = 2/3, R = 2/3.
  EXPECT_TRUE(close_to(f2.result(), {2.0 / 3.0}, 1e-5));
  EXPECT_THROW(FBetaScore("avg"), ValueError);
  EXPECT_THROW(F1Score("", 1.5), ValueError);
}

TEST(Metrics, CompileResolution) {
  EXPECT_EQ(resolve_accuracy(Shape{-1, 1}, Shape{-1, 1}), AccuracyKind::binary);
  EXPECT_EQ(resolve_accuracy(Shape{-1}, Shape{-1, 10}), AccuracyKind::sparse_categorical);
  EXPECT_EQ(resolve_accuracy(Shape{-1, 1}, Shape{-1, 10}), AccuracyKind::sparse_categorical);
  EXPECT_EQ(resolve_accuracy(Shape{-1, 10}, Shape{-1, 10}), AccuracyKind::categorical);
  auto acc = get_metric("accuracy", Shape{-1}, Shape{-1, 10});
  EXPECT_EQ(acc->class_name(), "SparseCategoricalAccuracy");
  EXPECT_EQ(acc->name(), "accuracy");
  EXPECT_EQ(get_metric("acc", Shape{-1, 1}, Shape{-1, 1})->class_name(), "BinaryAccuracy");
  auto mse = get("mse");
  EXPECT_EQ(mse->class_name(), "MeanSquaredError");
  EXPECT_EQ(mse->name(), "mse");
  EXPECT_EQ(get("AUC")->name(), "AUC");
  clear_session();
  EXPECT_EQ(AUC().name(), "auc");  // Keras's auto-names
  EXPECT_EQ(AUC().name(), "auc_1");
  EXPECT_EQ(Precision().name(), "precision");
  EXPECT_EQ(Recall({}, std::nullopt, std::nullopt, "r").name(), "r");
  // A loss name works as a metric: the running mean of the per-sample loss.
  auto bce = get("binary_crossentropy");
  bce->update_state(f32({0, 1}, {2, 1}), f32({0.25f, 0.5f}, {2, 1}));
  EXPECT_TRUE(close_to(bce->result(), {(-std::log(0.75) - std::log(0.5)) / 2}));
  EXPECT_EQ(bce->direction(), Direction::down);
  EXPECT_THROW(get("acuracy"), ValueError);
  EXPECT_THROW(Mean().Metric::update_state(f32({1}), f32({1})), NotImplementedError);
  EXPECT_DOUBLE_EQ(result_to_double(f32({1, 2, 3})), 2.0);
}

TEST(Metrics, TracedUpdateMatchesEager) {
  // The update recorded into a compiled step performs its assignments on every run.
  SparseCategoricalAccuracy traced, eager;
  Mean traced_loss("loss");
  Function step([&](const std::vector<Tensor>& in) {
    traced.update_state(in[0], in[1]);
    traced_loss.update_state(ops::mean(in[1]), Tensor::scalar(3));
    return std::vector<Tensor>{ops::sum(in[1])};
  });
  Tensor probs[2] = {f32({0.1f, 0.9f, 0.3f, 0.7f, 0.8f, 0.2f}, {3, 2}), f32({0.6f, 0.4f, 0.3f, 0.7f, 0.45f, 0.55f}, {3, 2})};
  Tensor labels[2] = {i32({1, 1, 1}, {3}), i32({0, 0, 0}, {3})};
  for (int i = 0; i < 2; ++i) {
    step({labels[i], probs[i]});
    eager.update_state(labels[i], probs[i]);
  }
  EXPECT_EQ(step.num_traces(), 1);
  EXPECT_TRUE(close_to(traced.result(), eager.result().to_vector<double>()));
  EXPECT_TRUE(close_to(traced.result(), {3.0 / 6.0}));
  EXPECT_TRUE(close_to(traced_loss.result(), {0.5}));
}

}  // namespace
}  // namespace keras
