#include "platform/common/plain_request.hpp"

#include <doctest/doctest.h>

#include <string>

using runagents::common::kMaxPlainHead;
using runagents::common::kMaxPlainHeaders;
using runagents::common::parse_plain_post;

namespace {

const std::string kBody = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";

std::string head_with(const std::string& request_line, const std::string& headers) {
  return request_line + "\r\n" + headers + "\r\n";
}

std::string plain_headers() {
  return "Host: 127.0.0.1:8080\r\nContent-Type: application/json\r\n"
         "Accept: application/json, text/event-stream\r\nContent-Length: " +
         std::to_string(kBody.size()) + "\r\n";
}

bool plain(const std::string& data, size_t max_body = 1 << 20) {
  httplib::Request req;
  return parse_plain_post(data, "/mcp", max_body, req).has_value();
}

}  // namespace

TEST_SUITE("plain request") {
  TEST_CASE(
      "a JSON POST to the route is read whole: method, path, headers, where the body starts") {
    const std::string head =
        head_with("POST /mcp HTTP/1.1",
                  "host: 127.0.0.1\r\nContent-Type:application/json \r\nX-Many: one\r\n"
                  "X-Many:\t two\t\r\ncontent-length: 0041\r\n");
    httplib::Request req;
    auto parsed = parse_plain_post(head + kBody + "POST /next", "/mcp", 1 << 20, req);
    REQUIRE(parsed);
    CHECK(parsed->head_length == head.size());
    CHECK(parsed->content_length == 41);
    CHECK(req.method == "POST");
    CHECK(req.path == "/mcp");
    CHECK(req.target == "/mcp");
    CHECK(req.version == "HTTP/1.1");
    // Names are looked up as cpp-httplib looks them up: case-insensitively, first value first.
    CHECK(req.get_header_value("Host") == "127.0.0.1");
    CHECK(req.get_header_value("content-type") == "application/json");
    CHECK(req.get_header_value("X-Many", 0) == "one");
    CHECK(req.get_header_value("X-Many", 1) == "two");
    CHECK(req.get_header_value("Content-Length") == "0041");
  }

  TEST_CASE("a head not all there yet is not plain (cpp-httplib reads the rest)") {
    const std::string whole = head_with("POST /mcp HTTP/1.1", plain_headers());
    CHECK(plain(whole));
    CHECK_FALSE(plain(whole.substr(0, whole.size() - 1)));
    CHECK_FALSE(plain(whole.substr(0, 10)));
    CHECK_FALSE(plain(""));
  }

  TEST_CASE("another method, path, version or target form is not plain") {
    for (const char* line :
         {"GET /mcp HTTP/1.1", "POST /mcp HTTP/1.0", "POST /mcp HTTP/2", "POST /mcpx HTTP/1.1",
          "POST /mcp?x=1 HTTP/1.1", "POST /mcp#f HTTP/1.1", "POST /%6Dcp HTTP/1.1",
          "POST  /mcp HTTP/1.1", "POST /mcp  HTTP/1.1", "post /mcp HTTP/1.1", "POST /mcp",
          "POST http://127.0.0.1/mcp HTTP/1.1"}) {
      CAPTURE(line);
      CHECK_FALSE(plain(head_with(line, plain_headers())));
    }
    httplib::Request req;
    CHECK_FALSE(parse_plain_post(head_with("POST /a%20b HTTP/1.1", plain_headers()), "/a%20b",
                                 1 << 20, req));
  }

  TEST_CASE("a header line cpp-httplib would read differently is not plain") {
    const std::string length = "Content-Length: 41\r\n";
    for (const char* line : {"X-Token: a%41b\r\n",   // cpp-httplib percent-decodes values
                             "X-Empty:\r\n",         // it drops a header with no value
                             "X-Empty:   \r\n",      //
                             "Bad Name: x\r\n",      // a space in the name
                             ": no name\r\n",        //
                             "No-Colon\r\n",         //
                             "X-Ctl: a\x01z\r\n",    // a control character in the value
                             "X-Del: a\x7fz\r\n",    //
                             "X-Bare-Lf: a\nb\r\n",  // a bare LF
                             "X-Bare-Cr: a\rb\r\n"}) {
      CAPTURE(line);
      CHECK_FALSE(plain(head_with("POST /mcp HTTP/1.1", std::string(line) + length)));
    }
    // obs-text (UTF-8) in a value is read alike by both.
    CHECK(plain(head_with("POST /mcp HTTP/1.1", "X-Name: caf\xc3\xa9\r\n" + length)));
  }

  TEST_CASE("a body other than one plain Content-Length is not plain") {
    const std::string line = "POST /mcp HTTP/1.1";
    for (const char* headers :
         {"",                                                    // no length: read to the end
          "Content-Length: 41\r\nContent-Length: 41\r\n",        // two lengths
          "Content-Length: 4a\r\n", "Content-Length: -1\r\n",    //
          "Content-Length: +41\r\n", "Content-Length: 4 1\r\n",  //
          "Content-Length: 99999999999999999999999\r\n",         // past size_t
          "Content-Length: 41\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked\r\n",
          "Content-Length: 41\r\nContent-Encoding: gzip\r\n",
          "Content-Length: 41\r\nExpect: 100-continue\r\n",
          "Content-Length: 41\r\nRange: bytes=0-1\r\n",
          "Content-Length: 41\r\nContent-Type: multipart/form-data; boundary=x\r\n",
          "Content-Length: 41\r\ncontent-type: Multipart/Form-Data; boundary=x\r\n"}) {
      CAPTURE(headers);
      CHECK_FALSE(plain(head_with(line, headers)));
    }
    // Past the server's payload limit: cpp-httplib answers 413.
    CHECK(plain(head_with(line, "Content-Length: 41\r\n"), 41));
    CHECK_FALSE(plain(head_with(line, "Content-Length: 42\r\n"), 41));
  }

  TEST_CASE("a head past the size or header-count limits is not plain") {
    std::string many;
    for (size_t i = 0; i + 1 < kMaxPlainHeaders; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    CHECK(plain(head_with("POST /mcp HTTP/1.1", many + "Content-Length: 1\r\n")));
    CHECK_FALSE(
        plain(head_with("POST /mcp HTTP/1.1", many + "X-One-More: v\r\nContent-Length: 1\r\n")));
    const std::string big = "X-Big: " + std::string(kMaxPlainHead, 'a') + "\r\n";
    CHECK_FALSE(plain(head_with("POST /mcp HTTP/1.1", big + "Content-Length: 1\r\n")));
  }
}
