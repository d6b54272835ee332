#pragma once
// Internal text layout for summary(): the parts of rich (the Python library Keras 3
// prints its summary with) that the summary table depends on, reimplemented so that
// the output is byte-identical: word wrapping (rich/_wrap.py divide_line), justification
// and ellipsis truncation (rich/text.py, rich/containers.py), fixed-width column
// layout (rich/table.py _calculate_column_widths with rich/_ratio.py) and the heavy-head
// box with lines between rows.
//
// Text is handled as UTF-32 so widths count terminal cells per code point, as rich does.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace keras::models::summary_detail {

std::u32string utf8_decode(std::string_view text);
std::string utf8_encode(std::u32string_view text);

/// Terminal cells taken by one code point: 0 for control and combining characters,
/// 2 for East Asian wide / fullwidth characters and emoji, else 1.
int char_cells(char32_t c);
int cell_len(std::u32string_view text);

enum class Justify { kDefault, kLeft, kCenter, kRight };
enum class Overflow { kFold, kEllipsis };

/// Offsets (in code points) where rich breaks `text` to fit `width` cells. Words are runs
/// of non-space with their surrounding spaces; a word longer than `width` is cut into
/// `width`-cell pieces when `fold`, else left on its own line (to be truncated later).
std::vector<std::size_t> divide_line(std::u32string_view text, int width, bool fold);

/// rich's Text.wrap: each "\n"-separated line is word-wrapped to `width` cells, then
/// justified and truncated. kLeft/kCenter/kRight pad every line to exactly `width` cells;
/// kDefault leaves lines unpadded.
std::vector<std::u32string> wrap_text(std::u32string_view text, int width, Justify justify,
                                      Overflow overflow);

/// Crops `text` to at most `width` cells (rich's console crops every printed line).
std::u32string crop_cells(std::u32string_view text, int width);

/// Python's round(num / den) (halves to even), exact for integers; den > 0.
long long round_half_even_div(long long num, long long den);

struct TableColumn {
  std::string header;
  Justify justify = Justify::kLeft;
  int width = 0;  // requested content width (rich Column(width=...))
};

/// Widths, padding included and borders excluded, that rich gives fixed-width columns in
/// a table of total width `table_width` (box edges and dividers take ncols + 1 cells).
std::vector<int> table_column_widths(const std::vector<TableColumn>& columns, int table_width);

/// Renders a rich Table(box=HEAVY_HEAD, show_lines=True, width=table_width) with cell
/// padding (0, 1): one string per output line, without newlines.
std::vector<std::string> render_table(const std::vector<TableColumn>& columns,
                                      const std::vector<std::vector<std::string>>& rows,
                                      int table_width);

}  // namespace keras::models::summary_detail
