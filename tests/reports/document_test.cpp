// Unit tests of the report's page builder (reports/src/document.hpp) and chart labels: text from
// the application is escaped for HTML, for Markdown and for gnuplot. The browser tests
// (run_report_test.py) check the same on whole pages; these pin the rules character by character.
#include "document.hpp"

#include <gtest/gtest.h>

#include "charts.hpp"

namespace commtune::reports {
namespace {

TEST(Escape, HtmlEscapesEveryMarkupCharacter) {
  EXPECT_EQ(escape_html("<script>alert(\"1\")</script> & 'x'"),
            "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &amp; &#39;x&#39;");
  EXPECT_EQ(escape_html("plain text 1.5 µs"), "plain text 1.5 µs");
}

TEST(Escape, MarkdownNeutralisesHtmlAndMarkup) {
  EXPECT_EQ(escape_markdown("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
  EXPECT_EQ(escape_markdown("a|b *c* _d_ [e](f) `g` #h \\"), "a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\`g\\` \\#h \\\\");
  EXPECT_EQ(escape_markdown("two\nlines"), "two lines");
}

TEST(Escape, ChartLabelsKeepOnlySafeCharacters) {
  EXPECT_EQ(chart_label("MPI_Send 64.0 KiB-128 KiB"), "MPI_Send 64.0 KiB-128 KiB");
  EXPECT_EQ(chart_label("x'; system(\"rm\") #"), "x?? system(?rm?) #");
  EXPECT_EQ(chart_label("<script>"), "?script?");
}

TEST(Document, TableCellsCannotBreakTheTable) {
  Document document("t");
  document.table(Table{{"name", "value"}, {{{"a|b"}, {"<td>x</td>", true}}}});
  const std::string markdown = document.markdown();
  EXPECT_NE(markdown.find("| a\\|b | &lt;td&gt;x&lt;/td&gt; |"), std::string::npos) << markdown;
  const std::string html = document.html();
  EXPECT_NE(html.find("<td class=\"num\">&lt;td&gt;x&lt;/td&gt;</td>"), std::string::npos) << html;
}

TEST(Document, CodeFenceIsLongerThanAnyBacktickRunInside) {
  Document document("t");
  document.code("a ``` b");
  EXPECT_NE(document.markdown().find("````\na ``` b\n````"), std::string::npos) << document.markdown();
}

TEST(Document, TitleAndSectionsEscapedAndListed) {
  Document document("<script>alert(1)</script>");
  document.section("summary", "Summary & more");
  document.not_recorded("no <trace>");
  const std::string html = document.html();
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#summary\">Summary &amp; more</a>"), std::string::npos);
  EXPECT_NE(html.find("Not recorded: no &lt;trace&gt;"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
}

TEST(Document, ChartThatCouldNotBeDrawnSaysWhy) {
  Document document("t");
  document.chart(Chart{"c", "Title <x>", "", "gnuplot not found"});
  EXPECT_NE(document.html().find("Chart not drawn (Title &lt;x&gt;): gnuplot not found"), std::string::npos);
}

}  // namespace
}  // namespace commtune::reports
