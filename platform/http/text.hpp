// Small text helpers of the HTTP client's files (header names, header values, error bodies).
// Internal to platform/http.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace runagents::platform::http_text {

inline std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

inline std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

}  // namespace runagents::platform::http_text
