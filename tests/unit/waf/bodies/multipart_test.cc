#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "tests/unit/waf/bodies/body_rows.h"
#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

constexpr std::string_view kType = "multipart/form-data; boundary=0000";

// The lines, each ended by `eol`.
std::string lines(std::initializer_list<std::string_view> parts, std::string_view eol = "\r\n") {
  std::string body;
  for (std::string_view p : parts) body.append(p).append(eol);
  return body;
}

// The body and Content-Type stay alive as long as the views into them.
struct Multipart : ParsedBody {
  explicit Multipart(std::string body_text, std::string_view type = kType,
                     const bodies::Limits& limits = {})
      : body(std::move(body_text)), content_type(type) {
    bodies::parse_multipart(body, content_type, limits, parsed);
  }
  std::string body;
  std::string content_type;
  const bodies::MultipartFlags& flags() const { return parsed.multipart; }
};

std::string field(std::string_view name, std::string_view value) {
  return lines(
      {"--0000", "Content-Disposition: form-data; name=\"" + std::string(name) + "\"", "", value});
}

// ModSecurity's regression test "multipart parser (normal)".
const std::string kNormal = lines({
    "--0000",
    "Content-Disposition: form-data; name=\"name\"",
    "",
    "Brian Rectanus",
    "--0000",
    "Content-Disposition: form-data; name=\"email\"",
    "",
    "brian.rectanus@breach.com",
    "--0000",
    "Content-Disposition: form-data; name=\"image\"; filename=\"image.jpg\"",
    "Content-Type: image/jpeg",
    "",
    "BINARYDATA",
    "--0000--",
});

TEST(MultipartBodyTest, FieldsBecomeArgumentsAndFilePartsFiles) {
  Multipart m(kNormal);
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args),
            (Pairs{{"name", "Brian Rectanus"}, {"email", "brian.rectanus@breach.com"}}));
  ASSERT_EQ(m.parsed.files.size(), 1u);
  EXPECT_EQ(m.parsed.files[0].name, "image");
  EXPECT_EQ(m.parsed.files[0].filename, "image.jpg");
  EXPECT_EQ(m.parsed.files[0].size, 10u);
  EXPECT_EQ(m.parsed.files[0].content, "BINARYDATA");
  EXPECT_FALSE(m.flags().strict_error);
}

TEST(MultipartBodyTest, EveryPartHeaderLineIsListedUnderItsPartName) {
  Multipart m(kNormal);
  EXPECT_EQ(
      pairs(m.parsed.part_headers),
      (Pairs{{"name", "Content-Disposition: form-data; name=\"name\""},
             {"email", "Content-Disposition: form-data; name=\"email\""},
             {"image", "Content-Disposition: form-data; name=\"image\"; filename=\"image.jpg\""},
             {"image", "Content-Type: image/jpeg"}}));
}

TEST(MultipartBodyTest, AWellFormedBodySetsNoFlagButUnmatchedBoundaryTwo) {
  Multipart m(kNormal);
  const auto& f = m.flags();
  EXPECT_FALSE(f.strict_error || f.boundary_quoted || f.boundary_whitespace || f.data_before ||
               f.data_after || f.header_folding || f.lf_line || f.crlf_lf_lines ||
               f.missing_semicolon || f.invalid_quoting || f.invalid_part ||
               f.invalid_header_folding || f.file_limit_exceeded || f.unmatched_boundary);
  // Every boundary after the first sets 2, as in ModSecurity v3; rules test "@eq 1".
  EXPECT_EQ(f.unmatched_boundary_value, 2);
}

TEST(MultipartBodyTest, ValuesKeepTheirInnerLineBreaksButNotTheOneBeforeTheBoundary) {
  Multipart m(field("t", "line 1\r\nline 2\n") + "--0000--\r\n");
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"t", "line 1\r\nline 2\n"}}));
  EXPECT_TRUE(points_into(m.parsed.args[0].value, m.body));
}

TEST(MultipartBodyTest, EmptyFieldAndEmptyFilenameAreArguments) {
  std::string body = lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "", "",
                            "--0000", "Content-Disposition: form-data; name=\"f\"; filename=\"\"",
                            "", "content", "--0000--"});
  Multipart m(body);
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", ""}, {"f", "content"}}));
  EXPECT_TRUE(m.parsed.files.empty());
}

TEST(MultipartBodyTest, DispositionParametersAreUnquotedAndUnescaped) {
  struct Row {
    std::string_view disposition;
    std::string_view name;
    std::string_view filename;
    bool invalid_quoting;
  };
  constexpr Row kRows[] = {
      {R"(form-data; name="a")", "a", "", false},
      {R"(form-data; name=a)", "a", "", false},
      {R"(form-data;name="a";filename="x.txt")", "a", "x.txt", false},
      {R"(form-data; name = "a" ; filename= "x y.txt")", "a", "x y.txt", false},
      {R"(form-data; name="a\"b")", "a\"b", "", false},
      {R"(form-data; name="a\\b")", "a\\b", "", false},
      {R"(form-data; name="C:\dir")", "C:\\dir", "", false},
      {R"(form-data; name="a'b")", "a'b", "", false},
      {R"(form-data; name='a')", "a", "", true},
      {R"(form-data; name=a'b)", "a'b", "", true},
      {R"(form-data; name="a"; filename="f"; filename*=UTF-8''f%C3%A9)", "a", "f", false},
  };
  for (const Row& row : kRows) {
    std::string body = lines(
        {"--0000", "Content-Disposition: " + std::string(row.disposition), "", "v", "--0000--"});
    Multipart m(body);
    EXPECT_FALSE(m.parsed.error) << row.disposition << ": " << m.parsed.error_message;
    if (row.filename.empty()) {
      EXPECT_EQ(pairs(m.parsed.args), (Pairs{{std::string(row.name), "v"}})) << row.disposition;
    } else {
      ASSERT_EQ(m.parsed.files.size(), 1u) << row.disposition;
      EXPECT_EQ(m.parsed.files[0].name, row.name) << row.disposition;
      EXPECT_EQ(m.parsed.files[0].filename, row.filename) << row.disposition;
    }
    EXPECT_EQ(m.flags().invalid_quoting, row.invalid_quoting) << row.disposition;
    EXPECT_EQ(m.flags().strict_error, row.invalid_quoting) << row.disposition;
  }
}

TEST(MultipartBodyTest, InvalidContentDispositionsAreErrors) {
  constexpr std::string_view kDispositions[] = {
      "form-data name=\"a\"",                           // no ';' (ModSecurity's "bad disposition")
      "form-data;",                                     // no name field
      "form-data; name=\"\"",                           // empty name
      "attachment; name=\"a\"",                         // not form-data
      "Form-Data; name=\"a\"",                          // compared case-sensitively
      "form-data; name=\"a\"; size=3",                  // unknown parameter
      "form-data; name=\"a\"; name=\"b\"",              // repeated
      "form-data; name=\"a\" x",                        // junk after a value
      "form-data; name=\"a",                            // unterminated quote
      "form-data; name",                                // no '='
      "form-data; name=",                               // no value
      "form-data; name=\"a\"; ",                        // trailing ';' and space
      "form-data; name=\"a\"; filename*=UTF-8''x.txt",  // filename* without filename
      "form-data; name=\"a\"; filename = \"x\"",        // a file without "filename="
  };
  for (std::string_view d : kDispositions) {
    Multipart m(lines({"--0000", "Content-Disposition: " + std::string(d), "", "v", "--0000--"}));
    EXPECT_TRUE(m.parsed.error) << d;
    EXPECT_TRUE(m.flags().strict_error) << d;
    EXPECT_TRUE(m.parsed.error_message.starts_with("Multipart parsing error: Multipart: "))
        << m.parsed.error_message;
  }
}

// "multipart parser (C-D uses single quotes)": the quote inside a single-quoted value hides a
// second name= from a parser that splits on ';'.
TEST(MultipartBodyTest, SingleQuotedValueHidingASecondNameIsFlaggedAndRefused) {
  Multipart m(
      lines({"--0000", R"(Content-Disposition: form-data; name=';filename="dummy';name=b;")", "",
             "2", "--0000--"}));
  EXPECT_TRUE(m.flags().invalid_quoting);
  EXPECT_TRUE(m.parsed.error);
}

TEST(MultipartBodyTest, ContentTypeBoundaryIsCheckedAsModSecurityDoes) {
  struct Row {
    std::string_view type;
    bool error;
    bool quoted;
    bool whitespace;
    bool missing_semicolon;
  };
  constexpr Row kRows[] = {
      {"multipart/form-data; boundary=0000", false, false, false, false},
      {"Multipart/Form-Data; boundary=0000", false, false, false, false},
      {"multipart/form-data;boundary=0000", false, false, false, false},
      {"multipart/form-data; boundary=\"0000\"", false, true, false, false},
      {"multipart/form-data boundary=0000", false, false, false, true},
      {"multipart/form-data; boundary =0000", false, false, true, false},
      {"multipart/form-data; boundary=0000; charset=utf-8", false, false, false, false},
      {"multipart/form-data, boundary=0000", true, false, false, false},
      {"multipart/form-data; charset=utf-8; boundary=0000", true, false, false, false},
      {"multipart/form-data; Boundary=0000", true, false, false, false},
      {"multipart/form-data; boundary=0000; boundary=1111", true, false, false, false},
      {"multipart/form-data; boundary=\"0000", true, false, false, false},
      {"multipart/form-data; boundary=0000\"", true, false, false, false},
      {"multipart/form-data; boundary=00!00", true, false, false, false},
      {"multipart/form-data; boundary=0000 ", true, false, false, false},
      {"multipart/form-data; boundary=", true, false, false, false},
      {"multipart/form-data; boundary=\"\"", true, false, false, false},
      {"multipart/form-data; boundaryx=0000", true, false, false, false},
      {"multipart/form-data", true, false, false, false},
      {"multipart/mixed; boundary=0000", true, false, false, false},
      {"", true, false, false, false},
  };
  for (const Row& row : kRows) {
    Multipart m(kNormal, row.type);
    EXPECT_EQ(m.parsed.error, row.error) << row.type << ": " << m.parsed.error_message;
    EXPECT_EQ(m.flags().boundary_quoted, row.quoted) << row.type;
    EXPECT_EQ(m.flags().boundary_whitespace, row.whitespace) << row.type;
    EXPECT_EQ(m.flags().missing_semicolon, row.missing_semicolon) << row.type;
    EXPECT_EQ(m.flags().strict_error,
              row.error || row.quoted || row.whitespace || row.missing_semicolon)
        << row.type;
    if (!row.error) {
      EXPECT_EQ(m.parsed.args.size(), 2u) << row.type;
    }
  }
}

TEST(MultipartBodyTest, ContentTypeLongerThan1024BytesIsAnError) {
  std::string type = "multipart/form-data; boundary=" + std::string(990, 'a');
  EXPECT_FALSE(Multipart("", type).parsed.error);
  type += std::string(10, 'a');
  EXPECT_TRUE(Multipart("", type).parsed.error);
}

TEST(MultipartBodyTest, EmptyBodyIsNotAnError) {
  Multipart m("");
  EXPECT_FALSE(m.parsed.error);
  EXPECT_FALSE(m.flags().strict_error);
}

TEST(MultipartBodyTest, DataBeforeTheFirstBoundaryIsFlagged) {
  Multipart m("preamble\r\n" + kNormal);
  EXPECT_FALSE(m.parsed.error);
  EXPECT_TRUE(m.flags().data_before);
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_EQ(m.parsed.args.size(), 2u);
}

TEST(MultipartBodyTest, DataAfterTheFinalBoundaryIsFlagged) {
  struct Row {
    std::string tail;
    bool after;
  };
  const Row kRows[] = {{"", false}, {"epilogue", true}, {"\r\n", true}};
  for (const Row& row : kRows) {
    Multipart m(kNormal + row.tail);
    EXPECT_FALSE(m.parsed.error) << printable(row.tail);
    EXPECT_EQ(m.flags().data_after, row.after) << printable(row.tail);
    EXPECT_EQ(m.flags().strict_error, row.after) << printable(row.tail);
  }
}

// CRS rule 200003's "Stefan Esser" evasion: a final boundary first ends the body for us.
TEST(MultipartBodyTest, FinalBoundaryFirstLeavesTheRestAsDataAfter) {
  Multipart m("--0000--\r\n" + kNormal);
  EXPECT_TRUE(m.flags().data_after);
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_TRUE(m.parsed.args.empty());
}

TEST(MultipartBodyTest, LfLineEndsAreFlaggedAndMixedOnesToo) {
  std::string lf =
      lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "", "1", "--0000--"}, "\n");
  Multipart only_lf(lf);
  EXPECT_FALSE(only_lf.parsed.error) << only_lf.parsed.error_message;
  EXPECT_EQ(pairs(only_lf.parsed.args), (Pairs{{"a", "1"}}));
  EXPECT_TRUE(only_lf.flags().lf_line);
  EXPECT_FALSE(only_lf.flags().crlf_lf_lines);
  EXPECT_TRUE(only_lf.flags().strict_error);

  Multipart mixed("--0000\r\nContent-Disposition: form-data; name=\"a\"\n\r\n1\r\n--0000--\r\n");
  EXPECT_TRUE(mixed.flags().lf_line);
  EXPECT_TRUE(mixed.flags().crlf_lf_lines);
}

// A data line ended by LF alone before a boundary counts: the line end belongs to the boundary.
TEST(MultipartBodyTest, BareLfBeforeABoundaryIsAnLfLine) {
  Multipart m("--0000\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\n--0000--\r\n");
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", "1"}}));
  EXPECT_TRUE(m.flags().lf_line);
  EXPECT_TRUE(m.flags().crlf_lf_lines);
}

TEST(MultipartBodyTest, LfInsideFileContentIsNotFlagged) {
  std::string body =
      "--0000\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.csv\"\r\n"
      "\r\nx,y\n1,2\n\r\n--0000--\r\n";
  Multipart m(body);
  EXPECT_FALSE(m.flags().lf_line);
  ASSERT_EQ(m.parsed.files.size(), 1u);
  EXPECT_EQ(m.parsed.files[0].content, "x,y\n1,2\n");
  EXPECT_EQ(m.parsed.files[0].size, 8u);
}

TEST(MultipartBodyTest, FoldedPartHeadersAreJoinedAndFlagged) {
  std::string body =
      lines({"--0000", "Content-Disposition: form-data;", "\tname=\"a\"", "", "1", "--0000--"});
  Multipart m(body);
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", "1"}}));
  EXPECT_TRUE(m.flags().header_folding);
  EXPECT_FALSE(m.flags().invalid_header_folding);
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_EQ(pairs(m.parsed.part_headers),
            (Pairs{{"a", "Content-Disposition: form-data; name=\"a\""}}));
}

// "multipart parser (part header folding - invalid)": a form feed folds for PHP, not for RFC 2557.
TEST(MultipartBodyTest, FoldingWithOtherWhitespaceIsInvalidFolding) {
  std::string body =
      lines({"--0000", "Content-Disposition: form-data;", "\fname=\"b\"", "", "2", "--0000--"});
  Multipart m(body);
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"b", "2"}}));
  EXPECT_TRUE(m.flags().header_folding);
  EXPECT_TRUE(m.flags().invalid_header_folding);
  EXPECT_TRUE(m.flags().strict_error);
}

TEST(MultipartBodyTest, FoldingBeforeAnyHeaderIsAnError) {
  Multipart m(lines({"--0000", " name=\"a\"", "", "1", "--0000--"}));
  EXPECT_TRUE(m.parsed.error);
  EXPECT_TRUE(m.flags().header_folding);
}

TEST(MultipartBodyTest, ManyFoldsStayWithinTheHeaderLengthLimit) {
  std::string body = "--0000\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Long: 1\r\n";
  for (int i = 0; i < 5000; ++i) body += " \r\n";
  body += "\r\nv\r\n--0000--\r\n";
  Multipart m(body);
  EXPECT_TRUE(m.parsed.error);
  EXPECT_TRUE(m.parsed.error_message.starts_with(
      "Multipart parsing error: Multipart: Part header too long"))
      << m.parsed.error_message;
}

TEST(MultipartBodyTest, MalformedPartHeadersAreErrors) {
  struct Row {
    std::string body;
    std::string_view message;
  };
  const Row kRows[] = {
      {lines({"--0000", "", "1", "--0000--"}), "Part missing Content-Disposition header."},
      {lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "", "1", "--0000", ":",
              "--0000--"}),
       "Invalid part header (header name missing)."},
      {lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "Junk", "", "1", "--0000--"}),
       "Invalid part header (colon missing)."},
      {lines({"--0000", "Content Disposition: form-data; name=\"a\"", "", "1", "--0000--"}),
       "Invalid part header (contains invalid character)."},
      {lines({"--0000", "Content-Disposition: form-data; name=\"a\"\0x"s, "", "1", "--0000--"}),
       "Nul byte in part headers."},
      {lines({"--0000", "Content-Disposition: form-data; name=\"a\"",
              "content-disposition: form-data; name=\"b\"", "", "1", "--0000--"}),
       "Duplicate part header."},
      {lines({"--0000", "Content-Disposition: form-data; name=\"a\"",
              "X: " + std::string(5000, 'x'), "", "1", "--0000--"}),
       "Part header line over 4096 bytes long"},
  };
  for (const Row& row : kRows) {
    Multipart m(row.body);
    EXPECT_TRUE(m.parsed.error) << row.message;
    EXPECT_TRUE(m.flags().strict_error) << row.message;
    EXPECT_NE(m.parsed.error_message.find(row.message), std::string_view::npos)
        << m.parsed.error_message;
  }
}

TEST(MultipartBodyTest, HeaderLineOfExactly4096BytesIsAccepted) {
  std::string header = "X: ";
  header += std::string(4096 - header.size() - 2, 'x');
  Multipart m(
      lines({"--0000", "Content-Disposition: form-data; name=\"a\"", header, "", "1", "--0000--"}));
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
}

TEST(MultipartBodyTest, MissingFinalBoundaryIsAnError) {
  Multipart m(lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "", "1", "--0000",
                     "Content-Disposition: form-data; name=\"b\"", "", "2"}));
  EXPECT_TRUE(m.parsed.error);
  EXPECT_EQ(m.parsed.error_message,
            "Multipart parsing error: Multipart: Final boundary missing. at offset " +
                std::to_string(m.body.size()));
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", "1"}}));  // completed parts are kept
}

TEST(MultipartBodyTest, BodyWithoutOurBoundaryIsAnError) {
  Multipart m("just some text\r\n");
  EXPECT_TRUE(m.parsed.error);
  EXPECT_TRUE(m.flags().data_before);
  EXPECT_NE(m.parsed.error_message.find("No boundaries found in payload."), std::string_view::npos);
}

TEST(MultipartBodyTest, FinalBoundaryWithoutALineEndCompletesTheBody) {
  std::string body = field("a", "1") + "--0000--";
  Multipart m(body);
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", "1"}}));
  EXPECT_FALSE(m.flags().strict_error);
}

TEST(MultipartBodyTest, MalformedBoundaryLinesAreErrors) {
  struct Row {
    std::string line;
    std::string_view message;
  };
  const Row kRows[] = {
      {"--0000x", "Invalid boundary."},
      {"--0000--x", "Invalid boundary."},
      {"--0000 ", "Invalid boundary."},
      {"-- 0000", "Invalid boundary (whitespace)."},
  };
  for (const Row& row : kRows) {
    Multipart m(field("a", "1") + row.line + "\r\n" + field("b", "2") + "--0000--\r\n");
    EXPECT_TRUE(m.parsed.error) << row.line;
    EXPECT_NE(m.parsed.error_message.find(row.message), std::string_view::npos)
        << row.line << ": " << m.parsed.error_message;
  }
  Multipart quoted(field("a", "1") + "--\"0000\"\r\n--0000--\r\n",
                   "multipart/form-data; boundary=\"0000\"");
  EXPECT_NE(quoted.parsed.error_message.find("Invalid boundary (quotes)."), std::string_view::npos)
      << quoted.parsed.error_message;
}

// ModSecurity keeps 1 only when no boundary of ours follows the foreign one.
TEST(MultipartBodyTest, ForeignBoundaryLinesSetUnmatchedBoundary) {
  Multipart inside(field("a", "--other\r\nx") + "--0000--\r\n");
  EXPECT_FALSE(inside.parsed.error);
  EXPECT_EQ(inside.flags().unmatched_boundary_value, 2);
  EXPECT_FALSE(inside.flags().unmatched_boundary);
  EXPECT_FALSE(inside.flags().strict_error);
  EXPECT_EQ(pairs(inside.parsed.args), (Pairs{{"a", "--other\r\nx"}}));

  Multipart wrong_final(field("a", "1") + "--0001--\r\n");
  EXPECT_TRUE(wrong_final.parsed.error);
  EXPECT_EQ(wrong_final.flags().unmatched_boundary_value, 1);
  EXPECT_TRUE(wrong_final.flags().unmatched_boundary);

  Multipart mid_line(field("a", "x--0000") + "--other\r\n");
  EXPECT_EQ(mid_line.flags().unmatched_boundary_value, 1);
}

// A boundary right after a part's headers, where its data should start, is not a boundary: the
// part swallows it (and what follows) as data, as a backend honouring "CRLF--boundary" would.
TEST(MultipartBodyTest, BoundaryWhereDataShouldStartIsAnInvalidPart) {
  std::string body = lines({"--0000", "Content-Disposition: form-data; name=\"a\"", "", "--0000",
                            "Content-Disposition: form-data; name=\"b\"", "", "2", "--0000--"});
  Multipart m(body);
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_TRUE(m.flags().invalid_part);
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_EQ(pairs(m.parsed.args),
            (Pairs{{"a", "--0000\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2"}}));
}

TEST(MultipartBodyTest, FileLimitIsFlaggedAndAnErrorButFilesAreListed) {
  std::string body;
  for (char c : {'a', 'b', 'c'}) {
    body += lines({"--0000",
                   "Content-Disposition: form-data; name=\"" + std::string(1, c) +
                       "\"; filename=\"" + std::string(1, c) + ".txt\"",
                   "", "x"});
  }
  body += "--0000--\r\n";
  bodies::Limits limits;
  limits.max_files = 2;
  Multipart m(body, kType, limits);
  EXPECT_EQ(m.parsed.files.size(), 3u);
  EXPECT_TRUE(m.flags().file_limit_exceeded);
  EXPECT_TRUE(m.flags().strict_error);
  EXPECT_TRUE(m.parsed.error);

  limits.max_files = 3;
  Multipart at_limit(body, kType, limits);
  EXPECT_FALSE(at_limit.flags().file_limit_exceeded);
  EXPECT_FALSE(at_limit.parsed.error);

  limits.max_files = 0;  // no limit, as SecUploadFileLimit 0
  EXPECT_FALSE(Multipart(body, kType, limits).flags().file_limit_exceeded);
}

TEST(MultipartBodyTest, ArgumentLimitDropsFieldsWithoutAnError) {
  bodies::Limits limits;
  limits.max_args = 1;
  Multipart m(kNormal, kType, limits);
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"name", "Brian Rectanus"}}));
  EXPECT_TRUE(m.parsed.limit_exceeded);
  EXPECT_FALSE(m.parsed.error);
  EXPECT_EQ(m.parsed.files.size(), 1u);
}

TEST(MultipartBodyTest, ToleratedParameterAfterBoundaryStillParses) {
  std::string body = lines(
      {"--00000000", "Content-Disposition: form-data; name=\"namea\"", "", "111", "--00000000--"});
  Multipart m(body, "multipart/form-data; boundary=00000000; charset=UTF-8");
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"namea", "111"}}));
}

TEST(MultipartBodyTest, LinesLongerThanTheBufferAreDataNotBoundaries) {
  std::string value = std::string(5000, 'x') + "--0000--" + std::string(5000, 'y');
  Multipart m(field("a", value) + "--0000--\r\n");
  EXPECT_FALSE(m.parsed.error) << m.parsed.error_message;
  EXPECT_EQ(pairs(m.parsed.args), (Pairs{{"a", value}}));
}

TEST(MultipartBodyTest, ArenaExhaustionIsAnErrorNotACrash) {
  alignas(std::max_align_t) char buffer[128];
  std::pmr::monotonic_buffer_resource arena(buffer, sizeof buffer,
                                            std::pmr::null_memory_resource());
  bodies::Parsed parsed(&arena);
  bodies::parse_multipart(kNormal, kType, {}, parsed);
  EXPECT_TRUE(parsed.error);
  EXPECT_TRUE(parsed.multipart.strict_error);
  EXPECT_EQ(parsed.error_message, "Multipart parsing error: out of request memory");
}

}  // namespace
}  // namespace portcullis::waf::testing
