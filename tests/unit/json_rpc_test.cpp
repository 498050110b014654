#include "server/json_rpc.hpp"

#include <doctest/doctest.h>

#include "server/protocol.hpp"

using namespace runagents::mcp;

namespace {
int error_code_of(const ParseOutcome& out) {
  REQUIRE(out.error_reply.has_value());
  return (*out.error_reply)["error"]["code"].get<int>();
}
}  // namespace

TEST_SUITE("jsonrpc") {
  TEST_CASE("a request, a notification and a response parse") {
    MessageLimits limits;
    auto req = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping"})", limits);
    REQUIRE(req.message);
    CHECK(req.message->kind == Message::Kind::request);
    CHECK(req.message->id == 7);
    auto note = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})", limits);
    REQUIRE(note.message);
    CHECK(note.message->kind == Message::Kind::notification);
    auto resp = parse_message(R"({"jsonrpc":"2.0","id":"srv-1","result":{"x":1}})", limits);
    REQUIRE(resp.message);
    CHECK(resp.message->kind == Message::Kind::response);
    CHECK(resp.message->result["x"] == 1);
  }

  TEST_CASE("malformed JSON and invalid bytes outside strings are parse errors with a null id") {
    MessageLimits limits;
    for (std::string bad :
         {std::string("{"), std::string("not json"),
          std::string("{\"jsonrpc\":\"2.0\",\"id\":1,\xff\"method\":\"ping\"}")}) {
      auto out = parse_message(bad, limits);
      CHECK(error_code_of(out) == error_code::parse_error);
      CHECK((*out.error_reply)["id"].is_null());
    }
  }

  TEST_CASE("invalid UTF-8 and lone surrogates inside strings become U+FFFD; the id is kept") {
    MessageLimits limits;
    const std::string fffd = "\xef\xbf\xbd";
    auto bytes = parse_message("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\xff\xfe\"}", limits);
    REQUIRE(bytes.message);
    CHECK(bytes.message->id == 1);
    CHECK(bytes.message->method == "m" + fffd + fffd);

    // A JavaScript client that cut a string in the middle of an emoji.
    auto cut = parse_message(
        R"({"jsonrpc":"2.0","id":"r7","method":"tools/call","params":{"name":"t","arguments":{"s":"ok \ud83d","t":"\udc00x"}}})",
        limits);
    REQUIRE(cut.message);
    CHECK(cut.message->id == "r7");
    CHECK(cut.message->params["arguments"]["s"] == "ok " + fffd);
    CHECK(cut.message->params["arguments"]["t"] == fffd + "x");

    // A valid pair stays as it is; an overlong encoding and a UTF-8-encoded surrogate do not.
    auto pair = parse_message(R"({"jsonrpc":"2.0","id":2,"method":"a\ud83d\ude00"})", limits);
    REQUIRE(pair.message);
    CHECK(pair.message->method == "a\xf0\x9f\x98\x80");
    auto overlong =
        parse_message("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"\xc0\xaf\xed\xa0\x80\"}", limits);
    REQUIRE(overlong.message);
    CHECK(overlong.message->method.find('\xc0') == std::string::npos);
    CHECK(overlong.message->id == 3);
  }

  TEST_CASE("arrays, scalars and wrong members are invalid requests") {
    MessageLimits limits;
    CHECK(error_code_of(parse_message("[1,2,3]", limits)) == error_code::invalid_request);
    CHECK(error_code_of(parse_message("42", limits)) == error_code::invalid_request);
    CHECK(error_code_of(parse_message(R"({"id":1,"method":"ping"})", limits)) ==
          error_code::invalid_request);
    CHECK(error_code_of(parse_message(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", limits)) ==
          error_code::invalid_request);
    CHECK(error_code_of(parse_message(R"({"jsonrpc":"2.0","id":null,"method":"ping"})", limits)) ==
          error_code::invalid_request);
    CHECK(error_code_of(parse_message(R"({"jsonrpc":"2.0","id":1,"method":5})", limits)) ==
          error_code::invalid_request);
    CHECK(error_code_of(parse_message(R"({"jsonrpc":"2.0","id":1})", limits)) ==
          error_code::invalid_request);
  }

  TEST_CASE("params that are not an object are invalid params, with the request id") {
    MessageLimits limits;
    auto out =
        parse_message(R"({"jsonrpc":"2.0","id":"a","method":"tools/list","params":5})", limits);
    CHECK(error_code_of(out) == error_code::invalid_params);
    CHECK((*out.error_reply)["id"] == "a");
    // A notification with bad params gets no reply at all.
    auto note = parse_message(R"({"jsonrpc":"2.0","method":"x","params":[1]})", limits);
    CHECK_FALSE(note.message);
    CHECK_FALSE(note.error_reply);
  }

  TEST_CASE("size and depth limits are enforced and reported") {
    MessageLimits limits;
    limits.max_message_bytes = 1000;
    limits.max_depth = 16;
    std::string big = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":")" +
                      std::string(2000, 'a') + "\"}}";
    auto out = parse_message(big, limits);
    CHECK(error_code_of(out) == error_code::invalid_request);
    CHECK((*out.error_reply)["error"]["data"]["limit"] == 1000);
    CHECK((*out.error_reply)["error"]["message"].get<std::string>().find("1000") !=
          std::string::npos);

    std::string deep = std::string(10000, '[') + std::string(10000, ']');
    limits.max_message_bytes = 1 << 20;
    auto d = parse_message(deep, limits);
    CHECK(error_code_of(d) == error_code::invalid_request);
    CHECK((*d.error_reply)["error"]["data"]["limit"] == 16);
  }

  TEST_CASE("nesting depth ignores brackets inside strings") {
    CHECK(json_nesting_depth(R"({"a":"[[[[[[[[[["})", 100) == 1);
    CHECK(json_nesting_depth(R"({"a":"\"[[[","b":[[1]]})", 100) == 3);
  }

  TEST_CASE("serialize never throws on invalid UTF-8 and stays on one line") {
    json j = {{"text", std::string("a\xff\nb")}};
    std::string s = serialize(j);
    CHECK(s.find('\n') == std::string::npos);
  }
}

TEST_SUITE("protocol") {
  TEST_CASE("version negotiation echoes supported versions and answers the latest otherwise") {
    CHECK(negotiate_version("2025-11-25") == "2025-11-25");
    CHECK(negotiate_version("2025-06-18") == "2025-06-18");
    CHECK(negotiate_version("2025-03-26") == "2025-03-26");
    CHECK(negotiate_version("2024-11-05") == "2024-11-05");
    CHECK(negotiate_version("2026-07-28") == "2025-11-25");
    CHECK(negotiate_version("1999-01-01") == "2025-11-25");
  }

  TEST_CASE("RFC 5424 levels parse in order") {
    CHECK(parse_log_level("debug") == LogLevel::debug);
    CHECK(parse_log_level("emergency") == LogLevel::emergency);
    CHECK_FALSE(parse_log_level("verbose"));
    CHECK(*parse_log_level("warning") > *parse_log_level("notice"));
  }
}
