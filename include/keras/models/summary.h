#pragma once
// Plain description of a model that summary() prints. Models fill SummaryData
// (src/models/); format_summary (src/models/summary.cpp) turns it into Keras's text.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace keras::models {

struct SummaryRow {
  std::string name, class_name;
  std::vector<std::string> output_shapes;  // "(None, 75)" strings; several for multi-output
  std::int64_t params = 0;
  bool built = true;
  std::string trainable;                   // "Y", "N", "-"
  std::vector<std::string> connected_to;   // "fc1[0][0]"
};

struct SummaryData {
  std::string model_name;
  std::vector<SummaryRow> rows;
  bool sequential_like = true;
  std::int64_t total_params = 0, trainable_params = 0, non_trainable_params = 0;
  std::int64_t total_bytes = 0, trainable_bytes = 0, non_trainable_bytes = 0;
  std::optional<std::int64_t> optimizer_params, optimizer_bytes;
};

struct SummaryOptions {
  int line_length = -1;        // -1: Keras default (88 or 108, capped at terminal columns - 4)
  bool show_trainable = false;
  bool classic = false;        // Keras 2 plain style
  int terminal_columns = -1;   // -1: detect; non-tty => 80
};

std::string format_summary(const SummaryData&, const SummaryOptions&);

}  // namespace keras::models
