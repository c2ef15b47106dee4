#include "core/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>

namespace portcullis {
namespace {

// A stage that answers with a fixed verdict and counts its calls.
class FixedStage final : public Stage {
 public:
  FixedStage(std::string_view name, Verdict verdict, bool wants_body = false)
      : name_(name), verdict_(verdict), wants_body_(wants_body) {}
  std::string_view name() const noexcept override { return name_; }
  Verdict on_headers(Exchange&) const noexcept override {
    ++header_calls;
    return verdict_;
  }
  Verdict on_body(Exchange&) const noexcept override {
    ++body_calls;
    return verdict_;
  }
  bool wants_body() const noexcept override { return wants_body_; }
  mutable std::atomic<int> header_calls{0};
  mutable std::atomic<int> body_calls{0};

 private:
  std::string_view name_;
  Verdict verdict_;
  bool wants_body_;
};

struct Built {
  std::unique_ptr<Pipeline> pipeline;
  std::vector<FixedStage*> stages;
};

Built build(Mode mode, std::vector<std::pair<Verdict, bool>> verdicts) {
  Built b;
  std::vector<std::unique_ptr<Stage>> stages;
  for (auto [v, body] : verdicts) {
    auto s = std::make_unique<FixedStage>("s", v, body);
    b.stages.push_back(s.get());
    stages.push_back(std::move(s));
  }
  b.pipeline = std::make_unique<Pipeline>("p", mode, std::move(stages));
  return b;
}

const Verdict kBlock403 = Verdict::block(403, "waf", "sqli");
const Verdict kBlock405 = Verdict::block(405, "access", "GET");

TEST(PipelineTest, BlockModeStopsAtTheFirstRefusal) {
  Built b = build(Mode::kBlock, {{Verdict::pass(), false}, {kBlock403, false}, {kBlock405, false}});
  Exchange ex;
  Verdict v = b.pipeline->on_headers(ex);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(b.stages[2]->header_calls, 0);
  EXPECT_TRUE(ex.detected.is_continue());
}

TEST(PipelineTest, DetectModeForwardsAndKeepsTheFirstFinding) {
  Built b = build(Mode::kDetect, {{kBlock405, false}, {kBlock403, false}});
  Exchange ex;
  EXPECT_TRUE(b.pipeline->on_headers(ex).is_continue());
  EXPECT_EQ(ex.detected.status, 405);
  EXPECT_EQ(ex.detected.stage, "access");
  EXPECT_EQ(b.stages[1]->header_calls, 1);
}

TEST(PipelineTest, AllPassIsPass) {
  Built b = build(Mode::kBlock, {{Verdict::pass(), false}, {Verdict::pass(), false}});
  Exchange ex;
  EXPECT_TRUE(b.pipeline->on_headers(ex).is_continue());
  EXPECT_EQ(b.stages[0]->header_calls + b.stages[1]->header_calls, 2);
}

TEST(PipelineTest, BodyHookRunsOnlyForStagesThatWantTheBody) {
  Built b = build(Mode::kBlock, {{Verdict::pass(), false}, {kBlock403, true}});
  EXPECT_TRUE(b.pipeline->wants_body());
  Exchange ex;
  EXPECT_EQ(b.pipeline->on_body(ex).status, 403);
  EXPECT_EQ(b.stages[0]->body_calls, 0);
  EXPECT_EQ(b.stages[1]->body_calls, 1);
  EXPECT_FALSE(build(Mode::kBlock, {{Verdict::pass(), false}}).pipeline->wants_body());
}

}  // namespace
}  // namespace portcullis
