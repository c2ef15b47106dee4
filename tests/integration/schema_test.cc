// The schema stage through the real binary: an OpenAPI document of a shop
// (tests/integration/data/shop.openapi.yaml) in front of a real upstream. Requests the API
// describes reach the upstream byte for byte; each kind of request it does not describe is
// refused with the status and the problem+json entry a client needs to fix it; hostile bodies
// get a clean 4xx; documents that cannot be loaded are config errors that say where.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kShop = std::string(PORTCULLIS_TEST_DATA) + "/shop.openapi.yaml";
const std::string kKey = "X-Api-Key: abcdefgh12345678";
const std::string kOrder =
    R"({"customer":{"name":"Jane Doe","email":"jane@example.com",)"
    R"("address":{"street":"12 Market St","city":"Springfield","zip":"12345","country":"US"}},)"
    R"("items":[{"sku":"SKU-1001","qty":2,"price":19.99},{"sku":"SKU-7","qty":1}],)"
    R"("note":null,"gift":false,"deliver_on":"2026-12-24"})";

class SchemaTest : public ProxyTest {
 protected:
  std::string config(const std::string& schema_yaml, const std::string& mode = "block") const {
    return "listen: [127.0.0.1:0]\nworkers: 1\nupstreams: [{name: app, endpoints: [" +
           upstream_.endpoint() +
           "]}]\nroutes: [{upstream: app}]\npolicies:\n  - name: default\n    mode: " + mode +
           "\n    schema:\n      openapi: " + kShop + "\n" + schema_yaml;
  }
  std::string api(std::string_view path) const { return url("/api/v1" + std::string(path)); }
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }
};

// The problem+json body of a refusal, parsed; null when it is not one.
nlohmann::json problem(const CurlResult& r) {
  auto type = find_header(r.headers, "content-type");
  if (!type || *type != "application/problem+json") return nullptr;
  return nlohmann::json::parse(r.body, nullptr, false);
}

bool has_violation(const nlohmann::json& p, const std::string& pointer, const std::string& rule) {
  if (!p.is_object() || !p.contains("violations")) return false;
  for (const auto& v : p["violations"]) {
    if (v.value("pointer", "") == pointer && v.value("rule", "") == rule) return true;
  }
  return false;
}

TEST_F(SchemaTest, DescribedRequestsReachTheUpstreamByteForByte) {
  ASSERT_TRUE(proxy_.start_with_config(config("")));

  CurlResult created = run_curl({"-X", "POST", "-H", kKey, "-H", "Content-Type: application/json",
                                 "--data-binary", kOrder, api("/orders")});
  ASSERT_EQ(created.status, 200) << created;
  CurlResult listed = run_curl(
      {"-g", "-H", kKey, api("/orders?status=open&status=paid&limit=20&filter[min_total]=5")});
  EXPECT_EQ(listed.status, 200) << listed;
  EXPECT_EQ(run_curl({api("/orders/42")}).status, 200);
  // A literal segment wins over a template: "latest" is not an orderId.
  EXPECT_EQ(run_curl({api("/orders/latest")}).status, 200);
  EXPECT_EQ(run_curl({"-X", "POST", "--data-binary", "email=jane%40example.com&topics=news",
                      api("/newsletter")})
                .status,
            200);
  EXPECT_EQ(run_curl({"-X", "PUT", "-F", "file=@" + kShop, "-F", "caption=me",
                      api("/customers/0b1c9a7e-2f3d-4c5b-8a9e-1234567890ab/avatar")})
                .status,
            200);
  // HTTP/2 goes through the same stage.
  EXPECT_EQ(run_curl({"--http2-prior-knowledge", "-X", "POST", "-H", kKey, "-H",
                      "Content-Type: application/json", "--data-binary", kOrder, api("/orders")})
                .status,
            200);

  std::vector<ReceivedRequest> seen = upstream_.requests();
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/api/v1/orders");
  EXPECT_EQ(seen[0].body, kOrder) << "the validated body must be forwarded unchanged";
  EXPECT_EQ(seen[1].target, "/api/v1/orders?status=open&status=paid&limit=20&filter[min_total]=5");
  EXPECT_EQ(seen[6].body, kOrder);
}

struct Refused {
  std::string name;
  std::vector<std::string> curl;  // arguments before the URL
  std::string path;
  int status;
  std::string pointer;  // the violation expected (400 only)
  std::string rule;
};

TEST_F(SchemaTest, EachKindOfUndescribedRequestIsRefusedWithItsProblem) {
  ASSERT_TRUE(proxy_.start_with_config(config("")));
  auto json_post = [](const std::string& body) {
    return std::vector<std::string>{
        "-X", "POST", "-H", kKey, "-H", "Content-Type: application/json", "--data-binary", body};
  };
  const std::vector<Refused> rows = {
      {"unknown path", {}, "/invoices", 404, "", ""},
      {"missing required header", {}, "/orders", 400, "/header/X-Api-Key", "required"},
      {"header pattern",
       {"-H", "X-Api-Key: short"},
       "/orders",
       400,
       "/header/X-Api-Key",
       "pattern"},
      {"path parameter type", {}, "/orders/abc", 400, "/path/orderId", "type"},
      {"path parameter minimum", {}, "/orders/0", 400, "/path/orderId", "minimum"},
      {"query array item enum",
       {"-H", kKey},
       "/orders?status=open&status=lost",
       400,
       "/query/status/1",
       "enum"},
      {"query integer maximum", {"-H", kKey}, "/orders?limit=500", 400, "/query/limit", "maximum"},
      {"deepObject property",
       {"-g", "-H", kKey},
       "/orders?filter[min_total]=-1",
       400,
       "/query/filter/min_total",
       "minimum"},
      {"required body missing", {"-X", "POST", "-H", kKey}, "/orders", 400, "/body", "required"},
      {"malformed JSON", json_post(R"({"customer":)"), "/orders", 400, "/body", "json"},
      {"required property", json_post(R"({"customer":{"name":"J","email":"j@example.com"}})"),
       "/orders", 400, "/body", "required"},
      {"nested maximum",
       json_post(
           R"({"customer":{"name":"J","email":"j@example.com"},"items":[{"sku":"SKU-1","qty":99}]})"),
       "/orders", 400, "/body/items/0/qty", "maximum"},
      {"email format",
       json_post(
           R"({"customer":{"name":"J","email":"not-an-email"},"items":[{"sku":"SKU-1","qty":1}]})"),
       "/orders", 400, "/body/customer/email", "format"},
      {"unknown property (strict by default)",
       json_post(
           R"({"customer":{"name":"J","email":"j@example.com"},"items":[{"sku":"SKU-1","qty":1}],"admin":true})"),
       "/orders", 400, "/body/admin", "additionalProperties"},
      {"readOnly property sent",
       json_post(
           R"({"id":7,"customer":{"name":"J","email":"j@example.com"},"items":[{"sku":"SKU-1","qty":1}]})"),
       "/orders", 400, "/body/id", "readOnly"},
      {"enum in a $ref'd schema",
       json_post(
           R"({"customer":{"name":"J","email":"j@example.com","address":{"street":"s","city":"c","country":"XX"}},"items":[{"sku":"SKU-1","qty":1}]})"),
       "/orders", 400, "/body/customer/address/country", "enum"},
      {"discriminator picks the mapped schema",
       {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
        R"({"method":"card","number":"12"})"},
       "/orders/5/payments",
       400,
       "/body/number",
       "pattern"},
      {"unknown discriminator value",
       {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
        R"({"method":"cash"})"},
       "/orders/5/payments",
       400,
       "/body",
       "discriminator"},
      {"form field enum",
       {"-X", "POST", "--data-binary", "email=j%40example.com&topics=spam"},
       "/newsletter",
       400,
       "/body/topics/0",
       "enum"},
      {"form field type",
       {"-X", "POST", "--data-binary", "email=j%40example.com&weekly=often"},
       "/newsletter",
       400,
       "/body/weekly",
       "type"},
      {"multipart required field",
       {"-X", "PUT", "-F", "caption=me"},
       "/customers/0b1c9a7e-2f3d-4c5b-8a9e-1234567890ab/avatar",
       400,
       "/body",
       "required"},
      {"undescribed content type",
       {"-X", "POST", "-H", kKey, "-H", "Content-Type: text/plain", "--data-binary", "hello"},
       "/orders",
       415,
       "",
       ""},
  };
  for (const Refused& row : rows) {
    SCOPED_TRACE(row.name);
    std::vector<std::string> args = row.curl;
    args.push_back(api(row.path));
    CurlResult r = run_curl(args);
    EXPECT_EQ(r.status, row.status) << r;
    nlohmann::json p = problem(r);
    ASSERT_TRUE(p.is_object()) << "not application/problem+json: " << r;
    EXPECT_EQ(p["status"], row.status);
    EXPECT_FALSE(p.value("request_id", "").empty());
    if (!row.pointer.empty()) {
      EXPECT_TRUE(has_violation(p, row.pointer, row.rule)) << r.body;
    }
  }
  EXPECT_EQ(upstream_.head_count(), 0u) << "a refused request reached the upstream";

  // A method the path does not have: 405 with the methods it has.
  CurlResult patch = run_curl({"-X", "PATCH", api("/orders/12")});
  EXPECT_EQ(patch.status, 405);
  EXPECT_EQ(find_header(patch.headers, "allow").value_or(""), "GET, DELETE");
}

TEST_F(SchemaTest, HostileBodiesGetACleanRefusal) {
  ASSERT_TRUE(proxy_.start_with_config(config("      max_body: 64KiB\n")));
  TempDir dir;
  auto post = [&](const std::string& body) {
    auto file = dir.write("body", body);
    return run_curl({"-X", "POST", "-H", kKey, "-H", "Content-Type: application/json",
                     "--data-binary", "@" + file.string(), api("/orders")});
  };
  const std::string bomb(60000, '[');
  CurlResult deep = post(bomb);
  EXPECT_EQ(deep.status, 400) << deep;
  EXPECT_NE(deep.body.find("nesting deeper than the limit"), std::string::npos) << deep.body;
  CurlResult huge = post(
      R"({"customer":{"name":"J","email":"j@example.com"},"items":[{"sku":"SKU-1","qty":1e999}]})");
  EXPECT_EQ(huge.status, 400) << huge;
  EXPECT_NE(huge.body.find("number out of range"), std::string::npos) << huge.body;
  CurlResult utf8 = post("{\"customer\":{\"name\":\"\xff\xfe\",\"email\":\"j@example.com\"}}");
  EXPECT_EQ(utf8.status, 400) << utf8;
  EXPECT_NE(utf8.body.find("invalid UTF-8"), std::string::npos) << utf8.body;
  CurlResult dup = post(
      R"({"customer":{"name":"J","email":"j@example.com"},"items":[],"items":[{"sku":"SKU-1","qty":1}]})");
  EXPECT_EQ(dup.status, 400) << dup;
  EXPECT_NE(dup.body.find("duplicate member name"), std::string::npos) << dup.body;
  CurlResult big = post("{\"note\":\"" + std::string(100 * 1024, 'a') + "\"}");
  EXPECT_EQ(big.status, 413) << big;
  EXPECT_EQ(upstream_.head_count(), 0u);
  // Still serving.
  EXPECT_EQ(run_curl({"-X", "POST", "-H", kKey, "-H", "Content-Type: application/json",
                      "--data-binary", kOrder, api("/orders")})
                .status,
            200);
}

TEST_F(SchemaTest, DetectModeForwardsAndLogsTheViolation) {
  ASSERT_TRUE(proxy_.start_with_config(config("      mode: detect\n")));
  CurlResult r = run_curl({api("/orders/abc")});
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(upstream_.head_count(), 1u);
  std::string events;
  for (int i = 0; i < 100 && events.find("\"stage\":\"schema\"") == std::string::npos; ++i) {
    events = run_curl({admin("/events")}).body;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_NE(events.find("\"stage\":\"schema\""), std::string::npos) << events;
  EXPECT_NE(events.find("/path/orderId"), std::string::npos) << events;
}

TEST_F(SchemaTest, UnknownPathsCanBeForbiddenOrPassedOn) {
  {
    ASSERT_TRUE(proxy_.start_with_config(config("      unknown_paths: forbid\n")));
    EXPECT_EQ(run_curl({api("/invoices")}).status, 403);
  }
  ProxyProcess second;
  ASSERT_TRUE(second.start_with_config(config("      unknown_paths: pass\n")));
  EXPECT_EQ(run_curl({proxy_url(second.port(), "/api/v1/invoices")}).status, 200);
  EXPECT_EQ(upstream_.head_count(), 1u);
}

TEST_F(SchemaTest, QuickStartFlagAppliesTheDocumentToTheDefaultRoute) {
  ASSERT_TRUE(proxy_.start({"--upstream", "http://" + upstream_.endpoint(), "--openapi", kShop}));
  EXPECT_EQ(run_curl({api("/orders/7")}).status, 200);
  EXPECT_EQ(run_curl({api("/orders/seven")}).status, 400);
  EXPECT_EQ(run_curl({url("/elsewhere")}).status, 404);
}

TEST_F(SchemaTest, OpenApi31DocumentsUseJsonSchema2020) {
  TempDir dir;
  auto doc = dir.write("api.json", R"({
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
    "paths": {"/points": {"post": {
      "requestBody": {"required": true, "content": {"application/json": {"schema": {
        "type": "object", "required": ["at"],
        "properties": {"at": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}],
                              "items": false},
                       "label": {"type": ["string", "null"]},
                       "kind": {"const": "point"}},
        "unevaluatedProperties": false}}}},
      "responses": {"201": {"description": "ok"}}}}}})");
  ASSERT_TRUE(
      proxy_.start({"--upstream", "http://" + upstream_.endpoint(), "--openapi", doc.string()}));
  auto post = [&](const std::string& body) {
    return run_curl({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body,
                     url("/points")});
  };
  EXPECT_EQ(post(R"({"at":[1.5,2],"label":null,"kind":"point"})").status, 200);
  CurlResult extra = post(R"({"at":[1,2,3]})");
  EXPECT_EQ(extra.status, 400);
  EXPECT_TRUE(has_violation(problem(extra), "/body/at/2", "false")) << extra.body;
  CurlResult kind = post(R"({"at":[1,2],"kind":"line"})");
  EXPECT_TRUE(has_violation(problem(kind), "/body/kind", "const")) << kind.body;
  CurlResult more = post(R"({"at":[1,2],"color":"red"})");
  EXPECT_TRUE(has_violation(problem(more), "/body/color", "false")) << more.body;
}

TEST(SchemaConfig, DocumentsThatCannotBeLoadedAreConfigErrorsThatSayWhere) {
  TempDir dir;
  auto check = [&](const std::string& doc_name, const std::string& doc) {
    auto path = dir.write(doc_name, doc);
    auto cfg = dir.write("portcullis.yaml",
                         "listen: [127.0.0.1:0]\nupstreams: [{name: app, endpoints: "
                         "[127.0.0.1:9]}]\nroutes: [{upstream: app}]\npolicies:\n  - name: "
                         "default\n    schema:\n      openapi: " +
                             doc_name + "\n");
    return run_portcullis({"--check", "-c", cfg.string()});
  };
  ProcessResult yaml = check("bad.yaml", "openapi: 3.0.3\npaths:\n  /a: [\n");
  EXPECT_EQ(yaml.exit->code, 1);
  EXPECT_NE(yaml.err.find("bad.yaml:"), std::string::npos) << yaml.err;
  EXPECT_NE(yaml.err.find("invalid YAML"), std::string::npos) << yaml.err;

  ProcessResult ref = check("ref.yaml",
                            "openapi: 3.0.3\npaths:\n  /a:\n    post:\n      requestBody:\n"
                            "        content:\n          application/json:\n            schema:"
                            " {$ref: '#/components/schemas/Missing'}\n");
  EXPECT_EQ(ref.exit->code, 1);
  EXPECT_NE(ref.err.find("#/paths/~1a/post/requestBody/content/application~1json/schema"),
            std::string::npos)
      << ref.err;
  EXPECT_NE(ref.err.find("Missing"), std::string::npos) << ref.err;

  ProcessResult version = check("v2.yaml", "swagger: '2.0'\npaths: {}\n");
  EXPECT_EQ(version.exit->code, 1);
  EXPECT_NE(version.err.find("openapi"), std::string::npos) << version.err;

  ProcessResult missing = run_portcullis({"--openapi", "/nonexistent/api.yaml", "--check"});
  EXPECT_NE(missing.exit->code, 0);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;

  ProcessResult param =
      check("param.yaml", "openapi: 3.0.3\npaths:\n  /a/{id}:\n    get:\n      responses: {}\n");
  EXPECT_EQ(param.exit->code, 1);
  EXPECT_NE(param.err.find("path parameter 'id' is not described"), std::string::npos) << param.err;
}

}  // namespace
}  // namespace portcullis::testing
