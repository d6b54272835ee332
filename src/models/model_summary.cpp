// The model side of summary(): which rows, shapes, counts and connections Keras's
// print_summary (keras/src/utils/summary_utils.py) shows. The text itself is laid out by
// format_summary (summary.cpp).
#include <sstream>
#include <unordered_set>

#include "keras/models/model.h"

namespace keras {
namespace {

std::vector<std::string> output_shapes_of(layers::Layer& layer) {
  std::vector<std::string> out;
  const auto& nodes = layer.inbound_nodes();
  if (!nodes.empty()) {
    // Keras reports the last node's outputs (for a shared layer, its latest call).
    for (const auto& spec : nodes.back()->output_specs) out.push_back(spec.shape.to_string());
    return out;
  }
  if (layer.build_input_shapes().empty()) return out;  // "?"
  try {
    for (const auto& s : layer.compute_output_shape(layer.build_input_shapes())) out.push_back(s.to_string());
  } catch (const std::exception&) {
    out.clear();
  }
  return out;
}

std::int64_t bytes_of(const std::vector<Variable>& vars) {
  std::int64_t n = 0;
  for (const auto& v : vars) n += v.size() * static_cast<std::int64_t>(dtype_size(v.dtype()));
  return n;
}

std::int64_t count_of(const std::vector<Variable>& vars) {
  std::int64_t n = 0;
  for (const auto& v : vars) n += v.size();
  return n;
}

}  // namespace

models::SummaryData Model::summary_data() const {
  models::SummaryData data;
  data.model_name = name();
  const bool is_sequential = dynamic_cast<const Sequential*>(this) != nullptr;
  std::vector<std::shared_ptr<layers::Layer>> rows = is_sequential ? layers() : operations_;
  data.sequential_like = true;
  if (!is_sequential) {
    // A chain: one node per depth, each with at most one input, and no layer used twice.
    std::unordered_set<const layers::LayerNode*> nodes;
    for (const auto& [depth, at_depth] : nodes_by_depth_) {
      if (at_depth.size() > 1 || (at_depth.size() == 1 && at_depth.front()->input_tensors.size() > 1)) {
        data.sequential_like = false;
        break;
      }
      nodes.insert(at_depth.begin(), at_depth.end());
    }
    if (data.sequential_like)
      for (const auto& layer : layers()) {
        int in_model = 0;
        for (const auto& node : layer->inbound_nodes()) in_model += nodes.count(node.get()) ? 1 : 0;
        if (in_model > 1) {
          data.sequential_like = false;
          break;
        }
      }
  }
  for (const auto& layer : rows) {
    models::SummaryRow row;
    row.name = layer->name();
    row.class_name = layer->class_name();
    row.output_shapes = output_shapes_of(*layer);
    row.built = layer->built();
    row.params = layer->built() ? layer->count_params() : 0;
    row.trainable = layer->weights().empty() ? "-" : (layer->trainable() ? "Y" : "N");
    if (!data.sequential_like)
      for (const auto& node : layer->inbound_nodes()) {
        if (!contains_node(node.get())) continue;
        for (const auto& h : node->inbound_history())
          row.connected_to.push_back(h.layer->name() + "[" + std::to_string(h.node_index) + "][" +
                                     std::to_string(h.tensor_index) + "]");
      }
    data.rows.push_back(std::move(row));
  }
  const auto trainable = trainable_weights();
  const auto non_trainable = non_trainable_weights();
  data.trainable_params = count_of(trainable);
  data.trainable_bytes = bytes_of(trainable);
  data.non_trainable_params = count_of(non_trainable);
  data.non_trainable_bytes = bytes_of(non_trainable);
  data.total_params = data.trainable_params + data.non_trainable_params;
  data.total_bytes = data.trainable_bytes + data.non_trainable_bytes;
  if (optimizer_summary) {
    data.optimizer_params = optimizer_summary->first;
    data.optimizer_bytes = optimizer_summary->second;
    data.total_params += optimizer_summary->first;
    data.total_bytes += optimizer_summary->second;
  }
  return data;
}

void Model::summary(std::ostream& os, models::SummaryOptions options) const { os << summary_string(options); }

std::string Model::summary_string(models::SummaryOptions options) const {
  return models::format_summary(summary_data(), options);
}

}  // namespace keras
