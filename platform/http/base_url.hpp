// Where an HTTP client sends its requests: a parsed base URL, and the percent-encoding of the
// path segments and query components put below it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace runagents::platform {

// A parsed base URL: "https://api.runloop.ai" or "http://127.0.0.1:8092/prefix".
struct BaseUrl {
  std::string scheme;       // "http" or "https"
  std::string host;         // without brackets for IPv6 literals
  int port = 0;             // explicit, or 80 / 443 from the scheme
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)

  // scheme://host[:port] with IPv6 literals bracketed; no path.
  std::string origin() const;
  // origin() + path_prefix.
  std::string to_string() const;
};

// Parses `url`. Throws PlatformError(invalid) naming `setting` (e.g. "RUNAGENTS_ENDPOINT") and
// the expected form when the URL is not http(s)://host[:port][/path] (query and fragment are
// refused; a trailing '/' is dropped).
BaseUrl parse_base_url(const std::string& url, std::string_view setting = "base URL");

// An absolute URL ("https://host/path?query") split into its origin (scheme://authority, what a
// plain HttpClient takes as base URL) and the rest, the request target ("/" when there is none).
// The target is kept as it is: a presigned URL's query carries its signature.
std::pair<std::string, std::string> split_origin(const std::string& url);

// Percent-encodes one path segment (everything but unreserved characters), or one query
// component (both common::percent_encode).
std::string encode_path_segment(std::string_view segment);
std::string encode_query_component(std::string_view component);

}  // namespace runagents::platform
