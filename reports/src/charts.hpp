// Charts drawn by gnuplot (svg terminal) at report time and inlined into the HTML: a mature
// plotting program, offline and deterministic, and no script in the page. Every text that reaches
// gnuplot is reduced to a safe set of characters (chart_label), never spliced into its commands
// as it came; data go through data files.
#pragma once

#include <string>
#include <vector>

namespace commtune::reports {

// A chart as drawn: the SVG (empty when it could not be drawn, then `error` says why).
struct Chart {
  std::string name;  // unique within a page: the SVG's ids are prefixed with it
  std::string title;
  std::string svg;
  std::string error;
};

struct BarChart {
  std::string name, title, x_label, y_label;
  std::vector<std::string> categories;      // one bar (or cluster) each; labels shown when few
  std::vector<std::string> series;          // stacked parts, or clustered bars
  std::vector<std::vector<double>> values;  // [series][category]
  bool stacked = true;
  bool log_y = false;
  int width = 900, height = 300;
};

struct LineSeries {
  std::string name;
  std::vector<double> x, y;
  std::vector<double> y_low, y_high;  // empty: no error bars
};

struct LineChart {
  std::string name, title, x_label, y_label;
  std::vector<LineSeries> series;
  bool log_x = false;
  bool log_y = false;
  int width = 900, height = 320;
};

// A square matrix of `size` x `size` cells (row = sender, column = receiver), row-major.
struct Heatmap {
  std::string name, title, x_label, y_label, value_label;
  int size = 0;
  int ranks_per_cell = 1;  // the cells' width in ranks (blocks when the run is large)
  std::vector<double> cells;
  int width = 620, height = 560;
};

// Calls as boxes on one row per rank, coloured by category, over a time window.
struct TimelineSegment {
  int row = 0;
  double start_s = 0, end_s = 0;
  int category = 0;  // index into Timeline::categories
};

struct Timeline {
  std::string name, title;
  std::vector<std::string> rows;  // labels, top to bottom
  std::vector<std::string> categories;
  std::vector<TimelineSegment> segments;
  int width = 1000, height = 360;
};

Chart draw(const BarChart& chart);
Chart draw(const Timeline& chart);
Chart draw(const LineChart& chart);
Chart draw(const Heatmap& chart);

// Text reduced to letters, digits, space and _ . : , = + - / ( ) # %: safe inside gnuplot's
// single-quoted strings and its data files.
std::string chart_label(const std::string& text);

// Whether gnuplot can be run (searched in PATH, or $COMMTUNE_GNUPLOT).
bool gnuplot_available();

}  // namespace commtune::reports
