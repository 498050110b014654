// Percent-encoding (RFC 3986) of one URI component: every byte but the unreserved characters
// (letters, digits, '-', '.', '_', '~') becomes %XX with upper-case hex; and its decoder (a
// download's file name, a file:// root's path). The one encoder of the tree: the HTTP client's path
// segments and query components (platform/http/) and the segments of MCP resource URIs
// (tools/query_artifacts.cpp). Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace runagents::common {

// "a b/c" -> "a%20b%2Fc"; "echo-tool_1.~" stays.
std::string percent_encode(std::string_view component);

// "a%20b" -> "a b"; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text);

}  // namespace runagents::common
