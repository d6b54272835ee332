#include "summary_text.h"

#include <algorithm>
#include <numeric>

namespace keras::models::summary_detail {

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    int extra = 0;
    char32_t cp = 0;
    if (byte < 0x80) {
      cp = byte;
    } else if ((byte & 0xE0) == 0xC0) {
      cp = byte & 0x1F;
      extra = 1;
    } else if ((byte & 0xF0) == 0xE0) {
      cp = byte & 0x0F;
      extra = 2;
    } else if ((byte & 0xF8) == 0xF0) {
      cp = byte & 0x07;
      extra = 3;
    } else {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    bool valid = i + extra < text.size();
    for (int k = 1; valid && k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (!valid) {
      // A truncated or malformed sequence stands for one replacement character, as
      // Python's decode(errors="replace") would show it.
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

int char_cells(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;
  if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) ||
      (c >= 0xFE00 && c <= 0xFE0F)) {
    return 0;
  }
  const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
                    (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
                    (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
                    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
  return wide ? 2 : 1;
}

int cell_len(std::u32string_view text) {
  int n = 0;
  for (char32_t c : text) n += char_cells(c);
  return n;
}

namespace {

// Python's str.isspace() for the characters that can reach a summary.
bool is_space(char32_t c) {
  return c == U' ' || (c >= U'\t' && c <= U'\r') || c == 0x1C || c == 0x1D || c == 0x1E ||
         c == 0x1F || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::u32string rstrip(std::u32string_view text) {
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  return std::u32string(text.substr(0, end));
}

// rich's set_cell_size: crop or pad with spaces to exactly `total` cells. A wide character
// that would straddle the edge is dropped and its place filled with a space.
std::u32string set_cell_size(std::u32string_view text, int total) {
  if (total <= 0) return {};
  std::u32string out;
  int cells = 0;
  for (char32_t c : text) {
    const int w = char_cells(c);
    if (cells + w > total) break;
    out.push_back(c);
    cells += w;
  }
  out.append(static_cast<std::size_t>(total - cells), U' ');
  return out;
}

// rich's chop_cells: consecutive pieces of at most `width` cells.
std::vector<std::u32string> chop_cells(std::u32string_view text, int width) {
  width = std::max(width, 1);
  std::vector<std::u32string> pieces(1);
  int cells = 0;
  for (char32_t c : text) {
    const int w = char_cells(c);
    if (cells + w > width && !pieces.back().empty()) {
      pieces.emplace_back();
      cells = 0;
    }
    pieces.back().push_back(c);
    cells += w;
  }
  return pieces;
}

// rich's Text.truncate.
void truncate(std::u32string& line, int width, Overflow overflow, bool pad) {
  const int length = cell_len(line);
  if (length > width) {
    if (overflow == Overflow::kEllipsis) {
      line = set_cell_size(line, width - 1) + U"\u2026";
    } else {
      line = set_cell_size(line, width);
    }
  }
  if (pad && length < width) line.append(static_cast<std::size_t>(width - length), U' ');
}

// rich's Text.rstrip_end: drop trailing whitespace that reaches past `size` characters.
void rstrip_end(std::u32string& line, int size) {
  const auto length = static_cast<long long>(line.size());
  if (length <= size) return;
  const long long excess = length - size;
  long long whitespace = 0;
  for (auto it = line.rbegin(); it != line.rend() && is_space(*it); ++it) ++whitespace;
  line.resize(line.size() - static_cast<std::size_t>(std::min(whitespace, excess)));
}

// rich's Lines.justify.
void justify_lines(std::vector<std::u32string>& lines, int width, Justify justify,
                   Overflow overflow) {
  for (auto& line : lines) {
    switch (justify) {
      case Justify::kDefault:
        break;
      case Justify::kLeft:
        truncate(line, width, overflow, /*pad=*/true);
        break;
      case Justify::kCenter: {
        line = rstrip(line);
        truncate(line, width, overflow, false);
        const int left = (width - cell_len(line)) / 2;
        line.insert(0, static_cast<std::size_t>(std::max(left, 0)), U' ');
        const int right = width - cell_len(line);
        line.append(static_cast<std::size_t>(std::max(right, 0)), U' ');
        break;
      }
      case Justify::kRight: {
        line = rstrip(line);
        truncate(line, width, overflow, false);
        const int left = width - cell_len(line);
        line.insert(0, static_cast<std::size_t>(std::max(left, 0)), U' ');
        break;
      }
    }
  }
}

long long floor_div(long long num, long long den) {
  long long q = num / den;
  if ((num % den != 0) && ((num < 0) != (den < 0))) --q;
  return q;
}

// rich/_ratio.py ratio_reduce: take `total` away from `values` in proportion to `ratios`,
// at most maximums[i] from each.
std::vector<int> ratio_reduce(int total, std::vector<int> ratios, const std::vector<int>& maximums,
                              const std::vector<int>& values) {
  for (std::size_t i = 0; i < ratios.size(); ++i) {
    if (maximums[i] == 0) ratios[i] = 0;
  }
  long long total_ratio = std::accumulate(ratios.begin(), ratios.end(), 0LL);
  if (total_ratio == 0) return values;
  long long total_remaining = total;
  std::vector<int> result;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (ratios[i] != 0 && total_ratio > 0) {
      const long long distributed = std::min<long long>(
          maximums[i], round_half_even_div(ratios[i] * total_remaining, total_ratio));
      result.push_back(static_cast<int>(values[i] - distributed));
      total_remaining -= distributed;
      total_ratio -= ratios[i];
    } else {
      result.push_back(values[i]);
    }
  }
  return result;
}

// rich/_ratio.py ratio_distribute without minimums: split `total` in proportion to `ratios`.
std::vector<int> ratio_distribute(int total, const std::vector<int>& ratios) {
  long long total_ratio = std::accumulate(ratios.begin(), ratios.end(), 0LL);
  long long total_remaining = total;
  std::vector<int> result;
  for (int ratio : ratios) {
    long long distributed = total_remaining;
    if (total_ratio > 0) distributed = -floor_div(-ratio * total_remaining, total_ratio);
    result.push_back(static_cast<int>(distributed));
    total_ratio -= ratio;
    total_remaining -= distributed;
  }
  return result;
}

std::string repeat(std::string_view piece, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += piece;
  return out;
}

std::string border_line(const std::vector<int>& widths, std::string_view left,
                        std::string_view fill, std::string_view divider,
                        std::string_view right) {
  std::string line(left);
  for (std::size_t i = 0; i < widths.size(); ++i) {
    if (i > 0) line += divider;
    line += repeat(fill, widths[i]);
  }
  line += right;
  return line;
}

// One cell of the table as lines of exactly `width` cells: text wrapped inside a padding
// of one space on either side, as rich's Padding(cell, (0, 1)) renders it.
std::vector<std::u32string> render_cell(const std::string& text, int width, Justify justify) {
  const int inner = std::max(width - 2, 0);
  std::vector<std::u32string> lines =
      wrap_text(utf8_decode(text), inner, justify, Overflow::kEllipsis);
  for (auto& line : lines) line = set_cell_size(U" " + set_cell_size(line, inner) + U" ", width);
  return lines;
}

}  // namespace

long long round_half_even_div(long long num, long long den) {
  const long long q = floor_div(num, den);
  const long long twice_remainder = 2 * (num - q * den);
  if (twice_remainder > den) return q + 1;
  if (twice_remainder < den) return q;
  return (q % 2 == 0) ? q : q + 1;
}

std::vector<std::size_t> divide_line(std::u32string_view text, int width, bool fold) {
  std::vector<std::size_t> breaks;
  int cell_offset = 0;
  std::size_t pos = 0;
  const std::size_t n = text.size();
  while (true) {
    // A word is /\s*\S+\s*/ matched at `pos`.
    std::size_t start = pos;
    std::size_t i = pos;
    while (i < n && is_space(text[i])) ++i;
    if (i == n) break;
    while (i < n && !is_space(text[i])) ++i;
    while (i < n && is_space(text[i])) ++i;
    const std::u32string_view word = text.substr(start, i - start);
    pos = i;

    const int word_length = cell_len(rstrip(word));
    const int remaining_space = width - cell_offset;
    if (remaining_space >= word_length) {
      cell_offset += cell_len(word);
    } else if (word_length > width) {
      if (fold) {
        const auto pieces = chop_cells(word, width);
        for (std::size_t k = 0; k < pieces.size(); ++k) {
          if (start != 0) breaks.push_back(start);
          if (k + 1 == pieces.size()) {
            cell_offset = cell_len(pieces[k]);
          } else {
            start += pieces[k].size();
          }
        }
      } else {
        if (start != 0) breaks.push_back(start);
        cell_offset = cell_len(word);
      }
    } else if (cell_offset != 0 && start != 0) {
      breaks.push_back(start);
      cell_offset = cell_len(word);
    }
  }
  return breaks;
}

std::vector<std::u32string> wrap_text(std::u32string_view text, int width, Justify justify,
                                      Overflow overflow) {
  std::vector<std::u32string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t newline = text.find(U'\n', start);
    const std::u32string_view line =
        text.substr(start, newline == std::u32string_view::npos ? std::u32string_view::npos
                                                                 : newline - start);
    const auto offsets = divide_line(line, width, overflow == Overflow::kFold);
    std::vector<std::u32string> pieces;
    std::size_t from = 0;
    for (std::size_t offset : offsets) {
      pieces.emplace_back(line.substr(from, offset - from));
      from = offset;
    }
    pieces.emplace_back(line.substr(from));
    for (auto& piece : pieces) rstrip_end(piece, width);
    justify_lines(pieces, width, justify, overflow);
    for (auto& piece : pieces) {
      truncate(piece, width, overflow, false);
      out.push_back(std::move(piece));
    }
    if (newline == std::u32string_view::npos) break;
    start = newline + 1;
  }
  return out;
}

std::u32string crop_cells(std::u32string_view text, int width) {
  std::u32string out;
  int cells = 0;
  for (char32_t c : text) {
    const int w = char_cells(c);
    if (cells + w > width) break;
    out.push_back(c);
    cells += w;
  }
  return out;
}

std::vector<int> table_column_widths(const std::vector<TableColumn>& columns, int table_width) {
  const int ncols = static_cast<int>(columns.size());
  // Outer edges plus one divider between neighbouring columns.
  const int max_width = table_width - (2 + ncols - 1);
  constexpr int kPadding = 2;

  // A fixed-width column measures its width plus padding, capped at the space available.
  auto measure = [&](const TableColumn& column, int available) {
    if (available < 1) return 0;
    return std::min(column.width + kPadding, available);
  };

  std::vector<int> widths;
  for (const auto& column : columns) {
    const int w = measure(column, max_width);
    widths.push_back(w == 0 ? 1 : w);
  }
  int total = std::accumulate(widths.begin(), widths.end(), 0);
  if (total > max_width) {
    // Fixed-width columns may not wrap, so rich skips its wrap-aware collapse and takes
    // the excess away from all columns evenly.
    const std::vector<int> ones(widths.size(), 1);
    widths = ratio_reduce(total - max_width, ones, widths, widths);
    total = std::accumulate(widths.begin(), widths.end(), 0);
    for (int i = 0; i < ncols; ++i) widths[i] = measure(columns[i], widths[i]);
  }
  // A table given a width expands to it.
  if (total < max_width && total > 0) {
    const auto extra = ratio_distribute(max_width - total, widths);
    for (int i = 0; i < ncols; ++i) widths[i] += extra[i];
  }
  return widths;
}

std::vector<std::string> render_table(const std::vector<TableColumn>& columns,
                                      const std::vector<std::vector<std::string>>& rows,
                                      int table_width) {
  const std::vector<int> widths = table_column_widths(columns, table_width);
  const std::size_t ncols = columns.size();
  std::vector<std::string> out;
  out.push_back(border_line(widths, "\u250F", "\u2501", "\u2533", "\u2513"));  // ┏━┳┓

  auto emit_row = [&](const std::vector<std::string>& cells, bool header,
                      std::string_view vertical) {
    std::vector<std::vector<std::u32string>> rendered;
    std::size_t height = 1;
    for (std::size_t c = 0; c < ncols; ++c) {
      const std::string& text = c < cells.size() ? cells[c] : std::string();
      rendered.push_back(render_cell(text, widths[c], columns[c].justify));
      height = std::max(height, rendered.back().size());
    }
    for (std::size_t c = 0; c < ncols; ++c) {
      auto& lines = rendered[c];
      const std::u32string blank(static_cast<std::size_t>(widths[c]), U' ');
      // Header cells sit at the bottom of their row, body cells at the top.
      const std::size_t missing = height - lines.size();
      if (header) {
        lines.insert(lines.begin(), missing, blank);
      } else {
        lines.insert(lines.end(), missing, blank);
      }
    }
    for (std::size_t l = 0; l < height; ++l) {
      std::string line(vertical);
      for (std::size_t c = 0; c < ncols; ++c) {
        if (c > 0) line += vertical;
        line += utf8_encode(rendered[c][l]);
      }
      line += vertical;
      out.push_back(std::move(line));
    }
  };

  std::vector<std::string> headers;
  for (const auto& column : columns) headers.push_back(column.header);
  emit_row(headers, /*header=*/true, "\u2503");                                  // ┃
  out.push_back(border_line(widths, "\u2521", "\u2501", "\u2547", "\u2529"));  // ┡━╇┩
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (r > 0) out.push_back(border_line(widths, "\u251C", "\u2500", "\u253C", "\u2524"));  // ├─┼┤
    emit_row(rows[r], /*header=*/false, "\u2502");                                        // │
  }
  out.push_back(border_line(widths, "\u2514", "\u2500", "\u2534", "\u2518"));  // └─┴┘
  return out;
}

}  // namespace keras::models::summary_detail
