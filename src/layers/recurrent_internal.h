#pragma once
// Config pieces shared by the recurrent cells and layers (recurrent_cells.cpp, recurrent.cpp).
#include "keras/layers/recurrent.h"

namespace keras::layers {

/// kernel_initializer ... recurrent_dropout, in Keras's order (activity_regularizer only in
/// the layers' configs, not the cells').
void add_recurrent_entries(Config& c, const RecurrentOptions& o, bool with_activity_regularizer, const Layer& cell);
/// The user's seed or null.
Config seed_json(const RecurrentOptions& o);

}  // namespace keras::layers
