#include "platform/common/plain_request.hpp"

#include <array>
#include <charconv>
#include <string>

#include "platform/common/header_lookup.hpp"

namespace runagents::common {

namespace {

// RFC 9110 token characters, for header names.
constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 'a' + 'A'] = true;
  for (char c : std::string_view("!#$&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

// Characters a plain header value may hold: visible ASCII, space, tab and obs-text, but not '%'
// (cpp-httplib percent-decodes values; a value without '%' reads the same either way).
constexpr std::array<bool, 256> kValueChar = [] {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c < 0x100; ++c) t[c] = c != 0x7f && c != '%';
  return t;
}();

bool all_of(std::string_view s, const std::array<bool, 256>& table) {
  for (char c : s)
    if (!table[static_cast<unsigned char>(c)]) return false;
  return true;
}

std::string_view trim_space_or_tab(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equal_ignoring_case(s.substr(0, prefix.size()), prefix);
}

// What a header of the head means here: its name, compared once.
enum class HeaderRole { other, content_length, content_type, not_plain };

HeaderRole role_of(std::string_view name) {
  if (equal_ignoring_case(name, "Content-Length")) return HeaderRole::content_length;
  if (equal_ignoring_case(name, "Content-Type")) return HeaderRole::content_type;
  for (std::string_view refused : {"Transfer-Encoding", "Content-Encoding", "Expect", "Range"})
    if (equal_ignoring_case(name, refused)) return HeaderRole::not_plain;
  return HeaderRole::other;
}

}  // namespace

std::optional<PlainHead> parse_plain_post(std::string_view data, std::string_view path,
                                          size_t max_body, httplib::Request& req) {
  constexpr std::string_view kCrlf = "\r\n";
  const size_t blank = data.substr(0, kMaxPlainHead).find("\r\n\r\n");
  if (blank == std::string_view::npos) return std::nullopt;
  // Every line of `head` ends with CRLF; the blank line that ends the head is left out.
  const std::string_view head = data.substr(0, blank + kCrlf.size());

  constexpr std::string_view kMethod = "POST ", kVersion = " HTTP/1.1";
  const size_t line_end = head.find(kCrlf);
  const std::string_view line = head.substr(0, line_end);
  if (path.empty() || path.find_first_of("%?# ") != std::string_view::npos ||
      line.size() != kMethod.size() + path.size() + kVersion.size() || !line.starts_with(kMethod) ||
      !line.ends_with(kVersion) || line.substr(kMethod.size(), path.size()) != path) {
    return std::nullopt;
  }

  std::optional<size_t> content_length;
  size_t count = 0;
  for (size_t at = line_end + kCrlf.size(); at < head.size();) {
    const size_t end = head.find(kCrlf, at);
    const std::string_view field = head.substr(at, end - at);
    at = end + kCrlf.size();
    if (++count > kMaxPlainHeaders) return std::nullopt;
    const size_t colon = field.find(':');
    if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = field.substr(0, colon);
    const std::string_view value = trim_space_or_tab(field.substr(colon + 1));
    if (value.empty() || !all_of(name, kTokenChar) || !all_of(value, kValueChar)) {
      return std::nullopt;
    }
    switch (role_of(name)) {
      case HeaderRole::content_length: {
        size_t n = 0;
        const auto [end_of_number, ec] =
            std::from_chars(value.data(), value.data() + value.size(), n);
        if (content_length || ec != std::errc() || end_of_number != value.data() + value.size() ||
            n > max_body) {
          return std::nullopt;
        }
        content_length = n;
        break;
      }
      case HeaderRole::content_type:
        if (starts_with_ignoring_case(value, "multipart/form-data")) return std::nullopt;
        break;
      case HeaderRole::not_plain:
        return std::nullopt;
      case HeaderRole::other:
        break;
    }
    req.headers.emplace(std::string(name), std::string(value));
  }
  if (!content_length) return std::nullopt;

  req.method = "POST";
  req.target = std::string(path);
  req.path = req.target;
  req.version = "HTTP/1.1";
  return PlainHead{blank + 2 * kCrlf.size(), *content_length};
}

}  // namespace runagents::common
