#pragma once
/// keras.cpp umbrella header: the Keras API in C++.
///
///   #include <keras/keras.h>
///   auto inp = keras::Input({75});
///   auto out = (*keras::layers::make<keras::layers::Dense>(1))(inp);
///   keras::Model model(inp, out);
///   model.summary();
///   keras::saving::save_model(model, "model.keras");   // and load_model, save_weights, ...
#include "keras/core/dtype.h"
#include "keras/core/errors.h"
#include "keras/core/shape.h"
#include "keras/core/tensor.h"
#include "keras/data/datasets.h"
#include "keras/data/io.h"
#include "keras/data/utils.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/graph/plan.h"
#include "keras/initializers.h"
#include "keras/layers/activation_layers.h"
#include "keras/layers/activations.h"
#include "keras/layers/attention.h"
#include "keras/layers/convolutional.h"
#include "keras/layers/core.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/embedding.h"
#include "keras/layers/layer.h"
#include "keras/layers/merge.h"
#include "keras/layers/normalization.h"
#include "keras/layers/pooling.h"
#include "keras/layers/preprocessing.h"
#include "keras/layers/recurrent.h"
#include "keras/layers/regularization.h"
#include "keras/layers/reshaping.h"
#include "keras/models/model.h"
#include "keras/models/summary.h"
#include "keras/ops/ops.h"
#include "keras/saving/saving.h"
#include "keras/saving/serialization.h"
#include "keras/training/callbacks.h"
#include "keras/training/losses.h"
#include "keras/training/metrics.h"
#include "keras/training/optimizers.h"
#include "keras/training/schedules.h"
#include "keras/training/trainer.h"
