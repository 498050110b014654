// Request headers looked up in one pass. cpp-httplib keeps headers in a multimap ordered by a
// case-insensitive compare that calls tolower() per character of every comparison: about 1,500
// instructions a lookup, and the MCP endpoint looked up a dozen headers per request. These scan
// the few headers a request has, comparing lengths first. Same answer as
// httplib::Request::get_header_value(name) / has_header(name): the first value of that name.
#pragma once

#include <httplib.h>

#include <string_view>

namespace runagents::common {

// ASCII case-insensitive equality (header names are ASCII tokens).
bool equal_ignoring_case(std::string_view a, std::string_view b);
// Whether `needle` occurs in `haystack`, ASCII case-insensitively (a media type in a
// Content-Type or Accept value).
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);

// The first value of header `name`, or nullptr when there is none.
const std::string* find_header(const httplib::Headers& headers, std::string_view name);

// The first value of header `name`, or "" when there is none.
std::string_view header_value(const httplib::Headers& headers, std::string_view name);

inline bool has_header(const httplib::Headers& headers, std::string_view name) {
  return find_header(headers, name) != nullptr;
}

}  // namespace runagents::common
