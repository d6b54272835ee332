// format_summary: the text of Model.summary().
//
// Two styles:
//  - Keras 3 (keras/src/utils/summary_utils.py print_summary): a rich table. Column edges
//    come from fixed positions of the line length; rich then fits the padded columns into
//    the table width (see summary_text.cpp). The console crops every line to the terminal
//    width, and wraps the title and footer lines at it.
//  - Keras 2 up to 2.7 (keras/utils/layer_utils.py print_summary): plain text, fields cut
//    and padded to fixed columns, rows separated by underscores.
#include "keras/models/summary.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include "keras/core/errors.h"
#include "summary_text.h"

namespace keras::models {
namespace {

using summary_detail::Justify;
using summary_detail::TableColumn;

// shutil.get_terminal_size(), which Keras sizes the table with: $COLUMNS when it is a
// positive number, else the size of the terminal on stdout, else 80.
int detect_terminal_columns() {
  if (const char* env = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value > 0 && value < 100000) return static_cast<int>(value);
  }
#if defined(__unix__) || defined(__APPLE__)
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return size.ws_col;
  }
#endif
  return 80;
}

// Python's f"{n:,}".
std::string with_thousands(std::int64_t n) {
  const bool negative = n < 0;
  std::string digits = std::to_string(negative ? -static_cast<unsigned long long>(n)
                                                : static_cast<unsigned long long>(n));
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[static_cast<std::size_t>(i)]);
  }
  return negative ? "-" + out : out;
}

// Keras's readable_memory_size: 1024-based units, two decimals.
std::string readable_memory_size(double bytes) {
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  // Past the last unit Keras has divided once too often; kept so sizes match its output.
  const char* unit = kUnits[5];
  for (const char* candidate : kUnits) {
    if (bytes / 1024 < 1) {
      unit = candidate;
      break;
    }
    bytes /= 1024;
  }
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f %s", bytes, unit);
  return buffer;
}

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

// Several output tensors print as the Python list of their shapes.
std::string shapes_text(const std::vector<std::string>& shapes, const std::string& unknown) {
  if (shapes.empty()) return unknown;
  if (shapes.size() == 1) return shapes.front();
  return "[" + join(shapes, ", ") + "]";
}

// A line printed by rich's console: wrapped at the console width like any Text.
void append_console_text(std::string& out, const std::string& text, int console_width) {
  const auto lines = summary_detail::wrap_text(summary_detail::utf8_decode(text),
                                               console_width, Justify::kDefault,
                                               summary_detail::Overflow::kFold);
  for (const auto& line : lines) out += summary_detail::utf8_encode(line) + "\n";
}

std::string format_rich(const SummaryData& data, const SummaryOptions& options, int columns) {
  int default_line_length = 88;
  std::vector<double> positions = {0.45, 0.80, 1.0};
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  std::vector<Justify> justify = {Justify::kLeft, Justify::kLeft, Justify::kRight};
  if (!data.sequential_like) {
    default_line_length = 108;
    positions = {0.3, 0.56, 0.74, 1.0};
    header.push_back("Connected to");
    justify.push_back(Justify::kLeft);
  }
  if (options.show_trainable) {
    default_line_length += 12;
    for (double& p : positions) p *= 0.90;
    positions.push_back(1.0);
    header.push_back("Trainable");
    justify.push_back(Justify::kCenter);
  }
  default_line_length = std::min(default_line_length, columns - 4);
  // Keras: `line_length or default_line_length`; -1 is this API's "not given".
  const int line_length =
      (options.line_length == -1 || options.line_length == 0) ? default_line_length
                                                               : options.line_length;

  std::vector<TableColumn> table_columns;
  int current = 0;
  for (std::size_t i = 0; i < positions.size(); ++i) {
    // Same double arithmetic and truncation as Python's int(pos * line_length).
    const int width = static_cast<int>(positions[i] * line_length) - current;
    if (width < 4) {
      throw ValueError(
          "Insufficient console width to print summary: every column needs at least 4 "
          "characters, but column \"" +
          header[i] + "\" would get " + std::to_string(width) +
          ". Received: line_length=" + std::to_string(line_length) +
          " (terminal columns: " + std::to_string(columns) + ")");
    }
    table_columns.push_back({header[i], justify[i], width});
    current += width;
  }

  std::vector<std::vector<std::string>> rows;
  for (const SummaryRow& row : data.rows) {
    std::vector<std::string> cells;
    cells.push_back(row.name + " (" + row.class_name + ")");
    cells.push_back(shapes_text(row.output_shapes, "?"));
    cells.push_back(row.built ? with_thousands(row.params) : "0 (unbuilt)");
    if (!data.sequential_like) {
      cells.push_back(row.connected_to.empty() ? "-" : join(row.connected_to, ", "));
    }
    if (options.show_trainable) cells.push_back(row.trainable.empty() ? "-" : row.trainable);
    rows.push_back(std::move(cells));
  }

  std::string out;
  append_console_text(out, "Model: \"" + data.model_name + "\"", columns);
  for (const std::string& line : summary_detail::render_table(table_columns, rows, line_length)) {
    // The console crops what does not fit the terminal, e.g. an explicit line_length wider
    // than the terminal.
    out += summary_detail::utf8_encode(
        summary_detail::crop_cells(summary_detail::utf8_decode(line), columns));
    out += "\n";
  }
  auto footer = [&](const char* label, std::int64_t count, std::int64_t bytes) {
    append_console_text(out,
                        std::string(label) + with_thousands(count) + " (" +
                            readable_memory_size(static_cast<double>(bytes)) + ")",
                        columns);
  };
  footer(" Total params: ", data.total_params, data.total_bytes);
  footer(" Trainable params: ", data.trainable_params, data.trainable_bytes);
  footer(" Non-trainable params: ", data.non_trainable_params, data.non_trainable_bytes);
  if (data.optimizer_params) {
    footer(" Optimizer params: ", *data.optimizer_params, data.optimizer_bytes.value_or(0));
  }
  return out;
}

// Keras 3 spells a shape as "(" + ", ".join(dims) + ")", Keras 2 printed the Python tuple:
// the two differ for rank 1 only, "(None)" against "(None,)".
std::vector<std::string> as_python_tuples(std::vector<std::string> shapes) {
  for (std::string& shape : shapes) {
    const bool one_dim = shape.size() > 2 && shape.front() == '(' && shape.back() == ')' &&
                         shape.find(',') == std::string::npos;
    if (one_dim) shape.insert(shape.size() - 1, ",");
  }
  return shapes;
}

// Keras 2's print_row: each field is cut at its column's end and padded to it; a field
// that reaches its end loses its last character to the space before the next field.
std::string classic_row(const std::vector<std::string>& fields, const std::vector<int>& positions) {
  std::u32string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) {
      if (line.empty()) {
        line.push_back(U' ');
      } else {
        line.back() = U' ';
      }
    }
    line += summary_detail::utf8_decode(fields[i]);
    const auto end = static_cast<std::size_t>(std::max(positions[i], 0));
    if (line.size() > end) line.resize(end);
    line.append(end - line.size(), U' ');
  }
  return summary_detail::utf8_encode(line);
}

std::string format_classic(const SummaryData& data, const SummaryOptions& options) {
  const bool graph = !data.sequential_like;
  int line_length = options.line_length > 0 ? options.line_length : (graph ? 98 : 65);
  const std::vector<double> fractions =
      graph ? std::vector<double>{.33, .55, .67, 1.} : std::vector<double>{.45, .85, 1.};
  std::vector<int> positions;
  for (double p : fractions) positions.push_back(static_cast<int>(line_length * p));
  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (graph) header.push_back("Connected to");
  // Keras 2.8 added show_trainable as an 11-character column after the others.
  if (options.show_trainable) {
    line_length += 11;
    positions.push_back(line_length);
    header.push_back("Trainable");
  }

  const std::string underscores(static_cast<std::size_t>(std::max(line_length, 0)), '_');
  const std::string equals(static_cast<std::size_t>(std::max(line_length, 0)), '=');
  std::string out = "Model: \"" + data.model_name + "\"\n";
  out += underscores + "\n";
  out += classic_row(header, positions) + "\n";
  out += equals + "\n";

  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    const SummaryRow& row = data.rows[r];
    std::vector<std::string> fields = {
        row.name + " (" + row.class_name + ")",
        // Keras 2 had no output shape for a layer never called, and said "multiple".
        shapes_text(as_python_tuples(row.output_shapes), "multiple"),
        row.built ? std::to_string(row.params) : "0 (unused)"};
    if (graph) fields.push_back(row.connected_to.empty() ? "" : row.connected_to.front());
    if (options.show_trainable) fields.push_back(row.trainable.empty() ? "-" : row.trainable);
    out += classic_row(fields, positions) + "\n";
    // Further inbound tensors get a line each, under "Connected to".
    for (std::size_t c = 1; graph && c < row.connected_to.size(); ++c) {
      std::vector<std::string> more = {"", "", "", row.connected_to[c]};
      if (options.show_trainable) more.push_back("");
      out += classic_row(more, positions) + "\n";
    }
    out += (r + 1 == data.rows.size() ? equals : underscores) + "\n";
  }

  // Keras 2 counted model weights only; optimizer state never appeared here.
  out += "Total params: " + with_thousands(data.trainable_params + data.non_trainable_params) +
         "\n";
  out += "Trainable params: " + with_thousands(data.trainable_params) + "\n";
  out += "Non-trainable params: " + with_thousands(data.non_trainable_params) + "\n";
  out += underscores + "\n";
  return out;
}

}  // namespace

std::string format_summary(const SummaryData& data, const SummaryOptions& options) {
  if (options.classic) return format_classic(data, options);
  const int columns =
      options.terminal_columns > 0 ? options.terminal_columns : detect_terminal_columns();
  return format_rich(data, options, columns);
}

}  // namespace keras::models
