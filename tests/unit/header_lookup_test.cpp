#include "platform/common/header_lookup.hpp"

#include <doctest/doctest.h>

using namespace runagents::common;

TEST_CASE("header lookup: any case, the first of repeated headers, absent ones") {
  httplib::Headers headers = {{"Content-Type", "application/json"},
                              {"mcp-session-id", "abc"},
                              {"Accept", "text/event-stream"},
                              {"ACCEPT", "application/json"},
                              {"Content-Length", "12"}};
  CHECK(header_value(headers, "content-type") == "application/json");
  CHECK(header_value(headers, "Mcp-Session-Id") == "abc");
  httplib::Request req;
  req.headers = headers;
  CHECK(header_value(headers, "Accept") == req.get_header_value("Accept"));  // cpp-httplib's pick
  CHECK(has_header(headers, "CONTENT-LENGTH"));
  CHECK_FALSE(has_header(headers, "Content-Lengt"));
  CHECK_FALSE(has_header(headers, "Origin"));
  CHECK(header_value(headers, "Origin").empty());
  CHECK(find_header(headers, "Origin") == nullptr);
  CHECK(equal_ignoring_case("MCP-Protocol-Version", "mcp-protocol-version"));
  CHECK_FALSE(equal_ignoring_case("a[", "A{"));  // only letters fold
}

TEST_CASE("header lookup: a media type in a Content-Type or Accept value, in any case") {
  CHECK(contains_ignoring_case("Application/JSON; charset=utf-8", "application/json"));
  CHECK(contains_ignoring_case("application/json, TEXT/EVENT-STREAM", "text/event-stream"));
  CHECK(contains_ignoring_case("*/*", "*/*"));
  CHECK_FALSE(contains_ignoring_case("text/html", "application/json"));
  CHECK_FALSE(contains_ignoring_case("", "*/*"));
  CHECK_FALSE(contains_ignoring_case("application/jso", "application/json"));
}
