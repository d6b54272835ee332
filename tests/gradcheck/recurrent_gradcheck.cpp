// Finite-difference checks for the fused recurrent ops (their backward ops are kernels:
// backpropagation through time) and rnn_reverse_time. Masks are fixed constants: the checked
// inputs are the float ones.
#include "gradcheck.h"
#include "ops/recurrent_ops.h"

using keras::Shape;
using keras::Tensor;
namespace rnn = keras::ops::rnn;
using In = std::vector<Tensor>;

namespace {
// Row 0 loses its last step, row 1 its first, row 2 every other step.
Tensor mask_3x4() {
  return Tensor::from_bools({true, true, true, false, false, true, true, true, true, false, true, false}, Shape{3, 4});
}
}  // namespace

// ---- lstm_output over lstm_sequence: x (B, T, F), kernel (F, 4u), bias (4u), h0, c0 (B, u),
// recurrent kernel (u, 4u). Every output mode; the final states also masked (carried).
namespace {
Tensor lstm_out(const In& in, rnn::LstmOutput which, const Tensor& mask = Tensor(),
                rnn::Activation a = rnn::Activation::tanh, rnn::Activation r = rnn::Activation::sigmoid) {
  const rnn::LstmInputs x{in[0], in[1], in[2], in[3], in[4], in[5], mask, a, r};
  return rnn::lstm_output(rnn::lstm_sequence(x), x, which);
}
const std::vector<Shape> kLstmShapes{{3, 4, 2}, {2, 8}, {8}, {3, 2}, {3, 2}, {2, 8}};
}  // namespace

KERAS_GRADCHECK({"lstm_output", "sequence, tanh/sigmoid", kLstmShapes,
                 [](const In& in) { return lstm_out(in, rnn::LstmOutput::sequence); }});
KERAS_GRADCHECK({"lstm_output", "cell sequence, masked", kLstmShapes,
                 [](const In& in) { return lstm_out(in, rnn::LstmOutput::cell_sequence, mask_3x4()); }});
KERAS_GRADCHECK({"lstm_output", "final states", kLstmShapes,
                 [](const In& in) { return lstm_out(in, rnn::LstmOutput::final_states); }});
KERAS_GRADCHECK({"lstm_output", "final states, masked", kLstmShapes,
                 [](const In& in) { return lstm_out(in, rnn::LstmOutput::final_states, mask_3x4()); }});
KERAS_GRADCHECK({"lstm_output", "sequence, relu/hard_sigmoid", {{2, 3, 3}, {3, 12}, {12}, {2, 3}, {2, 3}, {3, 12}},
                 [](const In& in) {
                   return lstm_out(in, rnn::LstmOutput::sequence, Tensor(), rnn::Activation::relu,
                                   rnn::Activation::hard_sigmoid);
                 },
                 -1.0, 1.0});

// ---- gru_sequence: xz (B, T, 3u), h0 (B, u), U (u, 3u), recurrent bias (3u) ----
KERAS_GRADCHECK({"gru_sequence", "reset_after", {{3, 4, 6}, {3, 2}, {2, 6}, {6}},
                 [](const In& in) { return rnn::gru_sequence(in[0], in[1], in[2], in[3]); }});
KERAS_GRADCHECK({"gru_sequence", "reset_after=false, masked", {{3, 4, 6}, {3, 2}, {2, 6}, {6}},
                 [](const In& in) { return rnn::gru_sequence(in[0], in[1], in[2], in[3], mask_3x4(), false); }});
KERAS_GRADCHECK({"gru_sequence", "reset_after, masked, linear/sigmoid", {{3, 4, 9}, {3, 3}, {3, 9}, {9}},
                 [](const In& in) {
                   return rnn::gru_sequence(in[0], in[1], in[2], in[3], mask_3x4(), true, rnn::Activation::linear,
                                            rnn::Activation::sigmoid);
                 }});

// ---- simple_rnn_sequence: xz (B, T, u), h0 (B, u), U (u, u) ----
KERAS_GRADCHECK({"simple_rnn_sequence", "tanh", {{2, 5, 3}, {2, 3}, {3, 3}},
                 [](const In& in) { return rnn::simple_rnn_sequence(in[0], in[1], in[2]); }});
KERAS_GRADCHECK({"simple_rnn_sequence", "masked, sigmoid", {{3, 4, 2}, {3, 2}, {2, 2}},
                 [](const In& in) {
                   return rnn::simple_rnn_sequence(in[0], in[1], in[2], mask_3x4(), rnn::Activation::sigmoid);
                 }});

// ---- rnn_reverse_time ----
KERAS_GRADCHECK({"rnn_reverse_time", "(2, 3, 2)", {{2, 3, 2}},
                 [](const In& in) { return rnn::reverse_time(in[0]); }});
