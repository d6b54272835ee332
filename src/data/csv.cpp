// CSV of numbers -> (rows, columns) tensor.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "keras/data/io.h"
#include "keras/ops/ops.h"

namespace keras::data {

namespace {

// Splits one line into fields: the delimiter separates, double quotes group ("" is a quote).
std::vector<std::string> split_fields(const std::string& line, char delimiter) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == delimiter) {
      fields.push_back(field);
      field.clear();
    } else {
      field += ch;
    }
  }
  fields.push_back(field);
  return fields;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

// Parses a whole field as a number (strtod: also "nan", "inf", "1e-3").
bool parse_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  std::ifstream in(path);
  if (!in) throw IOError("Cannot open '" + path + "' for reading.");
  std::string line;
  std::int64_t line_no = 0;
  for (int i = 0; i < options.skip_rows && std::getline(in, line); ++i) ++line_no;

  CsvTable table;
  std::vector<double> values;
  std::size_t columns = 0;
  std::int64_t rows = 0;
  bool first = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    std::vector<std::string> fields = split_fields(line, options.delimiter);
    for (auto& f : fields) f = trim(f);
    if (first) {
      first = false;
      columns = fields.size();
      bool is_header = options.header.value_or(false);
      if (!options.header) {
        double unused;
        for (const auto& f : fields)
          if (!f.empty() && !parse_number(f, unused)) is_header = true;
      }
      if (is_header) {
        table.column_names = fields;
        continue;
      }
    }
    if (fields.size() != columns)
      throw ValueError("Line " + std::to_string(line_no) + " of '" + path + "' has " + std::to_string(fields.size()) +
                       " fields; expected " + std::to_string(columns) + " like the first row.");
    for (std::size_t c = 0; c < fields.size(); ++c) {
      double v;
      if (fields[c].empty() && is_floating(options.dtype)) {
        v = std::nan("");
      } else if (!parse_number(fields[c], v)) {
        throw ValueError("Could not convert '" + fields[c] + "' to a number at line " + std::to_string(line_no) +
                         ", column " + std::to_string(c + 1) + " of '" + path + "'.");
      }
      if (!is_floating(options.dtype) && (std::isnan(v) || v != std::floor(v)))
        throw ValueError("'" + fields[c] + "' at line " + std::to_string(line_no) + ", column " +
                         std::to_string(c + 1) + " of '" + path + "' is not an integer, but dtype " +
                         dtype_name(options.dtype) + " was requested.");
      values.push_back(v);
    }
    ++rows;
  }
  Tensor t = Tensor::from_vector(values, Shape{rows, static_cast<std::int64_t>(columns)});
  table.values = options.dtype == DType::float64 ? t : ops::cast(t, options.dtype);
  return table;
}

Tensor load_csv(const std::string& path, const CsvOptions& options) { return read_csv(path, options).values; }

}  // namespace keras::data
