// The HTTP/1.1 text that HTTP/2 in `platform serve` reads and writes. Every h2 stream is replayed
// through cpp-httplib as an HTTP/1.1 exchange (see h2_exchange.hpp), so this holds:
//   - the head of an HTTP/1.1 request, parsed to see whether it asks to upgrade to h2c;
//   - the request text written for one h2 stream;
//   - an incremental parser of the HTTP/1.1 response cpp-httplib writes back (Content-Length,
//     chunked, or until the exchange ends), which yields the status, headers and body bytes as
//     they come, so a streaming response streams.
// Plain functions and a value type: no I/O, no threads.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runagents::platform::serve {

struct RequestHead {
  std::string method;
  std::string target;
  std::string version;  // "HTTP/1.1"
  httplib::Headers headers;
};

// Parses a request line and header lines, each ending in CRLF (`head` ends at or after the blank
// line). nullopt when it is not an HTTP/1.x request head.
std::optional<RequestHead> parse_request_head(std::string_view head);

// When `head` asks to switch to HTTP/2 cleartext (RFC 7540 3.2: `Upgrade: h2c`, `Connection:
// Upgrade, HTTP2-Settings` and one valid `HTTP2-Settings`) and has no chunked body, the decoded
// SETTINGS payload; nullopt otherwise (the request is then served as HTTP/1.1, as RFC 9110
// allows a server to ignore Upgrade).
std::optional<std::string> h2c_upgrade_settings(const RequestHead& head);

// The HTTP/1.1 request text for one h2 request: request line, `Host`, the headers (those that
// HTTP/1.1 framing owns are dropped: Connection, Content-Length, Transfer-Encoding, Expect, ...),
// then `Content-Length: content_length` when `content_length` is set. The body follows it.
std::string request_text(const std::string& method, const std::string& target,
                         const std::string& host, const httplib::Headers& headers,
                         std::optional<size_t> content_length);

// True for headers that only frame an HTTP/1.1 connection and must not appear in HTTP/2
// (RFC 9113 8.2.2), compared case-insensitively.
bool is_connection_header(std::string_view name);

using HeaderFields = std::vector<std::pair<std::string, std::string>>;

class Http1ResponseParser {
 public:
  // `head_request`: the response to a HEAD request has no body whatever its headers say.
  explicit Http1ResponseParser(bool head_request) : head_request_(head_request) {}

  // Feeds response bytes. False when they are not a well-formed HTTP/1.1 response (then the
  // parser stays failed).
  bool feed(std::string_view bytes);
  // The exchange has ended: a body delimited by the end of the connection is complete.
  void finish();

  // The final status and headers once parsed (names lower-cased, connection headers dropped;
  // interim 1xx responses are skipped); taken once.
  std::optional<std::pair<int, HeaderFields>> take_head();
  // Body bytes parsed since the last call.
  std::string take_body();
  bool complete() const { return state_ == State::done; }
  bool failed() const { return state_ == State::failed; }

 private:
  enum class State {
    head,
    length,
    chunk_size,
    chunk_data,
    chunk_end,
    trailers,
    until_end,
    done,
    failed
  };
  bool parse_head(std::string_view head);
  bool step();  // one state transition over pending_; false when more bytes are needed

  bool head_request_;
  State state_ = State::head;
  std::string pending_;
  size_t remaining_ = 0;
  std::optional<std::pair<int, HeaderFields>> head_;
  std::string body_;
};

}  // namespace runagents::platform::serve
