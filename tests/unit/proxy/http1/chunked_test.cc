#include "proxy/http1/chunked.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::http1 {
namespace {

struct Decoded {
  std::string body;
  std::string trailer;  // the trailer section, joined from the steps
  bool done = false;
  std::string error;
  std::size_t consumed = 0;
};

// Feeds `input` in pieces of `piece` bytes, as reads would deliver it.
Decoded decode(std::string_view input, std::size_t piece = 1 << 20) {
  ChunkedDecoder decoder;
  Decoded out;
  std::size_t offset = 0;
  while (offset < input.size() && !decoder.done() && decoder.error().empty()) {
    std::string_view window = input.substr(offset, piece);
    std::size_t used = 0;
    while (used < window.size() && !decoder.done() && decoder.error().empty()) {
      auto step = decoder.next(window.substr(used));
      out.body.append(step.data);
      out.trailer.append(step.trailer);
      used += step.consumed;
    }
    offset += used;
  }
  out.done = decoder.done();
  out.error = std::string(decoder.error());
  out.consumed = offset;
  return out;
}

TEST(ChunkedDecoderTest, DecodesChunksExtensionsAndTrailers) {
  std::string input = "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
  for (std::size_t piece : {1, 2, 3, 7, 1000}) {
    Decoded d = decode(input, piece);
    EXPECT_TRUE(d.done) << piece;
    EXPECT_EQ(d.error, "") << piece;
    EXPECT_EQ(d.body, "hello, world") << piece;
    EXPECT_EQ(d.trailer, "X-Trailer: 1\r\n") << piece;
    EXPECT_EQ(d.consumed, input.size() - 4) << piece;  // stops before the next message
  }
}

TEST(ChunkedDecoderTest, TrailerSectionIsReturnedAndFiltered) {
  std::string input =
      "3\r\nabc\r\n0\r\nX-Sum: 1 \r\nContent-Length: 9\r\nnot a field\r\nSet-Cookie: a=b\r\n"
      "grpc-status:0\r\n\r\n";
  for (std::size_t piece : {1, 2, 5, 1000}) {
    Decoded d = decode(input, piece);
    ASSERT_TRUE(d.done) << piece;
    EXPECT_EQ(d.trailer,
              "X-Sum: 1 \r\nContent-Length: 9\r\nnot a field\r\nSet-Cookie: a=b\r\n"
              "grpc-status:0\r\n")
        << piece;
    std::string kept;
    for_each_trailer(d.trailer, [&](std::string_view name, std::string_view value) {
      kept.append(name).append("=").append(value).append(";");
    });
    EXPECT_EQ(kept, "X-Sum=1;grpc-status=0;") << piece;
  }
  EXPECT_EQ(decode("0\r\n\r\n").trailer, "");
}

TEST(ChunkedDecoderTest, UpperCaseHexAndLargeChunk) {
  std::string data(0x1A2, 'z');
  Decoded d = decode("1A2\r\n" + data + "\r\n0\r\n\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, data);
}

TEST(ChunkedDecoderTest, IncompleteIsNotDone) {
  Decoded d = decode("5\r\nhel");
  EXPECT_FALSE(d.done);
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.body, "hel");
}

TEST(ChunkedDecoderTest, RefusesMalformedFraming) {
  for (const char* input :
       {"zz\r\n", "-1\r\nx\r\n", "\r\n", " 5\r\nhello\r\n0\r\n\r\n", "5 \r\nhello\r\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
        "1000000000000000\r\n", "0\r\n\r\r\n", "0\r\nX: a\nb\r\n\r\n", "0\r\n folded\r\n\r\n",
        "3;\x01\r\nabc\r\n0\r\n\r\n"}) {
    Decoded d = decode(input);
    EXPECT_FALSE(d.done) << input;
    EXPECT_NE(d.error, "") << input;
  }
}

TEST(ChunkedDecoderTest, BoundsExtensions) {
  std::string ext(ChunkedDecoder::kMaxExtensionBytes + 1, 'a');
  EXPECT_NE(decode("1;" + ext + "\r\nx\r\n0\r\n\r\n").error, "");
}

}  // namespace
}  // namespace portcullis::http1
