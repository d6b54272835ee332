#pragma once
// Naive twins of the fused recurrent ops (src/ops/recurrent.cpp), built step by step from
// basic ops: slice a step, one matmul, the gate formulas of Keras's cells, `where` for the
// mask. Same inputs and outputs as the fused ops, so tests compare values and gradients.
#include <string>
#include <vector>

#include "keras/layers/activations.h"
#include "keras/ops/ops.h"

namespace recurrent_test {

using keras::Tensor;
namespace ops = keras::ops;

inline Tensor cols(const Tensor& x, std::int64_t begin, std::int64_t width) {
  return ops::slice(x, {0, begin}, {-1, width});
}

inline Tensor step_of(const Tensor& seq, std::int64_t t) {
  return ops::squeeze(ops::slice(seq, {0, t, 0}, {-1, 1, -1}), {1});
}

// A masked step keeps the previous state; mask may be undefined.
inline Tensor carry(const Tensor& mask, std::int64_t t, const Tensor& updated, const Tensor& previous) {
  if (!mask.defined()) return updated;
  return ops::where(ops::slice(mask, {0, t}, {-1, 1}), updated, previous);
}

/// (B, T, 2u) = [h | c] after each step.
inline Tensor lstm_reference(const Tensor& xz, Tensor h, Tensor c, const Tensor& U, const Tensor& mask = Tensor(),
                             const std::string& act_name = "tanh", const std::string& rec_name = "sigmoid") {
  const auto act = keras::activations::get(act_name), rec = keras::activations::get(rec_name);
  const std::int64_t u = U.shape()[0];
  std::vector<Tensor> out;
  for (std::int64_t t = 0; t < xz.shape()[1]; ++t) {
    const Tensor z = ops::add(step_of(xz, t), ops::matmul(h, U));
    const Tensor i = rec(cols(z, 0, u)), f = rec(cols(z, u, u)), g = act(cols(z, 2 * u, u)), o = rec(cols(z, 3 * u, u));
    const Tensor c_new = ops::add(ops::multiply(f, c), ops::multiply(i, g));
    const Tensor h_new = ops::multiply(o, act(c_new));
    h = carry(mask, t, h_new, h);
    c = carry(mask, t, c_new, c);
    out.push_back(ops::concatenate({h, c}, 1));
  }
  return ops::stack(out, 1);
}

/// (B, T, u): Keras's GRU step with the recurrent bias `b` (3u) inside (reset_after) or
/// after (not reset_after) the recurrent product.
inline Tensor gru_reference(const Tensor& xz, Tensor h, const Tensor& U, const Tensor& b, bool reset_after,
                            const Tensor& mask = Tensor(), const std::string& act_name = "tanh",
                            const std::string& rec_name = "sigmoid") {
  const auto act = keras::activations::get(act_name), rec = keras::activations::get(rec_name);
  const std::int64_t u = U.shape()[0];
  const Tensor U_zr = cols(U, 0, 2 * u), U_h = cols(U, 2 * u, u);
  const Tensor b_zr = ops::slice(b, {0}, {2 * u}), b_h = ops::slice(b, {2 * u}, {u});
  std::vector<Tensor> out;
  for (std::int64_t t = 0; t < xz.shape()[1]; ++t) {
    const Tensor x = step_of(xz, t);
    const Tensor m_zr = ops::add(ops::matmul(h, U_zr), b_zr);
    const Tensor z = rec(ops::add(cols(x, 0, u), cols(m_zr, 0, u)));
    const Tensor r = rec(ops::add(cols(x, u, u), cols(m_zr, u, u)));
    const Tensor recurrent_h = reset_after ? ops::multiply(r, ops::add(ops::matmul(h, U_h), b_h))
                                           : ops::add(ops::matmul(ops::multiply(r, h), U_h), b_h);
    const Tensor hh = act(ops::add(cols(x, 2 * u, u), recurrent_h));
    const Tensor h_new = ops::add(ops::multiply(z, h), ops::multiply(ops::subtract(Tensor::scalar(1.0, z.dtype()), z), hh));
    h = carry(mask, t, h_new, h);
    out.push_back(h);
  }
  return ops::stack(out, 1);
}

/// (B, T, u).
inline Tensor simple_rnn_reference(const Tensor& xz, Tensor h, const Tensor& U, const Tensor& mask = Tensor(),
                                   const std::string& act_name = "tanh") {
  const auto act = keras::activations::get(act_name);
  std::vector<Tensor> out;
  for (std::int64_t t = 0; t < xz.shape()[1]; ++t) {
    h = carry(mask, t, act(ops::add(step_of(xz, t), ops::matmul(h, U))), h);
    out.push_back(h);
  }
  return ops::stack(out, 1);
}

}  // namespace recurrent_test
