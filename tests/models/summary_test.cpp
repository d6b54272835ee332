// format_summary against Keras's own output: the summary files that Keras 3.15.1 wrote for
// the fixture models (tests/data/keras/<case>/, copied unchanged from shared/fixtures),
// the Keras 2 plain-text summary of the seed's case a, and rich's layout rules for tables
// with a "Connected to" column, narrow columns and unbuilt layers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "keras/core/errors.h"
#include "keras/models/summary.h"
#include "models/summary_text.h"

namespace {

using keras::models::format_summary;
using keras::models::SummaryData;
using keras::models::SummaryOptions;
using keras::models::SummaryRow;
namespace detail = keras::models::summary_detail;

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string fixture_path(const std::string& name, const std::string& file) {
  return std::string(KERAS_SOURCE_DIR) + "/tests/data/keras/" + name + "/" + file;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int cells(const std::string& line) { return detail::cell_len(detail::utf8_decode(line)); }

SummaryRow layer(std::string name, std::string class_name, std::string shape,
                 std::int64_t params, std::string trainable) {
  SummaryRow row;
  row.name = std::move(name);
  row.class_name = std::move(class_name);
  row.output_shapes = {std::move(shape)};
  row.params = params;
  row.trainable = std::move(trainable);
  return row;
}

// float32 weights: 4 bytes a parameter.
SummaryData model(std::string name, std::vector<SummaryRow> rows, std::int64_t trainable,
                  std::int64_t non_trainable) {
  SummaryData data;
  data.model_name = std::move(name);
  data.rows = std::move(rows);
  data.trainable_params = trainable;
  data.non_trainable_params = non_trainable;
  data.total_params = trainable + non_trainable;
  data.trainable_bytes = 4 * trainable;
  data.non_trainable_bytes = 4 * non_trainable;
  data.total_bytes = 4 * data.total_params;
  return data;
}

// After compile(Adam) and a train step: iteration and learning rate, then m and v for every
// trainable parameter; Total includes them.
SummaryData with_adam(SummaryData data) {
  const std::int64_t optimizer = 2 * data.trainable_params + 2;
  data.optimizer_params = optimizer;
  data.optimizer_bytes = 4 * optimizer;
  data.total_params += optimizer;
  data.total_bytes += 4 * optimizer;
  return data;
}

std::vector<SummaryRow> seed_rows() {
  return {layer("input_layer", "InputLayer", "(None, 75)", 0, "-"),
          layer("fc1", "Dense", "(None, 75)", 5700, "Y"),
          layer("fc2", "Dense", "(None, 3)", 228, "Y"),
          layer("my_layer", "MyLayer", "(None, 1)", 3, "Y"),
          layer("fc3", "Dense", "(None, 1)", 2, "Y")};
}

// The fixture models as Keras reports them (see shared/fixtures/keras/README.md).
SummaryData fixture_model(const std::string& name) {
  if (name == "so_const_nontrainable") return model("functional", seed_rows(), 5930, 3);
  if (name == "so_const_trainable" || name == "so_random_trainable") {
    return model("functional", seed_rows(), 5933, 0);
  }
  if (name == "mlp_bn_dropout") {
    return model("sequential",
                 {layer("dense", "Dense", "(None, 32)", 672, "Y"),
                  layer("batch_normalization", "BatchNormalization", "(None, 32)", 128, "Y"),
                  layer("dropout", "Dropout", "(None, 32)", 0, "-"),
                  layer("dense_1", "Dense", "(None, 16)", 528, "Y"),
                  layer("dense_2", "Dense", "(None, 3)", 51, "Y")},
                 1315, 64);
  }
  if (name == "cnn") {
    return model("sequential",
                 {layer("conv2d", "Conv2D", "(None, 8, 8, 4)", 76, "Y"),
                  layer("max_pooling2d", "MaxPooling2D", "(None, 4, 4, 4)", 0, "-"),
                  layer("conv2d_1", "Conv2D", "(None, 4, 4, 3)", 51, "Y"),
                  layer("flatten", "Flatten", "(None, 48)", 0, "-"),
                  layer("dense", "Dense", "(None, 5)", 245, "Y")},
                 372, 0);
  }
  if (name == "embedding_lstm") {
    return model("sequential",
                 {layer("embedding", "Embedding", "(None, 7, 6)", 180, "Y"),
                  layer("lstm", "LSTM", "(None, 5)", 240, "Y"),
                  layer("dense", "Dense", "(None, 1)", 6, "Y")},
                 426, 0);
  }
  if (name == "lambda_model") {
    return model("sequential",
                 {layer("d1", "Dense", "(None, 3)", 15, "Y"),
                  layer("scale_shift", "Lambda", "(None, 3)", 0, "-"),
                  layer("d2", "Dense", "(None, 1)", 4, "Y")},
                 19, 0);
  }
  ADD_FAILURE() << "no model description for fixture case " << name;
  return {};
}

class FixtureSummary : public ::testing::TestWithParam<const char*> {
 protected:
  std::string expected(const std::string& file) {
    const std::string path = fixture_path(GetParam(), file);
    auto text = read_text(path);
    if (!text) {
      ADD_FAILURE() << "fixture file missing: " << path
                    << " (copy it unchanged from shared/fixtures/keras/)";
      return "<missing fixture>";
    }
    return *text;
  }
  SummaryOptions wide() {
    SummaryOptions options;
    options.terminal_columns = 200;
    return options;
  }
};

TEST_P(FixtureSummary, WideTerminalMatchesSummaryTxt) {
  EXPECT_EQ(format_summary(fixture_model(GetParam()), wide()), expected("summary.txt"));
  // 92 columns is the narrowest terminal that still leaves the full 88.
  SummaryOptions just_wide_enough;
  just_wide_enough.terminal_columns = 92;
  EXPECT_EQ(format_summary(fixture_model(GetParam()), just_wide_enough),
            expected("summary.txt"));
}

TEST_P(FixtureSummary, EightyColumnTerminalMatchesSummary80col) {
  SummaryOptions terminal80;
  terminal80.terminal_columns = 80;
  EXPECT_EQ(format_summary(fixture_model(GetParam()), terminal80), expected("summary_80col.txt"));
  // The same table by asking for line_length 76 on a wide terminal.
  SummaryOptions explicit76 = wide();
  explicit76.line_length = 76;
  EXPECT_EQ(format_summary(fixture_model(GetParam()), explicit76), expected("summary_80col.txt"));
}

TEST_P(FixtureSummary, ShowTrainableMatchesSummaryTrainable) {
  SummaryOptions options = wide();
  options.show_trainable = true;
  EXPECT_EQ(format_summary(fixture_model(GetParam()), options), expected("summary_trainable.txt"));
}

TEST_P(FixtureSummary, BuiltOptimizerMatchesSummaryAfterAdam) {
  EXPECT_EQ(format_summary(with_adam(fixture_model(GetParam())), wide()),
            expected("summary_after_adam.txt"));
}

TEST_P(FixtureSummary, DetectsTerminalWidthFromColumnsVariable) {
  const char* saved = std::getenv("COLUMNS");
  const std::string saved_value = saved ? saved : "";
  setenv("COLUMNS", "80", 1);
  const std::string narrow = format_summary(fixture_model(GetParam()), SummaryOptions{});
  setenv("COLUMNS", "150", 1);
  const std::string wide_text = format_summary(fixture_model(GetParam()), SummaryOptions{});
  if (saved) {
    setenv("COLUMNS", saved_value.c_str(), 1);
  } else {
    unsetenv("COLUMNS");
  }
  EXPECT_EQ(narrow, expected("summary_80col.txt"));
  EXPECT_EQ(wide_text, expected("summary.txt"));
}

INSTANTIATE_TEST_SUITE_P(KerasFixtures, FixtureSummary,
                         ::testing::Values("so_const_nontrainable", "so_const_trainable",
                                           "so_random_trainable", "mlp_bn_dropout", "cnn",
                                           "embedding_lstm", "lambda_model"));

// ---- Keras 2 plain-text summary -------------------------------------------------------

SummaryData seed_case(const std::string& name, bool trainable_w) {
  return model(name, seed_rows(), trainable_w ? 5933 : 5930, trainable_w ? 0 : 3);
}

TEST(ClassicSummary, SeedCaseAMatchesTheSeedDocument) {
  SummaryOptions classic;
  classic.classic = true;
  const std::string text = format_summary(seed_case("assignInit-nontrainable", false), classic);
  const std::vector<std::string> expected = {
      "Model: \"assignInit-nontrainable\"",
      "_________________________________________________________________",
      "Layer (type)                 Output Shape              Param #",
      "=================================================================",
      "input_layer (InputLayer)     (None, 75)                0",
      "_________________________________________________________________",
      "fc1 (Dense)                  (None, 75)                5700",
      "_________________________________________________________________",
      "fc2 (Dense)                  (None, 3)                 228",
      "_________________________________________________________________",
      "core (MyLayer)               (None, 1)                 3",
      "_________________________________________________________________",
      "fc3 (Dense)                  (None, 1)                 2",
      "=================================================================",
      "Total params: 5,933",
      "Trainable params: 5,930",
      "Non-trainable params: 3",
      "_________________________________________________________________",
  };
  // The seed names its custom layer "core".
  SummaryData data = seed_case("assignInit-nontrainable", false);
  data.rows[3].name = "core";
  const std::vector<std::string> lines = split_lines(format_summary(data, classic));
  ASSERT_EQ(lines.size(), expected.size()) << text;
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(rstrip(lines[i]), expected[i]) << i;
  // Keras 2 padded every field to its column, so header and rows are 65 wide.
  EXPECT_EQ(lines[2].size(), 65u);
  EXPECT_EQ(lines[6], "fc1 (Dense)                  (None, 75)                5700      ");
  EXPECT_EQ(text.back(), '\n');
}

TEST(ClassicSummary, TrainableSeedCasesHaveNoFrozenParams) {
  SummaryOptions classic;
  classic.classic = true;
  for (const char* name : {"assignInit-trainable", "randomInit-trainable"}) {
    const std::string text = format_summary(seed_case(name, true), classic);
    EXPECT_NE(text.find("Model: \"" + std::string(name) + "\"\n"), std::string::npos);
    EXPECT_NE(text.find("\nTotal params: 5,933\nTrainable params: 5,933\n"
                        "Non-trainable params: 0\n"),
              std::string::npos)
        << text;
  }
}

TEST(ClassicSummary, OptimizerStateIsNotCounted) {
  SummaryOptions classic;
  classic.classic = true;
  const std::string text = format_summary(with_adam(seed_case("m", false)), classic);
  EXPECT_NE(text.find("\nTotal params: 5,933\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("Optimizer"), std::string::npos);
}

TEST(ClassicSummary, GraphModelListsEveryInboundTensor) {
  SummaryData data = model("branchy",
                           {layer("a", "InputLayer", "(None, 4)", 0, "-"),
                            layer("b", "InputLayer", "(None, 4)", 0, "-"),
                            layer("concatenate_with_a_rather_long_name", "Concatenate",
                                  "(None, 8)", 0, "-")},
                           0, 0);
  data.sequential_like = false;
  data.rows[2].connected_to = {"a[0][0]", "b[0][0]"};
  SummaryOptions classic;
  classic.classic = true;
  const std::vector<std::string> lines = split_lines(format_summary(data, classic));
  // 98 columns, fields starting at 0 / 32 / 53 / 65.
  ASSERT_GE(lines.size(), 12u);
  EXPECT_EQ(lines[1], std::string(98, '_'));
  EXPECT_EQ(lines[2].size(), 98u);
  EXPECT_EQ(lines[2].substr(32, 12), "Output Shape");
  EXPECT_EQ(lines[2].substr(53, 7), "Param #");
  EXPECT_EQ(lines[2].substr(65, 12), "Connected to");
  EXPECT_EQ(rstrip(lines[4]), "a (InputLayer)                  (None, 4)            0");
  // A name longer than its column is cut, and the cut end gives way to a space.
  EXPECT_EQ(rstrip(lines[8]),
            "concatenate_with_a_rather_long_ (None, 8)            0           a[0][0]");
  EXPECT_EQ(rstrip(lines[9]), std::string(65, ' ') + "b[0][0]");
  EXPECT_EQ(lines[10], std::string(98, '='));
}

TEST(ClassicSummary, RankOneShapesPrintAsPythonTuples) {
  SummaryData data = model("sequential", {layer("flat", "Flatten", "(None)", 0, "-"),
                                          layer("scalar", "MySum", "()", 0, "-")}, 0, 0);
  SummaryOptions classic;
  classic.classic = true;
  const auto lines = split_lines(format_summary(data, classic));
  ASSERT_GE(lines.size(), 7u);
  EXPECT_EQ(rstrip(lines[4]), "flat (Flatten)               (None,)                   0");
  EXPECT_EQ(rstrip(lines[6]), "scalar (MySum)               ()                        0");
  // Keras 3 keeps its own spelling.
  SummaryOptions rich;
  rich.terminal_columns = 200;
  EXPECT_NE(format_summary(data, rich).find("│ (None)    "), std::string::npos);
}

TEST(ClassicSummary, UnbuiltLayerSaysUnused) {
  SummaryData data = model("sequential", {layer("dense", "Dense", "", 0, "-")}, 0, 0);
  data.rows[0].output_shapes.clear();
  data.rows[0].built = false;
  SummaryOptions classic;
  classic.classic = true;
  const auto lines = split_lines(format_summary(data, classic));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(rstrip(lines[4]), "dense (Dense)                multiple                  0 (unused)");
}

// ---- Keras 3 rich table beyond the fixtures -------------------------------------------

// A cell of `width` characters between the table's vertical bars: one space of padding on
// each side of the text, left- or right-justified.
std::string left(const std::string& text, int width) {
  return " " + text + std::string(width - 2 - cells(text), ' ') + " ";
}
std::string right(const std::string& text, int width) {
  return " " + std::string(width - 2 - cells(text), ' ') + text + " ";
}
std::string body(const std::string& a, const std::string& b, const std::string& c,
                 const std::string& d) {
  // At line length 76 rich fits the columns 22/20/14/20 (+ padding) into 71 cells as
  // 21/19/12/19.
  return "│" + left(a, 21) + "│" + left(b, 19) + "│" + right(c, 12) + "│" + left(d, 19) + "│";
}

SummaryData graph_model() {
  SummaryData data = model("two_towers",
                           {layer("in_a", "InputLayer", "(None, 8)", 0, "-"),
                            layer("in_b", "InputLayer", "(None, 8)", 0, "-"),
                            layer("concatenate", "Concatenate", "(None, 16)", 0, "-"),
                            layer("a_very_long_layer_name_here", "Dense",
                                  "(None, 123456, 7890)", 1234567, "Y")},
                           1234567, 0);
  data.sequential_like = false;
  data.rows[2].connected_to = {"in_a[0][0]", "in_b[0][0]"};
  data.rows[3].connected_to = {"concatenate[0][0]"};
  return data;
}

TEST(RichSummary, GraphModelAddsConnectedToAndWrapsCells) {
  SummaryOptions options;
  options.terminal_columns = 80;
  const std::vector<std::string> lines = split_lines(format_summary(graph_model(), options));
  const std::vector<std::string> expected = {
      "Model: \"two_towers\"",
      "┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓",
      "┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃",
      "┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩",
      body("in_a (InputLayer)", "(None, 8)", "0", "-"),
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
      body("in_b (InputLayer)", "(None, 8)", "0", "-"),
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
      // Words move to the next line when they do not fit...
      body("concatenate", "(None, 16)", "0", "in_a[0][0],"),
      body("(Concatenate)", "", "", "in_b[0][0]"),
      "├─────────────────────┼───────────────────┼────────────┼───────────────────┤",
      // ...and a word longer than the whole column is cut with an ellipsis.
      body("a_very_long_layer_…", "(None, 123456,", "1,234,567", "concatenate[0][0]"),
      body("(Dense)", "7890)", "", ""),
      "└─────────────────────┴───────────────────┴────────────┴───────────────────┘",
      " Total params: 1,234,567 (4.71 MB)",
      " Trainable params: 1,234,567 (4.71 MB)",
      " Non-trainable params: 0 (0.00 B)",
  };
  EXPECT_EQ(lines, expected);
}

TEST(RichSummary, GraphModelDefaultsTo108Columns) {
  SummaryOptions options;
  options.terminal_columns = 300;
  const auto lines = split_lines(format_summary(graph_model(), options));
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(cells(lines[1]), 108);
  EXPECT_EQ(lines[2],
            "┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ "
            "Connected to               ┃");
  options.show_trainable = true;
  const auto with_trainable = split_lines(format_summary(graph_model(), options));
  EXPECT_EQ(cells(with_trainable[1]), 120);
  // 120 columns leave "Trainable" room enough (the 100-column sequential table does not).
  EXPECT_EQ(with_trainable[2],
            "┃ Layer (type)                  ┃ Output Shape              "
            "┃          Param # ┃ Connected to              ┃ Trainable ┃");
}

TEST(RichSummary, UnbuiltLayerShowsQuestionMark) {
  SummaryData data = model("sequential", {layer("dense", "Dense", "", 0, "-")}, 0, 0);
  data.rows[0].output_shapes.clear();
  data.rows[0].built = false;
  SummaryOptions options;
  options.terminal_columns = 80;
  const auto lines = split_lines(format_summary(data, options));
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines[4], "│ dense (Dense)                   │ ?                      │   0 (unbuilt) │");
}

TEST(RichSummary, SeveralOutputsPrintAsAList) {
  SummaryData data = model("functional", {layer("split", "MySplit", "(None, 2)", 0, "-")}, 0, 0);
  data.rows[0].output_shapes = {"(None, 2)", "(None, 3)"};
  SummaryOptions options;
  options.terminal_columns = 200;
  const std::string text = format_summary(data, options);
  EXPECT_NE(text.find("│ [(None, 2), (None, 3)]      │"), std::string::npos) << text;
}

TEST(RichSummary, EmptyModelKeepsHeaderAndFooter) {
  SummaryOptions options;
  options.terminal_columns = 80;
  const auto lines = split_lines(format_summary(model("empty", {}, 0, 0), options));
  ASSERT_EQ(lines.size(), 8u);
  EXPECT_EQ(lines[3], "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩");
  EXPECT_EQ(lines[4], "└─────────────────────────────────┴────────────────────────┴───────────────┘");
  EXPECT_EQ(lines[5], " Total params: 0 (0.00 B)");
}

TEST(RichSummary, ConsoleCropsLinesWiderThanTheTerminal) {
  SummaryOptions options;
  options.terminal_columns = 60;
  options.line_length = 88;
  const auto lines = split_lines(format_summary(fixture_model("cnn"), options));
  for (const auto& line : lines) EXPECT_LE(cells(line), 60) << line;
  EXPECT_EQ(cells(lines[2]), 60);
  EXPECT_EQ(lines[lines.size() - 3], " Total params: 372 (1.45 KB)");
}

TEST(RichSummary, TooNarrowRaisesValueError) {
  SummaryOptions options;
  options.terminal_columns = 12;  // line length 8 leaves columns of 3, 3 and 2
  try {
    format_summary(fixture_model("cnn"), options);
    FAIL() << "expected keras::ValueError";
  } catch (const keras::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("Insufficient console width to print summary"),
              std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Received: line_length=8"), std::string::npos);
  }
}

TEST(RichSummary, SizesUse1024BasedUnits) {
  SummaryOptions options;
  options.terminal_columns = 200;
  SummaryData data = model("big", {}, 300'000'000, 256);
  const std::string text = format_summary(data, options);
  EXPECT_NE(text.find(" Total params: 300,000,256 (1.12 GB)\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" Non-trainable params: 256 (1.00 KB)\n"), std::string::npos) << text;
  data = model("mid", {}, 1'000'000, 255);
  const std::string mid = format_summary(data, options);
  EXPECT_NE(mid.find(" Trainable params: 1,000,000 (3.81 MB)\n"), std::string::npos) << mid;
  EXPECT_NE(mid.find(" Non-trainable params: 255 (1020.00 B)\n"), std::string::npos) << mid;
}

TEST(RichSummary, TableIsExactlyLineLengthWideForAnyContent) {
  std::mt19937 rng(1234);
  const std::vector<std::string> pieces = {"dense", "_", " ", "(", ")", "[0][0]", ", ",
                                           "very_long_identifier_without_breaks", "\u6F22", "7"};
  auto random_text = [&] {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) text += pieces[rng() % pieces.size()];
    return text;
  };
  for (int trial = 0; trial < 200; ++trial) {
    SummaryData data;
    data.model_name = "m";
    data.sequential_like = trial % 2 == 0;
    for (int r = 0; r < 3; ++r) {
      SummaryRow row = layer(random_text(), random_text(), random_text(),
                             static_cast<std::int64_t>(rng() % 10'000'000), "Y");
      row.connected_to = {random_text(), random_text()};
      data.rows.push_back(row);
    }
    SummaryOptions options;
    options.terminal_columns = 400;
    options.line_length = 40 + static_cast<int>(rng() % 120);
    options.show_trainable = trial % 3 == 0;
    const auto lines = split_lines(format_summary(data, options));
    ASSERT_GT(lines.size(), 4u);
    for (std::size_t i = 1; i + 3 < lines.size(); ++i) {
      ASSERT_EQ(cells(lines[i]), options.line_length) << "trial " << trial << ": " << lines[i];
    }
  }
}

// ---- rich layout primitives ------------------------------------------------------------

TEST(RichLayout, FixedColumnsShrinkEvenlyWithHalvesToEven) {
  auto widths = [](std::vector<int> requested, int line_length) {
    std::vector<detail::TableColumn> columns;
    for (int w : requested) columns.push_back({"h", detail::Justify::kLeft, w});
    return detail::table_column_widths(columns, line_length);
  };
  // Excess 10 over three columns: 3, then round(7/2) = 4, then 3.
  EXPECT_EQ(widths({39, 31, 18}, 88), (std::vector<int>{38, 29, 17}));
  EXPECT_EQ(widths({34, 26, 16}, 76), (std::vector<int>{33, 24, 15}));
  EXPECT_EQ(widths({40, 32, 18, 10}, 100), (std::vector<int>{39, 31, 16, 9}));
  EXPECT_EQ(widths({32, 28, 19, 29}, 108), (std::vector<int>{31, 27, 17, 28}));
}

TEST(RichLayout, PythonRounding) {
  EXPECT_EQ(detail::round_half_even_div(7, 2), 4);
  EXPECT_EQ(detail::round_half_even_div(5, 2), 2);
  EXPECT_EQ(detail::round_half_even_div(13, 4), 3);
  EXPECT_EQ(detail::round_half_even_div(10, 3), 3);
  EXPECT_EQ(detail::round_half_even_div(-5, 2), -2);
}

TEST(RichLayout, WrapsOnSpacesOnly) {
  const auto wrap = [](const std::string& text, int width, detail::Justify justify,
                       detail::Overflow overflow) {
    std::vector<std::string> out;
    for (const auto& line : detail::wrap_text(detail::utf8_decode(text), width, justify, overflow)) {
      out.push_back(detail::utf8_encode(line));
    }
    return out;
  };
  using J = detail::Justify;
  using O = detail::Overflow;
  EXPECT_EQ(wrap("batch_normalization (BatchNormalization)", 36, J::kLeft, O::kEllipsis),
            (std::vector<std::string>{"batch_normalization                 ",
                                      "(BatchNormalization)                "}));
  EXPECT_EQ(wrap("Trainable", 7, J::kCenter, O::kEllipsis), (std::vector<std::string>{"Traina…"}));
  EXPECT_EQ(wrap("Y", 7, J::kCenter, O::kEllipsis), (std::vector<std::string>{"   Y   "}));
  EXPECT_EQ(wrap("1,234", 8, J::kRight, O::kEllipsis), (std::vector<std::string>{"   1,234"}));
  // Folding (how the console wraps long title lines) cuts words at the width.
  EXPECT_EQ(wrap("Model: \"abcdefghij\"", 8, J::kDefault, O::kFold),
            (std::vector<std::string>{"Model: ", "\"abcdefg", "hij\""}));
}

TEST(RichLayout, CountsCellsNotBytes) {
  EXPECT_EQ(cells("┃ Traina… ┃"), 11);
  EXPECT_EQ(detail::cell_len(U"\u6F22\u5B57"), 4);  // wide CJK characters
}

}  // namespace
