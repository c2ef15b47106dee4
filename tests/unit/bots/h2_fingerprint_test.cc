// The HTTP/2 fingerprint as the frames of a connection build it.
#include "bots/h2_fingerprint.h"

#include <gtest/gtest.h>

namespace portcullis::bots {
namespace {

TEST(H2FingerprintTest, ChromeLikeConnection) {
  H2FingerprintBuilder b;
  b.on_settings_begin();
  b.on_setting(1, 65536);
  b.on_setting(2, 0);
  b.on_setting(4, 6291456);
  b.on_setting(6, 262144);
  b.on_connection_window_update(15663105);
  EXPECT_FALSE(b.complete());
  EXPECT_EQ(b.text(), "");
  for (const char* name : {":method", ":authority", ":scheme", ":path"}) b.on_pseudo_header(name);
  b.on_request_headers_end();
  EXPECT_TRUE(b.complete());
  EXPECT_EQ(b.text(), "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p");
}

TEST(H2FingerprintTest, PriorityFramesAndNoWindowUpdate) {
  H2FingerprintBuilder b;
  b.on_settings_begin();
  b.on_setting(3, 100);
  b.on_setting(4, 65535);
  b.on_priority(3, false, 0, 201);
  b.on_priority(9, true, 7, 1);
  for (const char* name : {":method", ":path", ":scheme", ":authority"}) b.on_pseudo_header(name);
  b.on_request_headers_end();
  EXPECT_EQ(b.text(), "3:100;4:65535|00|3:0:0:201,9:1:7:1|m,p,s,a");
}

TEST(H2FingerprintTest, OnlyWhatComesBeforeTheFirstRequestCounts) {
  H2FingerprintBuilder b;
  b.on_settings_begin();
  b.on_setting(4, 1000);
  b.on_settings_begin();  // a later SETTINGS frame changes nothing
  b.on_setting(4, 2000);
  b.on_pseudo_header(":method");
  b.on_pseudo_header("not-pseudo");
  b.on_request_headers_end();
  b.on_connection_window_update(5);
  b.on_priority(5, false, 0, 16);
  b.on_pseudo_header(":path");
  b.on_request_headers_end();
  EXPECT_EQ(b.text(), "4:1000|00|0|m");
}

TEST(H2FingerprintTest, IsBoundedWhateverTheClientSends) {
  H2FingerprintBuilder b;
  b.on_settings_begin();
  for (int i = 0; i < 1000; ++i) b.on_setting(1, 4096);
  for (int i = 0; i < 1000; ++i) b.on_priority(3, false, 0, 1);
  for (int i = 0; i < 1000; ++i) b.on_pseudo_header(":x");
  b.on_request_headers_end();
  EXPECT_LT(b.text().size(), 400u);
}

}  // namespace
}  // namespace portcullis::bots
