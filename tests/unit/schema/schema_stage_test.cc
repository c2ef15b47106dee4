// The schema stage on an Exchange, without a network: the router's choices and each parameter
// style an OpenAPI document can describe, read into typed values and validated.
#include "schema/schema_stage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "schema/openapi.h"

namespace portcullis::schema {
namespace {

namespace fs = std::filesystem;

// A document with one operation per parameter style, and paths for the router.
constexpr const char* kApi = R"(
openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'https://api.example.com/v2'}]
paths:
  /items:
    get:
      parameters:
        - {name: ids, in: query, schema: {type: array, items: {type: integer, maximum: 9}}}
        - {name: csv, in: query, explode: false, schema: {type: array, items: {type: integer, maximum: 9}}}
        - {name: spaced, in: query, style: spaceDelimited, explode: false, schema: {type: array, items: {type: integer, maximum: 9}}}
        - {name: piped, in: query, style: pipeDelimited, explode: false, schema: {type: array, items: {type: integer, maximum: 9}}}
        - {name: f, in: query, style: deepObject, schema: {type: object, properties: {n: {type: integer, maximum: 9}, on: {type: boolean}}}}
        - {name: point, in: query, explode: true, schema: {type: object, properties: {x: {type: integer, maximum: 9}, y: {type: integer}}}}
        - {name: flag, in: query, schema: {type: boolean}}
        - {name: X-Tags, in: header, schema: {type: array, items: {type: string, enum: [a, b]}}}
        - {name: session, in: cookie, schema: {type: string, minLength: 4}}
        - {name: q, in: query, required: true, schema: {type: string, maxLength: 5}}
      responses: {'200': {description: ok}}
  /items/{id}:
    get:
      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
      responses: {'200': {description: ok}}
  /items/special:
    get:
      responses: {'200': {description: ok}}
  /items/{id}/parts/{part}.json:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: part, in: path, required: true, schema: {type: string, pattern: '^[a-z]+$'}}
      responses: {'200': {description: ok}}
  /files/{names}:
    get:
      parameters: [{name: names, in: path, required: true, schema: {type: array, items: {type: string, maxLength: 3}}}]
      responses: {'200': {description: ok}}
)";

class SchemaStageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = fs::temp_directory_path() /
            ("portcullis-stage-test-" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path_) << kApi;
    auto api = OpenApi::load(path_.string());
    ASSERT_TRUE(api) << api.error().to_string();
    api_ = api.value();
  }
  static void TearDownTestSuite() { fs::remove(path_); }

  // Runs on_headers for GET `target` with `headers`; the pointers and rules of the violations.
  std::vector<std::string> violations(const std::string& target,
                                      std::vector<HeaderField> headers = {},
                                      int* status = nullptr) {
    SchemaStageConfig config;
    config.api = api_;
    config.max_violations = 20;
    SchemaStage stage(config);
    Exchange ex;
    ex.method = "GET";
    ex.set_target(target);
    ex.headers = headers;
    Verdict v = stage.on_headers(ex);
    if (status != nullptr) *status = v.is_continue() ? 0 : v.status;
    std::vector<std::string> out;
    for (const Finding& f : ex.findings) {
      out.push_back(std::string(f.variable) + " " + std::string(f.rule));
    }
    return out;
  }

  static inline fs::path path_;
  static inline std::shared_ptr<const OpenApi> api_;
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(SchemaStageTest, RouterStripsTheServerBasePath) {
  EXPECT_EQ(api_->route("GET", "/v2/items").result, RouteMatch::Result::kFound);
  EXPECT_EQ(api_->route("GET", "/items").result, RouteMatch::Result::kUnknownPath);
  EXPECT_EQ(api_->route("GET", "/v2").result, RouteMatch::Result::kUnknownPath);
  EXPECT_EQ(api_->route("GET", "/v2x/items").result, RouteMatch::Result::kUnknownPath);
}

TEST_F(SchemaStageTest, RouterPrefersLiteralSegmentsOverTemplates) {
  RouteMatch special = api_->route("GET", "/v2/items/special");
  ASSERT_EQ(special.result, RouteMatch::Result::kFound);
  EXPECT_EQ(special.operation->path, "/items/special");
  RouteMatch id = api_->route("GET", "/v2/items/17");
  ASSERT_EQ(id.result, RouteMatch::Result::kFound);
  EXPECT_EQ(id.operation->path, "/items/{id}");
  ASSERT_EQ(id.path_param_count, 1u);
  EXPECT_EQ(id.path_params[0].second, "17");
  // A percent-encoded literal is still the literal.
  EXPECT_EQ(api_->route("GET", "/v2/items/speci%61l").operation->path, "/items/special");
}

TEST_F(SchemaStageTest, RouterMatchesTemplatesWithinASegmentAndBacktracks) {
  RouteMatch m = api_->route("GET", "/v2/items/5/parts/wheel.json");
  ASSERT_EQ(m.result, RouteMatch::Result::kFound);
  EXPECT_EQ(m.operation->path, "/items/{id}/parts/{part}.json");
  ASSERT_EQ(m.path_param_count, 2u);
  EXPECT_EQ(m.path_params[1].second, "wheel");
  // "special" is a literal child, but only the template continues to /parts/...
  EXPECT_EQ(api_->route("GET", "/v2/items/special/parts/x.json").result,
            RouteMatch::Result::kFound);
  EXPECT_EQ(api_->route("GET", "/v2/items/5/parts/wheel.xml").result,
            RouteMatch::Result::kUnknownPath);
}

TEST_F(SchemaStageTest, RouterAnswersMethodNotAllowedWithTheMethodsThePathHas) {
  RouteMatch m = api_->route("DELETE", "/v2/items/3");
  EXPECT_EQ(m.result, RouteMatch::Result::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET");
  EXPECT_EQ(api_->route("HEAD", "/v2/items/3").result, RouteMatch::Result::kFound);
}

TEST_F(SchemaStageTest, FormExplodedArrayRepeatsTheName) {
  EXPECT_THAT(violations("/v2/items?q=x&ids=1&ids=2"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&ids=1&ids=12"), ElementsAre("/query/ids/1 maximum"));
  EXPECT_THAT(violations("/v2/items?q=x&ids=one"), ElementsAre("/query/ids/0 type"));
}

TEST_F(SchemaStageTest, FormArrayNotExplodedIsCommaSeparated) {
  EXPECT_THAT(violations("/v2/items?q=x&csv=1,2,3"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&csv=1,20"), ElementsAre("/query/csv/1 maximum"));
}

TEST_F(SchemaStageTest, SpaceAndPipeDelimitedArrays) {
  EXPECT_THAT(violations("/v2/items?q=x&spaced=1%202&piped=3|4"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&spaced=1+20&piped=30|4"),
              ElementsAre("/query/spaced/1 maximum", "/query/piped/0 maximum"));
}

TEST_F(SchemaStageTest, DeepObjectReadsBracketedProperties) {
  EXPECT_THAT(violations("/v2/items?q=x&f[n]=3&f[on]=true"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&f%5Bn%5D=30&f[on]=maybe"),
              ElementsAre("/query/f/n maximum", "/query/f/on type"));
}

TEST_F(SchemaStageTest, FormExplodedObjectTakesEachPropertyAsAParameter) {
  EXPECT_THAT(violations("/v2/items?q=x&x=1&y=2"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&x=10&y=2"), ElementsAre("/query/point/x maximum"));
}

TEST_F(SchemaStageTest, BooleansAndRequiredQueryParameters) {
  EXPECT_THAT(violations("/v2/items?q=x&flag=false"), IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x&flag=1"), ElementsAre("/query/flag type"));
  EXPECT_THAT(violations("/v2/items"), ElementsAre("/query/q required"));
  EXPECT_THAT(violations("/v2/items?q=toolong"), ElementsAre("/query/q maxLength"));
  // Percent-encoding and '+' are decoded before validation: "a b" is 3 characters.
  EXPECT_THAT(violations("/v2/items?q=a+b"), IsEmpty());
}

TEST_F(SchemaStageTest, HeaderArrayIsSimpleStyleAndCookiesAreRead) {
  EXPECT_THAT(
      violations("/v2/items?q=x", {{"X-Tags", "a,b"}, {"Cookie", "theme=dark; session=abcd"}}),
      IsEmpty());
  EXPECT_THAT(violations("/v2/items?q=x", {{"x-tags", "a,c"}, {"Cookie", "session=ab"}}),
              ElementsAre("/header/X-Tags/1 enum", "/cookie/session minLength"));
}

TEST_F(SchemaStageTest, PathParametersAreDecodedAndTyped) {
  EXPECT_THAT(violations("/v2/items/42"), IsEmpty());
  EXPECT_THAT(violations("/v2/items/4x2"), ElementsAre("/path/id type"));
  EXPECT_THAT(violations("/v2/files/a,bc"), IsEmpty());
  // An encoded comma is data, not a delimiter.
  EXPECT_THAT(violations("/v2/files/a%2Cbc"), ElementsAre("/path/names/0 maxLength"));
  EXPECT_THAT(violations("/v2/files/a,bcde"), ElementsAre("/path/names/1 maxLength"));
}

TEST_F(SchemaStageTest, UnknownPathAndWrongMethodStatuses) {
  int status = 0;
  violations("/v2/nothing", {}, &status);
  EXPECT_EQ(status, 404);
  violations("/v2/items?q=x&ids=99", {}, &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace portcullis::schema
