// Loading OpenAPI documents: references across files, cycles, and the errors a document that
// cannot be loaded gives.
#include "schema/openapi.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory_resource>
#include <string>

namespace portcullis::schema {
namespace {

namespace fs = std::filesystem;

class OpenApiTest : public ::testing::Test {
 protected:
  OpenApiTest()
      : dir_(fs::temp_directory_path() /
             ("portcullis-openapi-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(dir_ / "common");
  }
  ~OpenApiTest() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // Whether the body schema of POST `path` accepts `body`.
  static bool accepts(const OpenApi& api, const std::string& path, const std::string& body) {
    RouteMatch m = api.route("POST", path);
    EXPECT_EQ(m.result, RouteMatch::Result::kFound);
    if (m.operation == nullptr || m.operation->content.empty()) return false;
    std::pmr::monotonic_buffer_resource arena;
    JsonResult parsed = parse_json(body, &arena);
    EXPECT_NE(parsed.value, nullptr) << parsed.error;
    return api.schemas().validate(m.operation->content[0].schema, *parsed.value);
  }

  fs::path dir_;
};

TEST_F(OpenApiTest, SchemasReferenceOtherFilesRelativeToTheDocument) {
  write("common/money.yaml",
        "Money:\n  type: object\n  required: [amount]\n  properties:\n"
        "    amount: {type: integer, minimum: 0}\n    currency: {$ref: 'currency.json'}\n");
  write("common/currency.json", R"({"type": "string", "enum": ["EUR", "USD"]})");
  auto api = OpenApi::load(write("api.yaml",
                                 "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
                                 "  /pay:\n    post:\n      requestBody:\n        content:\n"
                                 "          application/json:\n            schema: {$ref: "
                                 "'common/money.yaml#/Money'}\n      responses: {}\n"));
  ASSERT_TRUE(api) << api.error().to_string();
  EXPECT_TRUE(accepts(**api, "/pay", R"({"amount": 5, "currency": "EUR"})"));
  EXPECT_FALSE(accepts(**api, "/pay", R"({"amount": -5})"));
  EXPECT_FALSE(accepts(**api, "/pay", R"({"amount": 5, "currency": "XXX"})"));
}

TEST_F(OpenApiTest, RecursiveSchemasCompileOnceAndValidateDeepValues) {
  auto api = OpenApi::load(write("api.json",
                                 R"({"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
          "paths": {"/tree": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Node"}}}}, "responses": {}}}},
          "components": {"schemas": {"Node": {"type": "object", "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}}}}})"));
  ASSERT_TRUE(api) << api.error().to_string();
  std::string deep = R"({"name":"leaf"})";
  for (int i = 0; i < 20; ++i) deep = R"({"name":"n","children":[)" + deep + "]}";
  EXPECT_TRUE(accepts(**api, "/tree", deep));
  std::string bad = R"({"name":1})";
  for (int i = 0; i < 20; ++i) bad = R"({"children":[)" + bad + "]}";
  EXPECT_FALSE(accepts(**api, "/tree", bad));
}

TEST_F(OpenApiTest, ACycleOfParameterReferencesIsAnError) {
  auto api = OpenApi::load(
      write("api.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      parameters: [{$ref: '#/components/parameters/A'}]\n      responses: {}\n"
            "components:\n  parameters:\n    A: {$ref: '#/components/parameters/B'}\n"
            "    B: {$ref: '#/components/parameters/A'}\n"));
  ASSERT_FALSE(api);
  EXPECT_NE(api.error().message.find("cycle"), std::string::npos) << api.error().to_string();
}

TEST_F(OpenApiTest, ErrorsNameTheFileAndWhere) {
  auto yaml = OpenApi::load(write("bad.yaml", "openapi: 3.0.3\npaths:\n  /a: {get: [\n"));
  ASSERT_FALSE(yaml);
  EXPECT_NE(yaml.error().file.find("bad.yaml"), std::string::npos);
  EXPECT_GT(yaml.error().line, 0);

  auto json = OpenApi::load(write("bad.json", "{\"openapi\": \"3.0.3\",\n \"paths\": {,}}"));
  ASSERT_FALSE(json);
  EXPECT_EQ(json.error().line, 2) << json.error().to_string();

  auto pattern = OpenApi::load(
      write("pattern.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      parameters: [{name: q, in: query, schema: {type: string, pattern: '(?<=x)a'}}]\n"
            "      responses: {}\n"));
  ASSERT_FALSE(pattern);
  EXPECT_EQ(pattern.error().key, "#/paths/~1a/get/parameters/0/schema/pattern")
      << pattern.error().to_string();

  auto style = OpenApi::load(
      write("style.yaml",
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n"
            "      parameters: [{name: q, in: query, style: matrix, schema: {type: string}}]\n"
            "      responses: {}\n"));
  ASSERT_FALSE(style);
  EXPECT_NE(style.error().message.find("matrix"), std::string::npos);

  auto same = OpenApi::load(write("same.yaml",
                                  "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n"
                                  "  /a/{x}: {get: {parameters: [{name: x, in: path, required: "
                                  "true}], responses: {}}}\n"
                                  "  /a/{y}: {get: {parameters: [{name: y, in: path, required: "
                                  "true}], responses: {}}}\n"));
  ASSERT_FALSE(same);
  EXPECT_NE(same.error().message.find("same template"), std::string::npos);
}

TEST_F(OpenApiTest, ServersVariablesAndSeveralBasePaths) {
  auto api = OpenApi::load(write("api.yaml",
                                 "openapi: 3.0.3\ninfo: {title: t, version: '1'}\nservers:\n"
                                 "  - url: 'https://{region}.example.com/{version}'\n"
                                 "    variables: {region: {default: eu}, version: {default: v3}}\n"
                                 "  - url: /internal\npaths:\n  /ping: {get: {responses: {}}}\n"));
  ASSERT_TRUE(api) << api.error().to_string();
  EXPECT_EQ(api.value()->route("GET", "/v3/ping").result, RouteMatch::Result::kFound);
  EXPECT_EQ(api.value()->route("GET", "/internal/ping").result, RouteMatch::Result::kFound);
  EXPECT_EQ(api.value()->route("GET", "/ping").result, RouteMatch::Result::kUnknownPath);
}

}  // namespace
}  // namespace portcullis::schema
