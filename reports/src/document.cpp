#include "document.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace commtune::reports {

namespace {

// The page's only styles: inline, so the file opens anywhere without a network request.
constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
nav{font-size:.9em;background:#f6f6f6;padding:.5em 1em;border-radius:6px}nav a{margin-right:1em}
.verdict{font-size:1.3em;padding:.8em 1em;border-radius:6px;border-left:8px solid #888;background:#f4f4f4}
.verdict.good{border-color:#2e7d32;background:#eef7ee}.verdict.warning{border-color:#ef6c00;background:#fff4e5}
.verdict.bad{border-color:#c62828;background:#fdecea}.verdict small{display:block;font-size:.7em;color:#444}
.metrics{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}.metric{border:1px solid #ccc;border-radius:6px;padding:.5em .9em;min-width:10em}
.metric .value{font-size:1.5em;font-weight:600}.metric .note{font-size:.8em;color:#555}
.metric.good{border-color:#2e7d32;background:#eef7ee}.metric.warning{border-color:#ef6c00;background:#fff4e5}.metric.bad{border-color:#c62828;background:#fdecea}
.bar{display:flex;height:1.6em;border-radius:4px;overflow:hidden;margin:.3em 0 1em;border:1px solid #bbb}
.bar span{display:block;height:100%;font-size:.8em;color:#fff;white-space:nowrap;overflow:hidden;padding-left:.3em}
.bar .part0{background:#0072B2}.bar .part1{background:#E69F00}.bar .part2{background:#009E73}.bar .part3{background:#CC79A7}.bar .part4{background:#bbbbbb;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.good{background:#eef7ee}td.warning{background:#fff4e5}td.bad{background:#fdecea}
.missing{color:#8a4b00;background:#fff8e1;padding:.3em .6em;border-radius:4px}
figure.chart{margin:1em 0}figure.chart svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
)css";

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Markdown renderers pass inline HTML through: < > & become entities, and the characters that
// would start emphasis, links, code or table cells are backslash-escaped. Line breaks become spaces.
std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else if (std::string_view("\\`*_[]|#").find(c) != std::string_view::npos)
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

std::string tone_class(Tone tone) {
  switch (tone) {
    case Tone::Good:
      return "good";
    case Tone::Warning:
      return "warning";
    case Tone::Bad:
      return "bad";
    case Tone::Neutral:
      break;
  }
  return "";
}

Document::Document(std::string title) : title_(std::move(title)) {}

void Document::section(std::string_view id, std::string_view title) {
  contents_.emplace_back(std::string(id), std::string(title));
  html_ += fmt::format("<h2 id=\"{}\">{}</h2>\n", escape_html(id), escape_html(title));
  markdown_ += fmt::format("\n## {}\n\n", escape_markdown(title));
}

void Document::subsection(std::string_view title) {
  html_ += fmt::format("<h3>{}</h3>\n", escape_html(title));
  markdown_ += fmt::format("\n### {}\n\n", escape_markdown(title));
}

void Document::paragraph(std::string_view text) {
  html_ += fmt::format("<p>{}</p>\n", escape_html(text));
  markdown_ += fmt::format("{}\n\n", escape_markdown(text));
}

void Document::not_recorded(std::string_view why) {
  html_ += fmt::format("<p class=\"missing\">Not recorded: {}</p>\n", escape_html(why));
  markdown_ += fmt::format("*Not recorded: {}*\n\n", escape_markdown(why));
}

void Document::verdict(std::string_view headline, std::string_view detail, Tone tone) {
  html_ += fmt::format("<div class=\"verdict {}\" id=\"verdict\">{}<small>{}</small></div>\n", tone_class(tone),
                       escape_html(headline), escape_html(detail));
  markdown_ += fmt::format("> **{}**  \n> {}\n\n", escape_markdown(headline), escape_markdown(detail));
}

void Document::metrics(const std::vector<Metric>& metrics) {
  html_ += "<div class=\"metrics\">\n";
  for (const Metric& metric : metrics) {
    html_ += fmt::format(
        "<div class=\"metric {}\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div "
        "class=\"note\">{}</div></div>\n",
        tone_class(metric.tone), escape_html(metric.label), escape_html(metric.value), escape_html(metric.note));
    const std::string mark = metric.tone == Tone::Good ? " (ok)" : metric.tone == Tone::Bad ? " (below threshold)" : "";
    markdown_ += fmt::format("- **{}**: {}{}{}\n", escape_markdown(metric.label), escape_markdown(metric.value), mark,
                             metric.note.empty() ? "" : " — " + escape_markdown(metric.note));
  }
  html_ += "</div>\n";
  markdown_ += "\n";
}

void Document::breakdown(std::string_view label, const std::vector<BarPart>& parts) {
  html_ += fmt::format("<div class=\"bar\" title=\"{}\">", escape_html(label));
  std::string listed;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const double percent = 100 * std::max(0.0, parts[i].fraction);
    html_ += fmt::format("<span class=\"part{}\" style=\"width:{:.2f}%\">{} {:.0f}%</span>", i % 5, percent,
                         escape_html(parts[i].label), percent);
    listed += fmt::format("{}{} {:.1f}%", i ? ", " : "", escape_markdown(parts[i].label), percent);
  }
  html_ += "</div>\n";
  markdown_ += fmt::format("{}: {}\n\n", escape_markdown(label), listed);
}

void Document::table(const Table& table) {
  // A table of name-value rows has no headers: no header row in HTML (Markdown needs one).
  const bool headed = std::any_of(table.headers.begin(), table.headers.end(), [](const auto& h) { return !h.empty(); });
  html_ += "<table>\n";
  if (headed) {
    html_ += "<tr>";
    for (const std::string& header : table.headers) html_ += fmt::format("<th>{}</th>", escape_html(header));
    html_ += "</tr>\n";
  }
  std::string separator;
  markdown_ += "|";
  for (const std::string& header : table.headers) {
    markdown_ += fmt::format(" {} |", escape_markdown(header));
    separator += "---|";
  }
  markdown_ += "\n|" + separator + "\n";
  for (const auto& row : table.rows) {
    html_ += "<tr>";
    markdown_ += "|";
    for (const Cell& cell : row) {
      std::string classes = tone_class(cell.tone);
      if (cell.number) classes += classes.empty() ? "num" : " num";
      html_ += classes.empty() ? "<td>" : fmt::format("<td class=\"{}\">", classes);
      html_ += escape_html(cell.text) + "</td>";
      markdown_ += fmt::format(" {} |", escape_markdown(cell.text));
    }
    html_ += "</tr>\n";
    markdown_ += "\n";
  }
  html_ += "</table>\n";
  markdown_ += "\n";
}

void Document::bullets(const std::vector<std::string>& items) {
  html_ += "<ul>\n";
  for (const std::string& item : items) {
    html_ += fmt::format("<li>{}</li>\n", escape_html(item));
    markdown_ += fmt::format("- {}\n", escape_markdown(item));
  }
  html_ += "</ul>\n";
  markdown_ += "\n";
}

void Document::code(std::string_view text) {
  html_ += fmt::format("<pre>{}</pre>\n", escape_html(text));
  // A fence longer than any run of backticks in the text, so the text cannot close it.
  std::size_t longest = 0, run = 0;
  for (const char c : text) longest = std::max(longest, run = c == '`' ? run + 1 : 0);
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  markdown_ += fmt::format("{}\n{}\n{}\n\n", fence, text, fence);
}

void Document::chart(const Chart& chart) {
  if (chart.svg.empty()) {
    html_ += fmt::format("<figure class=\"chart-missing\"><p class=\"missing\">Chart not drawn ({}): {}</p></figure>\n",
                         escape_html(chart.title), escape_html(chart.error));
    markdown_ +=
        fmt::format("*Chart not drawn ({}): {}*\n\n", escape_markdown(chart.title), escape_markdown(chart.error));
    return;
  }
  // The SVG comes from gnuplot, whose input held only chart_label() text: it is inlined as it is.
  html_ += fmt::format("<figure class=\"chart\" id=\"chart-{}\">{}<figcaption>{}</figcaption></figure>\n",
                       escape_html(chart.name), chart.svg, escape_html(chart.title));
  markdown_ += fmt::format("*Chart in the HTML report: {}.*\n\n", escape_markdown(chart.title));
}

std::string Document::html() const {
  std::string nav;
  for (const auto& [id, title] : contents_)
    nav += fmt::format("<a href=\"#{}\">{}</a>", escape_html(id), escape_html(title));
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<h1>{}</h1>\n<nav>{}</nav>\n{}</body>\n</html>\n",
      escape_html(title_), kStyle, escape_html(title_), nav, html_);
}

std::string Document::markdown() const { return fmt::format("# {}\n{}", escape_markdown(title_), markdown_); }

}  // namespace commtune::reports
