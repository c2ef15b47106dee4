// In-process WAF benchmark: the same requests evaluated by portcullis's engine and, when built
// with libmodsecurity (Debian libmodsecurity-dev), by ModSecurity v3, both with the same CRS
// rules, on one core. Prints a table of requests per second and microseconds per request.
//
//   waf_engine_bench CRS_DIR [--paranoia N] [--seconds S] [--request NAME] [--only-portcullis]
//                    [--remove "ID ID…"]   (rules left out, to see what they cost)
//                    [--requests N]        (exactly N per row instead of S seconds: for counting
//                                           instructions with perf stat, which noise spares)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/exchange.h"
#include "waf/engine/transaction.h"
#include "waf/engine/waf_stage.h"

#ifdef PORTCULLIS_WITH_MODSECURITY
#include <modsecurity/modsecurity.h>
#include <modsecurity/rules_set.h>
#include <modsecurity/transaction.h>
#endif

namespace {

using namespace portcullis;
using Clock = std::chrono::steady_clock;

struct BenchRequest {
  std::string name;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // "{n}" in the target, header values and body becomes a number new for every request: a
  // value that recurs (header values, names) is cheaper for portcullis, whose prefilter verdicts
  // for short texts are remembered across requests; these rows show the cost without that.
  bool vary = false;
};

std::string with_number(std::string s, std::uint64_t n) {
  const std::string number = std::to_string(n);
  for (std::size_t at = s.find("{n}"); at != std::string::npos; at = s.find("{n}", at)) {
    s.replace(at, 3, number);
    at += number.size();
  }
  return s;
}

// The request to send as the n-th one.
BenchRequest instance(const BenchRequest& r, std::uint64_t n) {
  if (!r.vary) return r;
  BenchRequest out = r;
  out.target = with_number(r.target, n);
  for (auto& [name, value] : out.headers) value = with_number(value, n);
  out.body = with_number(r.body, n);
  for (auto& [name, value] : out.headers) {
    if (name == "Content-Length") value = std::to_string(out.body.size());
  }
  return out;
}

std::vector<BenchRequest> requests() {
  std::vector<std::pair<std::string, std::string>> browser = {
      {"Host", "shop.example.com"},
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
       "Safari/537.36"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Cookie", "session=3f8a9c1e7b2d4a6f; theme=dark; consent=yes"},
  };
  std::string json =
      R"({"order":{"id":184467,"customer":{"name":"Jane Doe","email":"jane@example.com","address":{"street":"12 Market Street","city":"Springfield","zip":"12345","country":"US"}},"items":[)";
  for (int i = 0; i < 6; ++i) {
    if (i) json += ",";
    json += R"({"sku":"SKU-)" + std::to_string(1000 + i) +
            R"(","name":"Blue cotton shirt size M","qty":)" + std::to_string(i + 1) +
            R"(,"price":19.99})";
  }
  json += R"(],"note":"Please leave the parcel at the door, thanks!","gift":false}})";
  std::string boundary = "----portcullisbench7MA4YWxkTrZu0gW";
  std::string multipart = "--" + boundary +
                          "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHoliday "
                          "photos\r\n--" +
                          boundary +
                          "\r\nContent-Disposition: form-data; name=\"file\"; "
                          "filename=\"beach.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
                          std::string(2048, 'J') + "\r\n--" + boundary + "--\r\n";
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto h = browser;
    for (auto& e : extra) h.push_back(e);
    return h;
  };
  auto fresh = [&](std::vector<std::pair<std::string, std::string>> headers) {
    for (auto& [name, value] : headers) {
      if (name == "Cookie") value = "session=3f8a{n}c1e7b2d; theme=dark; consent=yes";
    }
    return headers;
  };
  std::string fresh_json = json;
  fresh_json.replace(fresh_json.find("184467"), 6, "{n}");
  fresh_json.replace(fresh_json.find("Jane Doe"), 8, "Jane Doe {n}");
  fresh_json.replace(fresh_json.find("jane@"), 5, "jane{n}@");
  fresh_json.replace(fresh_json.find("at the door"), 11, "at door {n}");
  return {
      {"GET with query", "GET", "/catalog/search?q=blue+shirt&page=2&sort=price&size=M", browser,
       ""},
      {"GET, new values", "GET", "/catalog/search?q=blue+shirt+{n}&page={n}&sort=price&size=M",
       fresh(browser), "", true},
      {"JSON POST, new values", "POST", "/api/orders",
       fresh(with({{"Content-Type", "application/json"}, {"Content-Length", "0"}})), fresh_json,
       true},
      {"JSON POST (1 KB)", "POST", "/api/orders",
       with(
           {{"Content-Type", "application/json"}, {"Content-Length", std::to_string(json.size())}}),
       json},
      {"multipart upload", "POST", "/upload",
       with({{"Content-Type", "multipart/form-data; boundary=" + boundary},
             {"Content-Length", std::to_string(multipart.size())}}),
       multipart},
      {"URL-encoded form", "POST", "/account/profile",
       with({{"Content-Type", "application/x-www-form-urlencoded"}}),
       "first_name=Jane&last_name=Doe&email=jane%40example.com&phone=%2B1+555+0100&city="
       "Springfield&newsletter=on&bio=I+like+hiking+and+photography."},
      {"attack: SQLi", "GET", "/item?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
       browser, ""},
      {"attack: XSS", "GET", "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", browser,
       ""},
      {"attack: path traversal", "GET", "/download?file=../../../../etc/passwd", browser, ""},
  };
}

struct Row {
  std::string name;
  double ours = 0, modsec = 0;
  bool ours_blocked = false, modsec_blocked = false;
};

// With --requests: how many requests each row runs (0: run for --seconds).
std::uint64_t g_fixed_requests = 0;

// Runs one(i) for i = 0, 1, 2 ... for `seconds` (after a warm-up), or g_fixed_requests times;
// requests per second.
template <typename F>
double per_second(F&& one, double seconds) {
  std::uint64_t i = 0;
  for (; i < 50; ++i) one(i);  // warm up
  std::uint64_t n = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(seconds);
  if (g_fixed_requests > 0) {
    for (; n < g_fixed_requests; ++n) one(i++);
    return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
  }
  while (Clock::now() < end) {
    for (int k = 0; k < 16; ++k) one(i++);
    n += 16;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(n) / elapsed;
}

bool run_ours(const waf::WafStage& stage, const BenchRequest& r) {
  Exchange ex;
  std::vector<HeaderField> fields;
  fields.reserve(r.headers.size());
  for (const auto& [n, v] : r.headers) fields.push_back({n, v});
  ex.method = r.method;
  ex.set_target(r.target);
  ex.host = "shop.example.com";
  ex.headers = fields;
  ex.client_ip = "192.0.2.10";
  ex.client_port = 40000;
  ex.request_id = "bench";
  ex.has_body = !r.body.empty();
  ex.content_length = r.body.size();
  Verdict v = stage.on_headers(ex);
  if (v.is_continue() && ex.has_body) {
    ex.body = std::span<const char>(r.body.data(), r.body.size());
    ex.body_complete = true;
    v = stage.on_body(ex);
  }
  return !v.is_continue();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CRS_DIR [--paranoia N] [--seconds S]\n", argv[0]);
    return 2;
  }
  std::string crs = argv[1];
  int paranoia = 1;
  double seconds = 2.0;
  bool only_ours = false;
  std::string only_request;
  std::string removed_ids;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--only-portcullis")) only_ours = true;
    if (i + 1 >= argc) continue;
    if (!std::strcmp(argv[i], "--paranoia")) paranoia = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--request")) only_request = argv[i + 1];
    if (!std::strcmp(argv[i], "--remove")) removed_ids = argv[i + 1];
    if (!std::strcmp(argv[i], "--requests"))
      g_fixed_requests = std::strtoull(argv[i + 1], nullptr, 10);
  }
  // The same engine settings for both: ModSecurity's recommended body access, CRS in block mode.
  std::string engine_conf = (std::filesystem::temp_directory_path() /
                             ("portcullis-bench-engine-" + std::to_string(::getpid()) + ".conf"))
                                .string();
  {
    FILE* f = std::fopen(engine_conf.c_str(), "w");
    std::fprintf(
        f,
        "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimit 13107200\n"
        "SecRequestBodyNoFilesLimit 131072\n"
        "SecRule REQUEST_HEADERS:Content-Type \"@rx (?i)^application/json\" "
        "\"id:200001,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
        "SecAction \"id:900000,phase:1,pass,nolog,setvar:tx.blocking_paranoia_level=%d\"\n",
        paranoia);
    std::fclose(f);
  }
  std::vector<std::string> files = {engine_conf, crs + "/crs-setup.conf.example",
                                    crs + "/rules/*.conf"};
  std::string removal_conf;
  if (!removed_ids.empty()) {
    removal_conf = engine_conf + ".remove.conf";
    FILE* f = std::fopen(removal_conf.c_str(), "w");
    std::fprintf(f, "SecRuleRemoveById %s\n", removed_ids.c_str());
    std::fclose(f);
    files.push_back(removal_conf);
  }

  waf::WafConfig config;
  config.rule_files = files;
  auto auto_stage = waf::make_waf_stage(config);
  if (!auto_stage) {
    std::fprintf(stderr, "portcullis rules: %s\n", auto_stage.error().to_string().c_str());
    return 1;
  }
  const waf::WafStage& stage = **auto_stage;

#ifdef PORTCULLIS_WITH_MODSECURITY
  auto modsec = std::make_unique<modsecurity::ModSecurity>();
  // Its log lines would go to stderr; the benchmark discards them, as portcullis's events are
  // not written here either.
  modsec->setServerLogCb([](void*, const void*) {});
  auto rules = std::make_unique<modsecurity::RulesSet>();
  std::string include = "Include " + engine_conf + "\nInclude " + crs +
                        "/crs-setup.conf.example\nInclude " + crs + "/rules/*.conf\n";
  if (!removal_conf.empty()) include += "Include " + removal_conf + "\n";
  if (rules->load(include.c_str()) < 0) {
    std::fprintf(stderr, "libmodsecurity rules: %s\n", rules->getParserError().c_str());
    return 1;
  }
  auto run_modsec = [&](const BenchRequest& r) {
    modsecurity::Transaction t(modsec.get(), rules.get(), nullptr);
    t.processConnection("192.0.2.10", 40000, "127.0.0.1", 80);
    t.processURI(r.target.c_str(), r.method.c_str(), "1.1");
    for (const auto& [n, v] : r.headers) t.addRequestHeader(n, v);
    t.processRequestHeaders();
    if (!r.body.empty()) {
      t.appendRequestBody(reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size());
    }
    t.processRequestBody();
    modsecurity::ModSecurityIntervention it{};
    it.status = 200;
    bool blocked = t.intervention(&it);
    if (it.url) std::free(it.url);
    if (it.log) std::free(it.log);
    return blocked;
  };
#endif

  std::vector<Row> rows;
  for (const BenchRequest& r : requests()) {
    if (!only_request.empty() && r.name.find(only_request) == std::string::npos) continue;
    Row row;
    row.name = r.name;
    row.ours_blocked = run_ours(stage, instance(r, 0));
    row.ours = per_second(
        [&](std::uint64_t n) {
          if (!r.vary) {
            run_ours(stage, r);
          } else {
            run_ours(stage, instance(r, n));
          }
        },
        seconds);
#ifdef PORTCULLIS_WITH_MODSECURITY
    if (!only_ours) {
      row.modsec_blocked = run_modsec(instance(r, 0));
      row.modsec = per_second(
          [&](std::uint64_t n) {
            if (!r.vary) {
              run_modsec(r);
            } else {
              run_modsec(instance(r, n));
            }
          },
          seconds);
    }
#endif
    rows.push_back(row);
  }
  std::printf("CRS %s, paranoia level %d, one core, %.1f s per cell\n\n", crs.c_str(), paranoia,
              seconds);
  std::printf(
      "| request | portcullis req/s | us/req | blocked | libmodsecurity req/s | us/req | blocked | "
      "ratio |\n");
  std::printf("|---|---:|---:|---|---:|---:|---|---:|\n");
  for (const Row& row : rows) {
    std::printf("| %s | %.0f | %.1f | %s | ", row.name.c_str(), row.ours, 1e6 / row.ours,
                row.ours_blocked ? "yes" : "no");
    if (row.modsec > 0) {
      std::printf("%.0f | %.1f | %s | %.1fx |\n", row.modsec, 1e6 / row.modsec,
                  row.modsec_blocked ? "yes" : "no", row.ours / row.modsec);
    } else {
      std::printf("- | - | - | - |\n");
    }
  }
  std::filesystem::remove(engine_conf);
  if (!removal_conf.empty()) std::filesystem::remove(removal_conf);
  return 0;
}
