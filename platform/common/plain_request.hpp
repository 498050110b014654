// The head of a "plain" HTTP/1.1 POST, parsed without cpp-httplib: the request a server's hot
// route sees most (an MCP client's JSON-RPC POST), read in one pass from bytes already buffered.
//
// Plain is a strict subset of what cpp-httplib accepts, chosen so that both read it alike:
//   POST <path> HTTP/1.1 CRLF, the path exactly the route's (no query, no fragment, no escapes);
//   header lines `token ":" OWS value OWS CRLF` with a value of visible characters, spaces and
//   tabs, and no '%' (cpp-httplib percent-decodes header values);
//   exactly one Content-Length, digits only, at most the server's payload limit;
//   no Transfer-Encoding, Content-Encoding, Expect or Range, and no multipart body (the parts of
//   cpp-httplib this does not do: chunked and compressed bodies, 100-continue, ranges, forms);
//   at most kMaxPlainHeaders header lines, and the whole head within kMaxPlainHead bytes.
// Anything else is not plain, and goes through cpp-httplib's own parser, which decides what it
// means (and answers its errors) as it always has.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace runagents::common {

inline constexpr size_t kMaxPlainHead = 8192;
inline constexpr size_t kMaxPlainHeaders = 100;

struct PlainHead {
  size_t head_length = 0;     // bytes up to and including the blank line
  size_t content_length = 0;  // the body's, which follows the head
};

// Parses the request head at the start of `data` into `req` (method, target, path, version,
// headers). nullopt when `data` does not hold a whole plain head (it may be only partly there),
// and `req` is then unspecified.
std::optional<PlainHead> parse_plain_post(std::string_view data, std::string_view path,
                                          size_t max_body, httplib::Request& req);

}  // namespace runagents::common
