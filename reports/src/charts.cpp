#include "charts.hpp"

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace commtune::reports {

namespace fs = std::filesystem;

namespace {

// The page's colours, in series order (colour-blind safe, Okabe-Ito).
// The timeline colours categories by their index (p2p, collective, rma, io, completion, ...):
// completion is vermilion, far from p2p's blue.
constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                    "#D55E00", "#56B4E9", "#F0E442", "#000000"};
constexpr int kColourCount = int(sizeof kColours / sizeof kColours[0]);
// Category labels are written under the bars up to this many; beyond it the axis counts.
constexpr std::size_t kMaxLabelledCategories = 40;

std::string gnuplot_program() {
  const char* chosen = std::getenv("COMMTUNE_GNUPLOT");
  return chosen && *chosen ? chosen : "gnuplot";
}

// A private temporary directory, removed when it goes out of scope.
class Scratch {
 public:
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "commtune-chart-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~Scratch() {
    std::error_code error;
    if (!path_.empty()) fs::remove_all(path_, error);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces every occurrence of `from` by `to`.
void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// gnuplot's SVG as an inline element of a page holding several: the XML prolog dropped, its
// fixed ids (gnuplot_canvas, gpPt0, ...) and the references to them prefixed with the chart's
// name, so that two charts never share an id.
std::string inline_svg(std::string svg, const std::string& name) {
  const std::size_t start = svg.find("<svg");
  if (start == std::string::npos) return {};
  svg.erase(0, start);
  const std::string prefix = chart_label(name) + "-";
  replace_all(svg, "id='", "id='" + prefix);
  replace_all(svg, "id=\"", "id=\"" + prefix);
  replace_all(svg, "href='#", "href='#" + prefix);
  replace_all(svg, "href=\"#", "href=\"#" + prefix);
  replace_all(svg, "url(#", "url(#" + prefix);
  svg.insert(4, fmt::format(" class='chart-svg' data-chart='{}' role='img'", prefix.substr(0, prefix.size() - 1)));
  return svg;
}

std::string terminal(int width, int height) {
  return fmt::format(
      "set terminal svg size {},{} noenhanced font 'sans,11' background '#ffffff'\n"
      "set encoding utf8\nset border 3 lc rgb '#555555'\nset tics nomirror\n"
      "set grid ytics lc rgb '#dddddd'\nset key outside right top\nset datafile separator '\\t'\n",
      width, height);
}

// Runs gnuplot on `script` in `scratch`; the chart's SVG, or why not.
Chart run(const std::string& name, const std::string& title, const std::string& script, const Scratch& scratch) {
  Chart chart{name, title, {}, {}};
  if (scratch.path().empty()) {
    chart.error = "no temporary directory for gnuplot";
    return chart;
  }
  const fs::path script_file = scratch.path() / "chart.gp";
  const fs::path svg_file = scratch.path() / "chart.svg";
  std::ofstream(script_file) << "set output '" << svg_file.string() << "'\n" << script;
  const pid_t child = fork();
  if (child == 0) {
    const std::string program = gnuplot_program();
    const std::string log = (scratch.path() / "gnuplot.log").string();
    if (!freopen(log.c_str(), "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
    execlp(program.c_str(), program.c_str(), script_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) {
    chart.error = "gnuplot could not be started";
    return chart;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    chart.error = code == 127 ? fmt::format("{} not found (install gnuplot-nox)", gnuplot_program())
                              : fmt::format("gnuplot failed: {}", read_all(scratch.path() / "gnuplot.log"));
    return chart;
  }
  chart.svg = inline_svg(read_all(svg_file), name);
  if (chart.svg.empty()) chart.error = "gnuplot wrote no SVG";
  return chart;
}

std::string quoted(const std::string& text) { return "'" + chart_label(text) + "'"; }

std::string number(double value) { return fmt::format("{:.9g}", value); }

}  // namespace

std::string chart_label(const std::string& text) {
  std::string safe;
  safe.reserve(text.size());
  for (const char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    safe += letter || std::string_view(" _.:,=+-/()#%").find(c) != std::string_view::npos ? c : '?';
  }
  return safe;
}

bool gnuplot_available() {
  const std::string program = gnuplot_program();
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::istringstream folders(path ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');)
    if (!folder.empty() && access((fs::path(folder) / program).c_str(), X_OK) == 0) return true;
  return false;
}

Chart draw(const BarChart& chart) {
  Scratch scratch;
  const std::size_t categories = chart.categories.size();
  const std::size_t series = chart.series.size();
  // Columns: x, label, then per series the value (clustered) or the running sum (stacked: each
  // series is drawn from the top of the stack down, so the lower ones cover the upper ones' base).
  std::ofstream data(scratch.path() / "bars.dat");
  for (std::size_t c = 0; c < categories; ++c) {
    data << c << '\t' << chart_label(chart.categories[c]);
    double sum = 0;
    for (std::size_t s = 0; s < series; ++s) {
      const double value = c < chart.values[s].size() ? chart.values[s][c] : 0;
      sum += value;
      data << '\t' << number(chart.stacked ? sum : value);
    }
    data << '\n';
  }
  data.close();
  std::string script = terminal(chart.width, chart.height);
  script += fmt::format("set xlabel {}\nset ylabel {}\nset style fill solid 0.9 noborder\n", quoted(chart.x_label),
                        quoted(chart.y_label));
  script += fmt::format("set xrange [-0.6:{}]\nset yrange [0:*]\n", number(double(categories) - 0.4));
  if (chart.log_y) script += "set logscale y\nset yrange [*:*]\n";
  const bool labelled = categories <= kMaxLabelledCategories;
  if (labelled) script += "set xtics rotate by -30 scale 0\n";
  const double width = chart.stacked || series == 0 ? 0.8 : 0.8 / double(series);
  std::string plot = "plot ";
  for (std::size_t k = 0; k < series; ++k) {
    const std::size_t s = chart.stacked ? series - 1 - k : k;
    const double offset = chart.stacked ? 0 : (double(s) - (double(series) - 1) / 2) * width;
    plot += fmt::format("{}'{}' using ($1+{}):{}:({}){} with boxes lc rgb '{}' title {}", k ? ", " : "",
                        (scratch.path() / "bars.dat").string(), number(offset), s + 3, number(width),
                        labelled && k == 0 ? ":xtic(2)" : "", kColours[s % kColourCount], quoted(chart.series[s]));
  }
  if (categories == 0) plot = "set xrange [0:1]\nset yrange [0:1]\nplot 2 notitle";
  return run(chart.name, chart.title, script + plot + "\n", scratch);
}

Chart draw(const LineChart& chart) {
  Scratch scratch;
  std::string script = terminal(chart.width, chart.height);
  script += fmt::format("set xlabel {}\nset ylabel {}\n", quoted(chart.x_label), quoted(chart.y_label));
  if (chart.log_x) script += "set logscale x 2\n";
  if (chart.log_y) script += "set logscale y\n";
  std::string plot = "plot ";
  for (std::size_t s = 0; s < chart.series.size(); ++s) {
    const LineSeries& line = chart.series[s];
    const fs::path file = scratch.path() / fmt::format("series-{}.dat", s);
    std::ofstream data(file);
    const bool bars = line.y_low.size() == line.y.size() && line.y_high.size() == line.y.size();
    for (std::size_t i = 0; i < line.x.size() && i < line.y.size(); ++i) {
      data << number(line.x[i]) << '\t' << number(line.y[i]);
      if (bars) data << '\t' << number(line.y_low[i]) << '\t' << number(line.y_high[i]);
      data << '\n';
    }
    plot += fmt::format("{}'{}' using 1:2{} with {} lw 1.5 pt 7 ps 0.5 lc rgb '{}' title {}", s ? ", " : "",
                        file.string(), bars ? ":3:4" : "", bars ? "yerrorlines" : "linespoints",
                        kColours[s % kColourCount], quoted(line.name));
  }
  if (chart.series.empty()) plot = "plot 2 notitle";
  return run(chart.name, chart.title, script + plot + "\n", scratch);
}

Chart draw(const Timeline& chart) {
  Scratch scratch;
  std::string script = terminal(chart.width, chart.height);
  const std::size_t rows = chart.rows.size();
  script += fmt::format("set xlabel 'time (s)'\nset yrange [{}:-0.6]\nset style fill solid 0.9 noborder\nset ytics (",
                        number(double(rows) - 0.4));
  for (std::size_t row = 0; row < rows; ++row)
    script += fmt::format("{}{} {}", row ? ", " : "", quoted(chart.rows[row]), row);
  script += ")\n";
  std::string plot = "plot ";
  bool any = false;
  for (std::size_t c = 0; c < chart.categories.size(); ++c) {
    const fs::path file = scratch.path() / fmt::format("category-{}.dat", c);
    std::ofstream data(file);
    bool used = false;
    for (const TimelineSegment& segment : chart.segments) {
      if (segment.category != int(c)) continue;
      used = true;
      data << number((segment.start_s + segment.end_s) / 2) << '\t' << segment.row << '\t'
           << number((segment.end_s - segment.start_s) / 2) << "\t0.35\n";
    }
    if (!used) continue;
    plot += fmt::format("{}'{}' using 1:2:3:4 with boxxyerror lc rgb '{}' title {}", any ? ", " : "", file.string(),
                        kColours[c % kColourCount], quoted(chart.categories[c]));
    any = true;
  }
  if (!any) plot = "plot 2 notitle";
  return run(chart.name, chart.title, script + plot + "\n", scratch);
}

Chart draw(const Heatmap& chart) {
  Scratch scratch;
  // Cells are placed at the centre of the ranks they cover, so the axes count ranks at any block size.
  const double step = chart.ranks_per_cell;
  const double centre = (step - 1) / 2;
  std::ofstream data(scratch.path() / "cells.dat");
  for (int row = 0; row < chart.size; ++row)
    for (int column = 0; column < chart.size; ++column)
      data << number(column * step + centre) << '\t' << number(row * step + centre) << '\t'
           << number(chart.cells[std::size_t(row) * chart.size + column]) << '\n';
  data.close();
  const double end = chart.size * step - 0.5;
  std::string script = terminal(chart.width, chart.height);
  script += fmt::format(
      "set xlabel {}\nset ylabel {}\nset cblabel {}\nunset grid\nset size ratio -1\n"
      "set xrange [-0.5:{}]\nset yrange [{}:-0.5]\nset palette defined (0 '#ffffff', 1 '#fde0c5', 4 '#e34a33', "
      "8 '#7f0000')\nset cbrange [0:*]\nset key off\n",
      quoted(chart.x_label), quoted(chart.y_label), quoted(chart.value_label), number(end), number(end));
  if (chart.size <= 16 && step == 1) script += "set xtics 1\nset ytics 1\n";
  // `with image` embeds the cells as one PNG (a data: URL): a tenth of the size of one <rect> per
  // cell (`pixels`) and faster to render. Pixelated, so 2 x 2 cells stay 4 squares, not a blur.
  script += fmt::format("plot '{}' using 1:2:3 with image\n", (scratch.path() / "cells.dat").string());
  Chart drawn = run(chart.name, chart.title, script, scratch);
  replace_all(drawn.svg, "<image ", "<image style='image-rendering:pixelated' ");
  return drawn;
}

}  // namespace commtune::reports
