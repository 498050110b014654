// The envelope cache: find_params_meta finds params._meta only where using it cannot change what
// the message means, and a message parsed with a cached envelope equals the message parsed whole.
#include "server/envelope_cache.hpp"

#include <doctest/doctest.h>

using namespace runagents::mcp;

namespace {

std::string span_text(std::string_view text) {
  auto s = find_params_meta(text);
  return s ? std::string(text.substr(s->begin, s->end - s->begin)) : std::string("<none>");
}

const char* kMeta =
    R"({"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"extensions":{"io.modelcontextprotocol/tasks":{}}},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"}})";

}  // namespace

TEST_CASE("find_params_meta: the one params._meta object, and nothing when in doubt") {
  std::string m = kMeta;
  CHECK(span_text(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":)" +
                  m + R"(,"arguments":{"_meta":{"no":1}}}})") == m);
  CHECK(span_text(R"( { "params" : { "_meta" : { "a" : "}\"{" } } , "id" : 1 } )") ==
        R"({ "a" : "}\"{" })");
  // A key named _meta elsewhere, or a string value "params", is not it.
  CHECK(span_text(R"({"x":{"_meta":{}},"params":{"name":"_meta"}})") == "<none>");
  CHECK(span_text(R"({"method":"params","params":{"arguments":{"_meta":{}}}})") == "<none>");
  // Duplicates (the parser keeps the last) and escaped keys: no span.
  CHECK(span_text(R"({"params":{"_meta":{"a":1}},"params":{"_meta":{"a":2}}})") == "<none>");
  CHECK(span_text(R"({"params":{"_meta":{"a":1},"_meta":{"a":2}}})") == "<none>");
  CHECK(span_text(R"({"params":{"_meta":{"a":1}},"\u0070arams":{}})") == "<none>");
  CHECK(span_text(R"({"params":{"_meta":{"a":1},"\u005fmeta":{}}})") == "<none>");
  // Not an object, or not objects on the way.
  CHECK(span_text(R"([{"params":{"_meta":{}}}])") == "<none>");
  CHECK(span_text(R"({"params":[{"_meta":{}}]})") == "<none>");
  CHECK(span_text(R"({"params":{"_meta":"x"}})") == "<none>");
  CHECK(span_text(R"({"params":{"_meta":{"a":1})") == "<none>");  // cut short
  CHECK(span_text(R"({"params":{"_meta":{"a":"\)") == "<none>");
}

TEST_CASE("parse_message: a request parsed with the cached envelope equals the whole parse") {
  MessageLimits limits;
  std::string m = kMeta;
  for (int round = 0; round < 3; ++round) {  // the first parses and remembers, the rest reuse
    for (const std::string& text :
         {R"({"jsonrpc":"2.0","id":)" + std::to_string(round) +
              R"(,"method":"tools/call","params":{"name":"t","arguments":{"k":"v"},"_meta":)" + m +
              "}}",
          R"({"jsonrpc":"2.0","id":"s","method":"tasks/get","params":{"_meta":)" + m +
              R"(,"taskId":"abc"}})"}) {
      auto out = parse_message(text, limits);
      REQUIRE(out.message);
      json whole = json::parse(text);
      // From the second parse on, _meta is the cached value, shared rather than copied into
      // params; params plus meta() is still exactly the whole parse.
      if (round > 0) CHECK(out.message->shared_meta != nullptr);
      json params = out.message->params;
      REQUIRE(out.message->meta() != nullptr);
      params["_meta"] = *out.message->meta();
      CHECK(params == whole["params"]);
      CHECK(out.message->id == whole["id"]);
      if (round > 0) {
        CHECK_FALSE(out.message->params.contains("_meta"));
        CHECK(out.message->shared_meta.get() == parse_message(text, limits).message->meta());
      }
    }
  }
  // A broken message whose envelope is cached is still a parse error, with id null.
  auto broken = parse_message(
      R"({"jsonrpc":"2.0","id":9,"method":"x","params":{"_meta":)" + m + ",}}", limits);
  REQUIRE(broken.error_reply);
  CHECK((*broken.error_reply)["error"]["code"] == -32700);
}

TEST_CASE("envelope cache: exact text only, bounded") {
  EnvelopeCache cache;
  cache.remember(R"({"a":1})", json{{"a", 1}});
  CHECK(cache.find(R"({"a": 1})") == nullptr);
  REQUIRE(cache.find(R"({"a":1})") != nullptr);
  CHECK(*cache.find(R"({"a":1})") == json{{"a", 1}});
  for (int i = 0; i < 20; ++i) {
    std::string t = R"({"n":)" + std::to_string(i) + "}";
    cache.remember(t, json{{"n", i}});
  }
  CHECK(cache.find(R"({"a":1})") == nullptr);  // pushed out by newer ones
  CHECK(cache.find(R"({"n":19})") != nullptr);
  std::string big = "{\"x\":\"" + std::string(EnvelopeCache::kMaxText, 'x') + "\"}";
  cache.remember(big, json::object());
  CHECK(cache.find(big) == nullptr);
}
