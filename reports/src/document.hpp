// A report page built once and written twice: as one self-contained HTML file (styles inline, SVG
// charts inline, no script) and as Markdown. Sections add blocks; every text given here is data
// and is escaped for the format it lands in, so a program argument "<script>" shows as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "charts.hpp"

namespace commtune::reports {

enum class Tone { Neutral, Good, Warning, Bad };

struct Cell {
  std::string text;
  bool number = false;  // right-aligned
  Tone tone = Tone::Neutral;
};

struct Table {
  std::vector<std::string> headers;
  std::vector<std::vector<Cell>> rows;
};

// A figure on the first page: "load balance 0.73", coloured by its tone.
struct Metric {
  std::string label;
  std::string value;
  std::string note;
  Tone tone = Tone::Neutral;
};

// One part of the stacked time-breakdown bar.
struct BarPart {
  std::string label;
  double fraction = 0;
};

class Document {
 public:
  explicit Document(std::string title);

  void section(std::string_view id, std::string_view title);
  void subsection(std::string_view title);
  void paragraph(std::string_view text);
  // "Not recorded: ..." in the same place on every report.
  void not_recorded(std::string_view why);
  void verdict(std::string_view headline, std::string_view detail, Tone tone);
  void metrics(const std::vector<Metric>& metrics);
  // A horizontal bar of fractions of 1 (the HTML draws it; Markdown lists the percentages).
  void breakdown(std::string_view label, const std::vector<BarPart>& parts);
  void table(const Table& table);
  void bullets(const std::vector<std::string>& items);
  void code(std::string_view text);
  // The SVG in HTML; in Markdown a line pointing to it, since the numbers are in tables beside it.
  void chart(const Chart& chart);

  std::string html() const;
  std::string markdown() const;

 private:
  std::string title_;
  std::string html_;
  std::string markdown_;
  std::vector<std::pair<std::string, std::string>> contents_;  // section id, title
};

std::string escape_html(std::string_view text);
std::string escape_markdown(std::string_view text);
std::string tone_class(Tone tone);  // "good", "warning", "bad", ""

}  // namespace commtune::reports
