#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/waf/bodies/body_rows.h"
#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {
namespace {

struct Xml : ParsedBody {
  explicit Xml(std::string text, const bodies::Limits& limits = {}) : body(std::move(text)) {
    bodies::parse_xml(body, limits, parsed);
  }
  std::string body;
};

struct XmlRow {
  std::string_view body;
  std::string_view text;
  std::vector<std::string> attributes;
};

void expect_rows(std::initializer_list<XmlRow> rows) {
  for (const XmlRow& row : rows) {
    Xml x{std::string(row.body)};
    EXPECT_FALSE(x.parsed.error) << printable(row.body) << ": " << x.parsed.error_message;
    EXPECT_EQ(printable(x.parsed.xml_text), printable(row.text)) << printable(row.body);
    EXPECT_EQ(strings(x.parsed.xml_attributes), row.attributes) << printable(row.body);
  }
}

TEST(XmlBodyTest, RootTextIsAllDescendantTextAndCdata) {
  expect_rows({
      {"<a>hello</a>", "hello", {}},
      {"<a><b>hi</b> there<![CDATA[ <raw> & ]]></a>", "hi there <raw> & ", {}},
      {"<a>\n  <b>1</b>\n  <c/>\n</a>", "\n  1\n  \n", {}},
      {"<a/>", "", {}},
      {"<a><b><c>deep</c></b>x</a>", "deepx", {}},
  });
}

TEST(XmlBodyTest, AttributeValuesInDocumentOrderWithEitherQuote) {
  expect_rows({
      {R"(<a x="1" y='2'><b z = "3"/></a>)", "", {"1", "2", "3"}},
      {R"(<a x="it's" y='say "hi"'/>)", "", {"it's", "say \"hi\""}},
      {R"(<a x=""/>)", "", {""}},
  });
}

TEST(XmlBodyTest, DecodesPredefinedEntitiesAndCharacterReferences) {
  expect_rows({
      {"<a>&lt;&gt;&amp;&apos;&quot;</a>", "<>&'\"", {}},
      {"<a x='&quot;&apos;&amp;'>&amp;lt;</a>", "&lt;", {"\"'&"}},
  });
}

TEST(XmlBodyTest, DecodesReferencesToAnyUnicodeCharacter) {
  expect_rows({
      {"<a>&#65;&#x42;&#xe9;&#8364;&#x1F600;</a>", "AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", {}},
      {"<a x='&lt;script&gt;&#x41;'/>", "", {"<script>A"}},
  });
}

TEST(XmlBodyTest, ReadsTextLineEndsAsLineFeedsAndAttributeWhitespaceAsSpaces) {
  expect_rows({
      {"<a>1\r\n2\r3</a>", "1\n2\n3", {}},
      {"<a><![CDATA[x\r\ny\rz]]></a>", "x\r\ny\rz", {}},  // as libxml2 2.9 keeps them
      {"<a>&#13;</a>", "\r", {}},
      {"<a x='1\t2\n3\r\n4'/>", "", {"1 2 3 4"}},
      {"<a x='1&#10;2&#9;3'/>", "", {"1\n2\t3"}},
  });
}

TEST(XmlBodyTest, SkipsCommentsProcessingInstructionsAndTheXmlDeclaration) {
  expect_rows({
      {"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<?pi x?><a>1<!-- <b>2</b> -->"
       "<?php echo 3; ?>4</a>\n<!-- after -->\n",
       "14",
       {}},
      {"\xEF\xBB\xBF<a>bom</a>", "bom", {}},
      {"<a><!----></a>", "", {}},
  });
}

TEST(XmlBodyTest, NamespaceDeclarationsAreNotAttributes) {
  expect_rows({
      {R"(<s:a xmlns:s="urn:s" xmlns="urn:d" s:x="1" y="2"/>)", "", {"1", "2"}},
      {R"(<a xmlns:p="" xmlns:p="urn:p"/>)", "", {}},  // the empty one is dropped, as libxml2 does
  });
}

// A DOCTYPE is skipped, internal subset and all: nothing it declares is expanded or fetched.
TEST(XmlBodyTest, ExternalEntitiesAreNeverExpanded) {
  expect_rows({
      {"<?xml version=\"1.0\"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
       "<foo>&xxe;</foo>",
       "&xxe;",
       {}},
      {"<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://evil.example/x.dtd\"> %p;]><r a='&e;'>x</r>",
       "x",
       {"&e;"}},
      {"<!DOCTYPE r SYSTEM \"http://evil.example/r.dtd\"><r>&ent;</r>", "&ent;", {}},
  });
}

TEST(XmlBodyTest, EntityExpansionBombsStayUnexpanded) {
  std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  doc += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">";
  for (int i = 2; i <= 9; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) doc += "&lol" + std::to_string(i - 1) + ";";
    doc += "\">";
  }
  doc += "<!-- ] > --><!ENTITY q \"]>\">]><lolz>&lol9;</lolz>";
  Xml x(doc);
  EXPECT_FALSE(x.parsed.error) << x.parsed.error_message;
  EXPECT_EQ(x.parsed.xml_text, "&lol9;");
}

TEST(XmlBodyTest, UndeclaredEntityWithoutADoctypeIsAnError) {
  Xml x("<a>&nbsp;</a>");
  EXPECT_TRUE(x.parsed.error);
  EXPECT_EQ(x.parsed.error_message, "XML parsing error: Entity not defined at offset 3");
}

TEST(XmlBodyTest, NotWellFormedDocumentsAreErrors) {
  const std::string kBodies[] = {
      "",
      " \n ",
      "text",
      "<a>",
      "<a",
      "<a></b>",
      "<a></a ",
      "<a><b></a></b>",
      "<a x=1/>",
      "<a x/>",
      "<a x='1' x='2'/>",
      "<a x='1'y='2'/>",
      "<a x='<'/>",
      "<a x='1/>",
      "<a>]]></a>",
      "<a><!-- a -- b --></a>",
      "<a><!-- never closed</a>",
      "<a><![CDATA[ never closed</a>",
      "<a/><b/>",
      "<a/>text",
      "text<a/>",
      "<a>&#0;</a>",
      "<a>&#xD800;</a>",
      "<a>&#x110000;</a>",
      "<a>&#;</a>",
      "<a>&#12a;</a>",
      "<a>&#X41;</a>",
      "<a>&amp</a>",
      "<a>& b</a>",
      std::string("<a>\x01</a>"),
      std::string("<a>\0</a>", 8),
      "<a>\xff</a>",
      "<a>\xc0\xaf</a>",
      "<?xml version='1.0'?><?xml version='1.0'?><a/>",
      "<?xml version=\"10\"?><a/>",
      "<?xml encoding=\"UTF-8\"?><a/>",
      "<?xml version=\"1.0\" encoding=\"no-such-charset\"?><a/>",
      "<?xml version=\"1.0\" standalone=\"maybe\"?><a/>",
      "<?xml version=\"1.0\"<a/>",
      "<a xmlns:p='urn:1' xmlns:p='urn:2'/>",
      "<a><?xml version='1.0'?></a>",
      "<a><!DOCTYPE x></a>",
      "<!DOCTYPE a><!DOCTYPE a><a/>",
      "<!DOCTYPE a [ <!ENTITY x 'y'> <a/>",
      "<1a/>",
      "< a/>",
      "<a></>",
      "<a><?></a>",
      "<a><?pi never closed</a>",
      std::string("\xFF\xFE<\0a\0/\0>\0", 10),
  };
  for (const std::string& text : kBodies) {
    Xml x(text);
    EXPECT_TRUE(x.parsed.error) << "accepted: " << printable(text);
    EXPECT_TRUE(x.parsed.error_message.starts_with("XML parsing error: "))
        << x.parsed.error_message;
  }
}

TEST(XmlBodyTest, DeclaredNonUtf8EncodingSkipsTheUtf8Check) {
  Xml latin("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a x='caf\xe9'>caf\xe9</a>");
  EXPECT_FALSE(latin.parsed.error) << latin.parsed.error_message;
  EXPECT_EQ(latin.parsed.xml_text, "caf\xe9");
  Xml utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?><a>caf\xe9</a>");
  EXPECT_TRUE(utf8.parsed.error);
}

// libxml2's default limit (without XML_PARSE_HUGE) is 256 levels.
TEST(XmlBodyTest, DeepNestingIsRejected) {
  auto nested = [](int depth) {
    std::string doc;
    for (int i = 0; i < depth; ++i) doc += "<a>";
    doc += "x";
    for (int i = 0; i < depth; ++i) doc += "</a>";
    return doc;
  };
  Xml ok(nested(256));
  EXPECT_FALSE(ok.parsed.error) << ok.parsed.error_message;
  EXPECT_EQ(ok.parsed.xml_text, "x");
  Xml deep(nested(257));
  EXPECT_TRUE(deep.parsed.error);
  EXPECT_TRUE(deep.parsed.error_message.starts_with("XML parsing error: Excessive depth"))
      << deep.parsed.error_message;

  bodies::Limits limits;
  limits.xml_max_depth = 3;
  EXPECT_TRUE(Xml(nested(4), limits).parsed.error);
  EXPECT_TRUE(Xml(std::string(100000, '<') + "a>", limits).parsed.error);
}

TEST(XmlBodyTest, ManyDistinctAttributesAreFineAndOneRepeatAmongThemIsNot) {
  std::string doc = "<a";
  for (int i = 0; i < 2000; ++i) doc += " x" + std::to_string(i) + "='" + std::to_string(i) + "'";
  Xml ok(doc + "/>");
  EXPECT_FALSE(ok.parsed.error) << ok.parsed.error_message;
  EXPECT_EQ(ok.parsed.xml_attributes.size(), 2000u);
  EXPECT_EQ(ok.parsed.xml_attributes[1999], "1999");
  Xml repeated(doc + " x1000='again'/>");
  EXPECT_TRUE(repeated.parsed.error);
}

TEST(XmlBodyTest, UndecodedAttributeValuesPointIntoTheBody) {
  Xml x("<a x='plain' y='&amp;'/>");
  ASSERT_EQ(x.parsed.xml_attributes.size(), 2u);
  EXPECT_TRUE(points_into(x.parsed.xml_attributes[0], x.body));
  EXPECT_EQ(x.parsed.xml_attributes[1], "&");
}

TEST(XmlBodyTest, ArenaExhaustionIsAnErrorNotACrash) {
  alignas(std::max_align_t) char buffer[64];
  std::pmr::monotonic_buffer_resource arena(buffer, sizeof buffer,
                                            std::pmr::null_memory_resource());
  bodies::Parsed parsed(&arena);
  std::string doc = "<a>" + std::string(1000, 'x') + "</a>";
  bodies::parse_xml(doc, {}, parsed);
  EXPECT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error_message, "XML parsing error: out of request memory");
}

}  // namespace
}  // namespace portcullis::waf::testing
