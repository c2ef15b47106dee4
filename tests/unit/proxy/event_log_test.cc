#include "proxy/event_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace portcullis::proxy {
namespace {

TEST(LineQueueTest, KeepsOrderAndDropsWhenFull) {
  LineQueue q;
  for (std::size_t i = 0; i < LineQueue::kCapacity; ++i) {
    ASSERT_TRUE(q.push("line " + std::to_string(i)));
  }
  EXPECT_FALSE(q.push("one too many"));
  EXPECT_FALSE(q.push("two too many"));
  EXPECT_EQ(q.dropped(), 2u);
  std::string line;
  ASSERT_TRUE(q.pop(line));
  EXPECT_EQ(line, "line 0");
  EXPECT_TRUE(q.push("after a pop"));  // room again
  std::size_t n = 1;
  while (q.pop(line)) ++n;
  EXPECT_EQ(n, LineQueue::kCapacity + 1);
  EXPECT_EQ(line, "after a pop");
}

TEST(EventFormatTest, TimesAreUtcToTheMillisecond) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796040000123));
  EXPECT_EQ(event_time(t), "2026-11-30T12:00:00.123Z");
  EXPECT_EQ(event_time(t + std::chrono::hours(12)), "2026-12-01T00:00:00.123Z");
}

TEST(EventFormatTest, IsOneLineOfValidJsonWhateverTheRequestHeld) {
  Exchange ex;
  std::string path = std::string("/a\"b\\c\n\x01\xff", 9);
  ex.method = "DELETE";
  ex.path = path;
  ex.host = "shop.example";
  ex.client_ip = "192.0.2.7";
  ex.client_port = 40000;
  ex.request_id = "0123456789abcdef";
  ex.route_id = "api";
  ex.policy_id = "strict";
  Verdict v = Verdict::block(403, "access", "host not allowed", "host");
  std::string line = format_event(ex, v, /*detected=*/false, 403);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(line);  // throws on invalid JSON
  EXPECT_EQ(j["method"], "DELETE");
  EXPECT_EQ(j["path"], std::string("/a\"b\\c\n\x01", 8) + "\u00ff");
  EXPECT_EQ(j["client_ip"], "192.0.2.7");
  EXPECT_EQ(j["client_port"], 40000);
  EXPECT_EQ(j["stage"], "access");
  EXPECT_EQ(j["action"], "block");
  EXPECT_EQ(j["status"], 403);
  ASSERT_EQ(j["rules"].size(), 1u);
  EXPECT_EQ(j["rules"][0]["id"], "host");
  EXPECT_EQ(j["rules"][0]["message"], "host not allowed");
  EXPECT_TRUE(j["time"].get<std::string>().ends_with("Z"));

  nlohmann::json d = nlohmann::json::parse(format_event(ex, v, /*detected=*/true, 403));
  EXPECT_EQ(d["action"], "detect");
  EXPECT_EQ(d["would"], "block");

  nlohmann::json a =
      nlohmann::json::parse(format_access(ex, 200, "pass", std::chrono::microseconds(1500)));
  EXPECT_EQ(a["status"], 200);
  EXPECT_EQ(a["verdict"], "pass");
  EXPECT_DOUBLE_EQ(a["duration_ms"].get<double>(), 1.5);
}

}  // namespace
}  // namespace portcullis::proxy
