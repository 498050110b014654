// The 2026-07-28 ("modern") core pieces in isolation: era detection, the HTTP status of a modern
// reply, the SEP-2243 header checks, the sealed requestState, and McpServer::handle_request in the
// modern era (discovery, the _meta envelope, removed methods, result decoration, multi round-trip
// requests through the codec, -32021, and the per-request log level).
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>

#include "server/base64.hpp"
#include "server/http_headers.hpp"
#include "server/mcp_server.hpp"
#include "server/request_state.hpp"
#include "tests/unit/recording_outbound.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

namespace {

constexpr const char* kModern = "2026-07-28";

using Recorder = testing::RecordingOutbound;

using testing::request;

json modern_meta(json caps = json::object(), std::string version = kModern) {
  return {{meta_key::protocol_version, std::move(version)},
          {meta_key::client_capabilities, std::move(caps)},
          {meta_key::client_info, {{"name", "modern-unit"}, {"version", "1"}}}};
}

// params with a modern _meta merged in.
json modern_params(json params = json::object(), json caps = json::object()) {
  params["_meta"] = modern_meta(std::move(caps));
  return params;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A header lookup over a map, case-insensitive by name as HTTP headers are.
HeaderLookup headers(std::map<std::string, std::string> h) {
  std::map<std::string, std::string> lower;
  for (auto& [k, v] : h) {
    std::string key = k;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    lower[key] = v;
  }
  return [lower](const std::string& name) -> std::optional<std::string> {
    std::string key = name;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto it = lower.find(key);
    if (it == lower.end()) return std::nullopt;
    return it->second;
  };
}

const std::string kKey(32, 'k');

std::unique_ptr<McpServer> make_server() {
  auto server =
      std::make_unique<McpServer>(ServerInfo{"modern-unit-server", "Modern unit", "9.9.9", ""});
  server->set_state_key(kKey);

  ToolDefinition simple;
  simple.name = "simple";
  simple.description = "returns ok";
  simple.input_schema = {{"type", "object"}, {"properties", json::object()}};
  simple.handler = [](const json&, RequestContext&) { return ToolResult::text("ok"); };
  server->tools().add(std::move(simple));

  // Two rounds of state: asks for a name, carrying {"round": 1} to the retry.
  ToolDefinition greet;
  greet.name = "greet";
  greet.description = "asks the client for a name";
  greet.input_schema = {{"type", "object"}, {"properties", json::object()}};
  greet.handler = [](const json&, RequestContext& ctx) {
    json seen = ctx.request_state();
    if (seen.is_null()) ctx.set_request_state({{"round", 1}});
    json a = ctx.ask("name", "elicitation/create",
                     {{"message", "Your name?"},
                      {"requestedSchema",
                       {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}}});
    std::string name = a.value("content", json::object()).value("name", std::string("?"));
    return ToolResult::text("Hello, " + name + "! state=" + seen.dump());
  };
  server->tools().add(std::move(greet));

  ToolDefinition chatty;
  chatty.name = "chatty";
  chatty.description = "logs at three levels";
  chatty.input_schema = {{"type", "object"}, {"properties", json::object()}};
  chatty.handler = [](const json&, RequestContext& ctx) {
    ctx.log(LogLevel::debug, "d");
    ctx.log(LogLevel::info, "i");
    ctx.log(LogLevel::error, "e");
    ctx.progress(1, 2);
    ctx.progress(2, 2);
    return ToolResult::text("ok");
  };
  server->tools().add(std::move(chatty));
  return server;
}

json run(McpServer& server, const Message& m, Outbound& out) {
  Session s("");
  auto reply = server.handle_request(m, s, out, Era::modern);
  REQUIRE(reply);
  return *reply;
}

json run(McpServer& server, const Message& m) {
  Recorder out;
  return run(server, m, out);
}

std::string text_of(const json& reply) {
  return reply["result"]["content"][0]["text"].get<std::string>();
}

}  // namespace

TEST_SUITE("modern era_of") {
  TEST_CASE("modern: a session makes any request legacy") {
    auto m = request(1, "tools/list", modern_params());
    CHECK(era_of(m, true, kModern) == Era::legacy);
    CHECK(era_of(m, true, "") == Era::legacy);
  }
  TEST_CASE("modern: no _meta and no or a legacy version header is legacy") {
    auto m = request(1, "initialize", {{"protocolVersion", "2025-11-25"}});
    CHECK(era_of(m, false, "") == Era::legacy);
    for (const char* v : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
      CAPTURE(v);
      CHECK(era_of(m, false, v) == Era::legacy);
    }
  }
  TEST_CASE("modern: no _meta with a modern or unknown version header is modern") {
    auto m = request(1, "tools/list");
    CHECK(era_of(m, false, kModern) == Era::modern);
    CHECK(era_of(m, false, "2099-01-01") == Era::modern);
  }
  TEST_CASE("modern: _meta present is modern whatever the header says") {
    auto m = request(1, "tools/list", modern_params());
    CHECK(era_of(m, false, "") == Era::modern);
    CHECK(era_of(m, false, kModern) == Era::modern);
    CHECK(era_of(m, false, "2025-11-25") == Era::modern);
    // Even a _meta without the modern keys (then rejected with -32602, not run as legacy).
    CHECK(era_of(request(2, "tools/list", {{"_meta", json::object()}}), false, "") == Era::modern);
  }
  TEST_CASE(
      "modern: a _meta that is not an object, or params that are not an object, count as absent") {
    CHECK(era_of(request(1, "tools/list", {{"_meta", nullptr}}), false, "") == Era::legacy);
    CHECK(era_of(request(1, "tools/list", {{"_meta", "x"}}), false, "") == Era::legacy);
    CHECK(era_of(request(1, "tools/list", nullptr), false, "") == Era::legacy);
  }
}

TEST_SUITE("modern http_status_for") {
  TEST_CASE(
      "modern: results are 200, unknown methods 404, envelope/header/version/capability 400") {
    CHECK(http_status_for(make_result(1, json::object())) == 200);
    CHECK(http_status_for(make_error(1, error_code::method_not_found, "x")) == 404);
    CHECK(http_status_for(make_error(1, error_code::header_mismatch, "x")) == 400);
    CHECK(http_status_for(make_error(1, error_code::missing_client_capability, "x")) == 400);
    CHECK(http_status_for(make_error(1, error_code::unsupported_protocol_version, "x")) == 400);
    CHECK(http_status_for(make_error(nullptr, error_code::parse_error, "x")) == 400);
    CHECK(http_status_for(make_error(nullptr, error_code::invalid_request, "x")) == 400);
    CHECK(http_status_for(make_error(1, error_code::internal_error, "x")) == 200);
  }
}

TEST_SUITE("modern header_mismatch") {
  // A tool with parameters mirrored into Mcp-Param-Region (string), Mcp-Param-Count (number) and
  // Mcp-Param-Dry (boolean).
  ToolDefinition header_tool() {
    ToolDefinition t;
    t.name = "deploy";
    t.input_schema = {{"type", "object"},
                      {"properties",
                       {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                        {"count", {{"type", "integer"}, {"x-mcp-header", "Count"}}},
                        {"dry", {{"type", "boolean"}, {"x-mcp-header", "Dry"}}},
                        {"plain", {{"type", "string"}}}}}};
    index_header_params(t);  // as ToolRegistry::add does
    return t;
  }

  Message call(const std::string& name, json args = json::object()) {
    return request(1, "tools/call",
                   modern_params({{"name", name}, {"arguments", std::move(args)}}));
  }

  std::map<std::string, std::string> base(const std::string& name) {
    return {{"MCP-Protocol-Version", kModern}, {"Mcp-Method", "tools/call"}, {"Mcp-Name", name}};
  }

  TEST_CASE("modern: matching headers pass; header names are looked up case-insensitively") {
    CHECK_FALSE(header_mismatch(call("simple"), headers(base("simple")), nullptr));
    CHECK_FALSE(header_mismatch(call("simple"),
                                headers({{"mcp-protocol-version", kModern},
                                         {"MCP-METHOD", "tools/call"},
                                         {"mcp-name", "simple"}}),
                                nullptr));
    auto list = request(2, "tools/list", modern_params());
    CHECK_FALSE(header_mismatch(
        list, headers({{"MCP-Protocol-Version", kModern}, {"Mcp-Method", "tools/list"}}), nullptr));
  }

  TEST_CASE("modern: a missing or different version, method or name is reported") {
    auto h = base("simple");
    h.erase("MCP-Protocol-Version");
    auto bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "Missing header MCP-Protocol-Version"));

    h = base("simple");
    h["MCP-Protocol-Version"] = "2025-11-25";
    bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "MCP-Protocol-Version"));

    h = base("simple");
    h["Mcp-Method"] = "tools/list";
    bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "Mcp-Method"));

    h = base("simple");
    h.erase("Mcp-Method");
    bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "Missing header Mcp-Method"));

    h = base("other");
    bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "Mcp-Name"));

    h = base("simple");
    h.erase("Mcp-Name");
    bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "Missing header Mcp-Name"));
  }

  TEST_CASE(
      "modern: Mcp-Name carries the uri of resources/read, the name of prompts/get, the taskId of "
      "tasks/*") {
    auto read = request(1, "resources/read", modern_params({{"uri", "test://a b"}}));
    CHECK_FALSE(header_mismatch(read,
                                headers({{"MCP-Protocol-Version", kModern},
                                         {"Mcp-Method", "resources/read"},
                                         {"Mcp-Name", "test://a b"}}),
                                nullptr));
    CHECK(header_mismatch(read,
                          headers({{"MCP-Protocol-Version", kModern},
                                   {"Mcp-Method", "resources/read"},
                                   {"Mcp-Name", "test://other"}}),
                          nullptr));
    auto prompt = request(1, "prompts/get", modern_params({{"name", "p"}}));
    CHECK_FALSE(header_mismatch(
        prompt,
        headers(
            {{"MCP-Protocol-Version", kModern}, {"Mcp-Method", "prompts/get"}, {"Mcp-Name", "p"}}),
        nullptr));
    for (const char* m : {"tasks/get", "tasks/update", "tasks/cancel"}) {
      CAPTURE(m);
      auto task = request(1, m, modern_params({{"taskId", "task-123"}}));
      CHECK_FALSE(header_mismatch(
          task,
          headers({{"MCP-Protocol-Version", kModern}, {"Mcp-Method", m}, {"Mcp-Name", "task-123"}}),
          nullptr));
      auto bad = header_mismatch(
          task,
          headers({{"MCP-Protocol-Version", kModern}, {"Mcp-Method", m}, {"Mcp-Name", "task-999"}}),
          nullptr);
      REQUIRE(bad);
      CHECK(contains(*bad, "Mcp-Name"));
      auto h = headers({{"MCP-Protocol-Version", kModern}, {"Mcp-Method", m}});
      CHECK(header_mismatch(task, h, nullptr));
    }
  }

  TEST_CASE(
      "modern: =?base64?...?= values are decoded before comparing; invalid base64 is a mismatch") {
    const std::string name =
        "gr\xC3\xBC\xC3\x9F"
        "e";  // "grüße", not ASCII
    auto h = base("");
    h["Mcp-Name"] = "=?base64?" + base64_encode(name) + "?=";
    CHECK_FALSE(header_mismatch(call(name), headers(h), nullptr));
    // Plain ASCII may be encoded too.
    h = base("");
    h["Mcp-Name"] = "=?base64?" + base64_encode("simple") + "?=";
    CHECK_FALSE(header_mismatch(call("simple"), headers(h), nullptr));
    // Encoded, but of another value.
    h["Mcp-Name"] = "=?base64?" + base64_encode("other") + "?=";
    CHECK(header_mismatch(call("simple"), headers(h), nullptr));
    h["Mcp-Name"] = "=?base64?@@not base64@@?=";
    auto bad = header_mismatch(call("simple"), headers(h), nullptr);
    REQUIRE(bad);
    CHECK(contains(*bad, "base64"));
    CHECK(decode_header_value("=?base64?aGk=?=") == std::optional<std::string>("hi"));
    CHECK(decode_header_value("  plain \t") == std::optional<std::string>("plain"));
    CHECK_FALSE(decode_header_value("=?base64?***?="));
  }

  TEST_CASE("modern: surrounding whitespace is trimmed; values are compared case-sensitively") {
    auto h = base("simple");
    h["Mcp-Method"] = "  tools/call\t";
    h["Mcp-Name"] = " simple ";
    CHECK_FALSE(header_mismatch(call("simple"), headers(h), nullptr));
    h = base("simple");
    h["Mcp-Method"] = "Tools/Call";
    CHECK(header_mismatch(call("simple"), headers(h), nullptr));
    h = base("Simple");
    CHECK(header_mismatch(call("simple"), headers(h), nullptr));
  }

  TEST_CASE(
      "modern: x-mcp-header parameters travel as Mcp-Param-{Name}; numbers compare numerically") {
    ToolDefinition t = header_tool();
    auto h = base("deploy");
    h["Mcp-Param-Region"] = "eu-west-1";
    h["Mcp-Param-Count"] = "42";
    h["Mcp-Param-Dry"] = "true";
    json args = {{"region", "eu-west-1"}, {"count", 42}, {"dry", true}, {"plain", "x"}};
    CHECK_FALSE(header_mismatch(call("deploy", args), headers(h), &t));

    for (const char* same : {"42.0", "4.2e1", " 42 "}) {
      CAPTURE(same);
      auto h2 = h;
      h2["Mcp-Param-Count"] = same;
      CHECK_FALSE(header_mismatch(call("deploy", args), headers(h2), &t));
    }
    for (const char* other : {"43", "42abc", "forty-two", ""}) {
      CAPTURE(other);
      auto h2 = h;
      h2["Mcp-Param-Count"] = other;
      auto bad = header_mismatch(call("deploy", args), headers(h2), &t);
      REQUIRE(bad);
      CHECK(contains(*bad, "Mcp-Param-Count"));
    }
    auto h2 = h;
    h2["Mcp-Param-Region"] = "EU-WEST-1";
    CHECK(header_mismatch(call("deploy", args), headers(h2), &t));
    h2 = h;
    h2["Mcp-Param-Region"] = "=?base64?" + base64_encode("eu-west-1") + "?=";
    CHECK_FALSE(header_mismatch(call("deploy", args), headers(h2), &t));
    h2 = h;
    h2["Mcp-Param-Dry"] = "false";
    CHECK(header_mismatch(call("deploy", args), headers(h2), &t));
  }

  TEST_CASE("modern: a missing Mcp-Param header, or one for an absent argument, is a mismatch") {
    ToolDefinition t = header_tool();
    auto h = base("deploy");
    h["Mcp-Param-Region"] = "eu";
    // count is set in the body, its header is missing.
    auto bad = header_mismatch(call("deploy", {{"region", "eu"}, {"count", 1}}), headers(h), &t);
    REQUIRE(bad);
    CHECK(contains(*bad, "Missing header Mcp-Param-Count"));
    // the header names an argument the body does not have.
    h["Mcp-Param-Count"] = "1";
    bad = header_mismatch(call("deploy", {{"region", "eu"}}), headers(h), &t);
    REQUIRE(bad);
    CHECK(contains(*bad, "Mcp-Param-Count"));
    // Absent in both: fine. Parameters without x-mcp-header need no header.
    h.erase("Mcp-Param-Count");
    CHECK_FALSE(
        header_mismatch(call("deploy", {{"region", "eu"}, {"plain", "p"}}), headers(h), &t));
    // Without the tool definition nothing beyond the routing headers is checked.
    CHECK_FALSE(
        header_mismatch(call("deploy", {{"region", "eu"}, {"count", 1}}), headers(h), nullptr));
  }
}

TEST_SUITE("modern RequestStateCodec") {
  int code_of(const std::function<void()>& f, std::string* message = nullptr) {
    try {
      f();
    } catch (const RpcError& e) {
      if (message) *message = e.what();
      return e.code();
    }
    return 0;
  }

  // Replaces the character at `pos` with another base64url character.
  std::string flip(std::string token, size_t pos) {
    token[pos] = token[pos] == 'A' ? 'B' : 'A';
    return token;
  }

  TEST_CASE("modern: seal and open round-trip the payload for the same binding") {
    RequestStateCodec codec(kKey);
    json payload = {{"step", 2}, {"name", "Ada"}, {"nested", {1, 2, 3}}};
    std::string token = codec.seal(payload, "tools/call\ngreet");
    CHECK(token.find('.') != std::string::npos);
    CHECK(token.find_first_of("+/= \n") == std::string::npos);  // base64url, unpadded
    CHECK(codec.open(token, "tools/call\ngreet") == payload);
    // Another codec with the same key (a replica) accepts it.
    RequestStateCodec replica(kKey);
    CHECK(replica.open(token, "tools/call\ngreet") == payload);
  }

  TEST_CASE("modern: a changed payload or mac fails the integrity check") {
    RequestStateCodec codec(kKey);
    std::string token = codec.seal({{"admin", false}}, "b");
    auto dot = token.find('.');
    std::string why;
    CHECK(code_of([&] { codec.open(flip(token, 0), "b"); }, &why) == error_code::invalid_params);
    CHECK(contains(why, "integrity"));
    CHECK(code_of([&] { codec.open(flip(token, dot - 1), "b"); }) == error_code::invalid_params);
    CHECK(code_of([&] { codec.open(flip(token, dot + 1), "b"); }, &why) ==
          error_code::invalid_params);
    CHECK(contains(why, "integrity"));
    CHECK(code_of([&] { codec.open(token.substr(0, token.size() - 2), "b"); }) ==
          error_code::invalid_params);
    // A forged body re-encoding {"p":{"admin":true}} with the old mac.
    json forged = {{"p", {{"admin", true}}}, {"b", "b"}, {"e", 9999999999LL}};
    std::string body = base64_encode(forged.dump());
    for (char& c : body) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!body.empty() && body.back() == '=') body.pop_back();
    CHECK(code_of([&] { codec.open(body + token.substr(dot), "b"); }) ==
          error_code::invalid_params);
  }

  TEST_CASE("modern: malformed tokens are rejected") {
    RequestStateCodec codec(kKey);
    for (const char* bad : {"", "nodot", "a.b.c", ".", "!!!.???"}) {
      CAPTURE(bad);
      CHECK(code_of([&] { codec.open(bad, "b"); }) == error_code::invalid_params);
    }
  }

  TEST_CASE("modern: a state bound to another request is rejected") {
    RequestStateCodec codec(kKey);
    std::string token = codec.seal({{"x", 1}}, "tools/call\ngreet");
    std::string why;
    CHECK(code_of([&] { codec.open(token, "tools/call\nother"); }, &why) ==
          error_code::invalid_params);
    CHECK(contains(why, "another request"));
    CHECK(code_of([&] { codec.open(token, "prompts/get\ngreet"); }) == error_code::invalid_params);
  }

  TEST_CASE("modern: an expired state is rejected") {
    RequestStateCodec expired_issuer(kKey, std::chrono::seconds(-5));
    RequestStateCodec codec(kKey);
    std::string token = expired_issuer.seal({{"x", 1}}, "b");
    std::string why;
    CHECK(code_of([&] { codec.open(token, "b"); }, &why) == error_code::invalid_params);
    CHECK(contains(why, "expired"));
  }

  TEST_CASE("modern: a state sealed under another key is rejected") {
    RequestStateCodec a(kKey);
    RequestStateCodec b(std::string(32, 'z'));
    RequestStateCodec random_a, random_b;  // each with its own random key
    std::string token = a.seal({{"x", 1}}, "b");
    CHECK(code_of([&] { b.open(token, "b"); }) == error_code::invalid_params);
    CHECK(code_of([&] {
            random_a.open(random_b.seal({{"x", 1}}, "b"), "b");
          }) == error_code::invalid_params);
    CHECK(RequestStateCodec::random_key().size() >= 32);
    CHECK(RequestStateCodec::random_key() != RequestStateCodec::random_key());
  }
}

TEST_SUITE("modern handle_request") {
  TEST_CASE(
      "modern: server/discover lists every version, the capabilities, cache hints and serverInfo") {
    auto server = make_server();
    json r = run(*server, request(1, "server/discover", modern_params()));
    REQUIRE(r.contains("result"));
    const json& res = r["result"];
    CHECK(res["supportedVersions"] ==
          json::array({"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}));
    CHECK(res["capabilities"].is_object());
    CHECK(res["capabilities"].contains("tools"));
    CHECK(res["resultType"] == "complete");
    CHECK(res["ttlMs"].is_number_integer());
    CHECK(res["ttlMs"].get<long long>() >= 0);
    CHECK((res["cacheScope"] == "private" || res["cacheScope"] == "public"));
    CHECK(res["_meta"][meta_key::server_info]["name"] == "modern-unit-server");
    CHECK(res["_meta"][meta_key::server_info]["version"] == "9.9.9");
    CHECK(server->discover()["supportedVersions"] == res["supportedVersions"]);
  }

  TEST_CASE("modern: a request without the required _meta fields is -32602") {
    auto server = make_server();
    json r = run(*server, request(1, "tools/list", json::object()));
    CHECK(r["error"]["code"] == error_code::invalid_params);
    json no_caps = {{"_meta", {{meta_key::protocol_version, kModern}}}};
    r = run(*server, request(2, "tools/list", no_caps));
    CHECK(r["error"]["code"] == error_code::invalid_params);
    CHECK(contains(r["error"]["message"].get<std::string>(), meta_key::client_capabilities));
    json no_version = {{"_meta", {{meta_key::client_capabilities, json::object()}}}};
    r = run(*server, request(3, "tools/list", no_version));
    CHECK(r["error"]["code"] == error_code::invalid_params);
    CHECK(contains(r["error"]["message"].get<std::string>(), meta_key::protocol_version));
    json bad_info = modern_params();
    bad_info["_meta"][meta_key::client_info] = "me";
    r = run(*server, request(4, "tools/list", bad_info));
    CHECK(r["error"]["code"] == error_code::invalid_params);
    // The transport's pre-check says the same.
    auto pre = server->envelope_error(request(5, "tools/list", json::object()));
    REQUIRE(pre);
    CHECK(pre->code() == error_code::invalid_params);
    CHECK_FALSE(server->envelope_error(request(6, "tools/list", modern_params())));
  }

  TEST_CASE("modern: an unsupported version is -32022 with data.supported and data.requested") {
    auto server = make_server();
    for (const char* v : {"2099-01-01", "2025-11-25", "garbage"}) {
      CAPTURE(v);
      json p = {{"_meta", modern_meta(json::object(), v)}};
      json r = run(*server, request(1, "tools/list", p));
      CHECK(r["error"]["code"] == error_code::unsupported_protocol_version);
      CHECK(r["error"]["data"]["requested"] == v);
      const json& supported = r["error"]["data"]["supported"];
      REQUIRE(supported.is_array());
      CHECK(std::find(supported.begin(), supported.end(), json(kModern)) != supported.end());
      CHECK(http_status_for(r) == 400);
      // The version error is told apart from a shape error (HTTP checks headers in between).
      auto pre = server->envelope_error(request(2, "tools/list", p));
      REQUIRE(pre);
      CHECK(pre->code() == error_code::unsupported_protocol_version);
    }
  }

  TEST_CASE("modern: removed and unknown methods are -32601 (HTTP 404)") {
    auto server = make_server();
    for (const char* m : {"initialize", "ping", "logging/setLevel", "resources/subscribe",
                          "resources/unsubscribe", "tasks/list", "tasks/result", "no/such"}) {
      CAPTURE(m);
      json params = modern_params();
      if (std::string(m) == "initialize") {
        params["protocolVersion"] = "2025-11-25";
        params["capabilities"] = json::object();
        params["clientInfo"] = {{"name", "x"}, {"version", "1"}};
      }
      if (std::string(m).rfind("resources/", 0) == 0) params["uri"] = "test://x";
      if (std::string(m) == "logging/setLevel") params["level"] = "debug";
      json r = run(*server, request(1, m, params));
      REQUIRE(r.contains("error"));
      CHECK(r["error"]["code"] == error_code::method_not_found);
      CHECK(http_status_for(r) == 404);
    }
  }

  TEST_CASE("modern: results carry resultType and serverInfo; lists carry ttlMs and cacheScope") {
    auto server = make_server();
    json list = run(*server, request(1, "tools/list", modern_params()));
    const json& res = list["result"];
    CHECK(res["resultType"] == "complete");
    CHECK(res["ttlMs"].is_number_integer());
    CHECK(res["cacheScope"].is_string());
    CHECK(res["_meta"][meta_key::server_info]["name"] == "modern-unit-server");
    CHECK(res["tools"].size() == 3);

    json call = run(*server, request(2, "tools/call", modern_params({{"name", "simple"}})));
    CHECK(call["result"]["resultType"] == "complete");
    CHECK(call["result"]["_meta"][meta_key::server_info]["name"] == "modern-unit-server");
    CHECK(text_of(call) == "ok");
  }

  TEST_CASE("modern: InputRequired: a sealed requestState round-trips and the retry completes") {
    auto server = make_server();
    json caps = {{"elicitation", json::object()}};
    Recorder out;
    json first =
        run(*server, request(1, "tools/call", modern_params({{"name", "greet"}}, caps)), out);
    REQUIRE(first.contains("result"));
    const json& ir = first["result"];
    CHECK(ir["resultType"] == "input_required");
    CHECK(ir["inputRequests"]["name"]["method"] == "elicitation/create");
    CHECK(ir["inputRequests"]["name"]["params"]["message"] == "Your name?");
    CHECK(ir["_meta"][meta_key::server_info]["name"] == "modern-unit-server");
    REQUIRE(ir["requestState"].is_string());
    const std::string state = ir["requestState"];
    CHECK(out.sent.empty());  // nothing is sent to the client on the modern path

    // The state is ours, sealed under the configured key and bound to tools/call greet.
    RequestStateCodec codec(kKey);
    CHECK(codec.open(state, "tools/call\ngreet") == json{{"round", 1}});

    json answers = {{"name", {{"action", "accept"}, {"content", {{"name", "Ada"}}}}}};
    json retry = run(
        *server,
        request(
            2, "tools/call",
            modern_params({{"name", "greet"}, {"inputResponses", answers}, {"requestState", state}},
                          caps)));
    REQUIRE(retry.contains("result"));
    CHECK(retry["result"]["resultType"] == "complete");
    CHECK(text_of(retry) == R"(Hello, Ada! state={"round":1})");

    SUBCASE("a tampered state is -32602") {
      std::string bad = state;
      bad[3] = bad[3] == 'A' ? 'B' : 'A';
      json r = run(
          *server,
          request(
              3, "tools/call",
              modern_params({{"name", "greet"}, {"inputResponses", answers}, {"requestState", bad}},
                            caps)));
      CHECK(r["error"]["code"] == error_code::invalid_params);
    }
    SUBCASE("a state for another tool is -32602") {
      std::string other = codec.seal({{"round", 1}}, "tools/call\nsimple");
      json r =
          run(*server,
              request(3, "tools/call",
                      modern_params(
                          {{"name", "greet"}, {"inputResponses", answers}, {"requestState", other}},
                          caps)));
      CHECK(r["error"]["code"] == error_code::invalid_params);
      // And greet's own state does not open a different tool's call.
      r = run(*server, request(4, "tools/call",
                               modern_params({{"name", "simple"}, {"requestState", state}}, caps)));
      CHECK(r["error"]["code"] == error_code::invalid_params);
    }
    SUBCASE("an expired state is -32602") {
      std::string old = RequestStateCodec(kKey, std::chrono::seconds(-5))
                            .seal({{"round", 1}}, "tools/call\ngreet");
      json r = run(
          *server,
          request(
              3, "tools/call",
              modern_params({{"name", "greet"}, {"inputResponses", answers}, {"requestState", old}},
                            caps)));
      CHECK(r["error"]["code"] == error_code::invalid_params);
    }
    SUBCASE("a state sealed under another key is -32602") {
      std::string foreign =
          RequestStateCodec(std::string(32, 'q')).seal({{"round", 1}}, "tools/call\ngreet");
      json r = run(
          *server,
          request(3, "tools/call",
                  modern_params(
                      {{"name", "greet"}, {"inputResponses", answers}, {"requestState", foreign}},
                      caps)));
      CHECK(r["error"]["code"] == error_code::invalid_params);
    }
    SUBCASE("a retry without the answer asks again") {
      json r =
          run(*server, request(3, "tools/call",
                               modern_params({{"name", "greet"}, {"requestState", state}}, caps)));
      CHECK(r["result"]["resultType"] == "input_required");
    }
  }

  TEST_CASE(
      "modern: asking for an undeclared capability is -32021 with data.requiredCapabilities") {
    auto server = make_server();
    json r = run(*server, request(1, "tools/call", modern_params({{"name", "greet"}})));
    REQUIRE(r.contains("error"));
    CHECK(r["error"]["code"] == error_code::missing_client_capability);
    CHECK(r["error"]["data"]["requiredCapabilities"].contains("elicitation"));
    CHECK(http_status_for(r) == 400);
    // Declaring another capability does not help.
    r = run(*server, request(2, "tools/call",
                             modern_params({{"name", "greet"}}, {{"sampling", json::object()}})));
    CHECK(r["error"]["code"] == error_code::missing_client_capability);
  }

  TEST_CASE("modern: no notifications/message without a logLevel; with one, filtered by it") {
    auto server = make_server();
    {
      Recorder out;
      json params = modern_params({{"name", "chatty"}});
      params["_meta"]["progressToken"] = "p1";
      json r = run(*server, request(1, "tools/call", params), out);
      CHECK(text_of(r) == "ok");
      CHECK(out.with_method("notifications/message").empty());
      CHECK(out.with_method("notifications/progress").size() == 2);  // progress is not logging
    }
    {
      Recorder out;
      json params = modern_params({{"name", "chatty"}});
      params["_meta"][meta_key::log_level] = "info";
      run(*server, request(2, "tools/call", params), out);
      auto logs = out.with_method("notifications/message");
      REQUIRE(logs.size() == 2);
      CHECK(logs[0]["params"]["level"] == "info");
      CHECK(logs[1]["params"]["level"] == "error");
      CHECK(out.with_method("notifications/progress").empty());  // no progress token
    }
    {
      Recorder out;
      json params = modern_params({{"name", "chatty"}});
      params["_meta"][meta_key::log_level] = "debug";
      run(*server, request(3, "tools/call", params), out);
      CHECK(out.with_method("notifications/message").size() == 3);
    }
    {
      json params = modern_params({{"name", "chatty"}});
      params["_meta"][meta_key::log_level] = "loud";
      json r = run(*server, request(4, "tools/call", params));
      CHECK(r["error"]["code"] == error_code::invalid_params);
    }
  }

  TEST_CASE("modern: a legacy session's log level does not leak into a modern request") {
    auto server = make_server();
    Session s("");
    s.set_log_level(LogLevel::debug);
    Recorder out;
    auto r = server->handle_request(request(1, "tools/call", modern_params({{"name", "chatty"}})),
                                    s, out, Era::modern);
    REQUIRE(r);
    CHECK(out.with_method("notifications/message").empty());
  }
}
