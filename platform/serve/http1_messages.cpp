#include "platform/serve/http1_messages.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace runagents::platform::serve {

namespace {

constexpr size_t kMaxResponseHead = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != kSpecials.npos;
  });
}

// True when the comma-separated list in any `name` header has `token`.
bool header_lists(const httplib::Headers& headers, const std::string& name,
                  std::string_view token) {
  auto [begin, end] = headers.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (iequals(trim(rest.substr(0, comma)), token)) return true;
      rest = comma == rest.npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return false;
}

// Splits `text` at the next CRLF (a bare LF is accepted as well); false when there is none.
bool next_line(std::string_view& text, std::string_view& line) {
  const size_t lf = text.find('\n');
  if (lf == text.npos) return false;
  line = text.substr(0, lf);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  text.remove_prefix(lf + 1);
  return true;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  std::string b64;
  for (char c : in) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c)))
      return std::nullopt;
    b64 += c;
  }
  if (b64.size() % 4 == 1) return std::nullopt;
  const size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace

bool is_connection_header(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "connection",        "keep-alive",     "proxy-connection",
      "transfer-encoding", "upgrade",        "te",
      "http2-settings",    "content-length", "expect"};
  return std::any_of(kNames.begin(), kNames.end(),
                     [name](std::string_view n) { return iequals(n, name); });
}

std::optional<RequestHead> parse_request_head(std::string_view head) {
  std::string_view line;
  if (!next_line(head, line)) return std::nullopt;
  RequestHead out;
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == line.npos ? line.npos : line.find(' ', sp1 + 1);
  if (sp2 == line.npos) return std::nullopt;
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = line.substr(sp2 + 1);
  if (!is_token(out.method) || out.target.empty() || out.version.rfind("HTTP/1.", 0) != 0)
    return std::nullopt;
  while (next_line(head, line) && !line.empty()) {
    const size_t colon = line.find(':');
    if (colon == line.npos || !is_token(line.substr(0, colon))) return std::nullopt;
    out.headers.emplace(std::string(line.substr(0, colon)),
                        std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

std::optional<std::string> h2c_upgrade_settings(const RequestHead& head) {
  if (head.version != "HTTP/1.1" || !header_lists(head.headers, "Upgrade", "h2c") ||
      !header_lists(head.headers, "Connection", "Upgrade") ||
      !header_lists(head.headers, "Connection", "HTTP2-Settings") ||
      head.headers.count("HTTP2-Settings") != 1 || head.headers.count("Transfer-Encoding") != 0)
    return std::nullopt;
  return base64url_decode(trim(head.headers.find("HTTP2-Settings")->second));
}

std::string request_text(const std::string& method, const std::string& target,
                         const std::string& host, const httplib::Headers& headers,
                         std::optional<size_t> content_length) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& [name, value] : headers) {
    if (is_connection_header(name) || iequals(name, "host")) continue;
    out += name + ": " + value + "\r\n";
  }
  if (content_length) out += "Content-Length: " + std::to_string(*content_length) + "\r\n";
  out += "\r\n";
  return out;
}

bool Http1ResponseParser::feed(std::string_view bytes) {
  if (state_ == State::failed) return false;
  pending_.append(bytes);
  while (step()) {
  }
  return state_ != State::failed;
}

void Http1ResponseParser::finish() {
  if (state_ == State::until_end) state_ = State::done;
}

std::optional<std::pair<int, HeaderFields>> Http1ResponseParser::take_head() {
  return std::exchange(head_, std::nullopt);
}

std::string Http1ResponseParser::take_body() {
  return std::exchange(body_, std::string());
}

bool Http1ResponseParser::parse_head(std::string_view head) {
  std::string_view line;
  if (!next_line(head, line) || line.rfind("HTTP/1.", 0) != 0 || line.size() < 12 || line[8] != ' ')
    return false;
  int status = 0;
  auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
  if (ec != std::errc() || end != line.data() + 12 || status < 100) return false;
  HeaderFields fields;
  bool chunked = false;
  std::optional<size_t> length;
  while (next_line(head, line) && !line.empty()) {
    const size_t colon = line.find(':');
    if (colon == line.npos || !is_token(line.substr(0, colon))) return false;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "transfer-encoding") {
      chunked = iequals(value, "chunked");
    } else if (name == "content-length") {
      size_t n = 0;
      auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || p != value.data() + value.size()) return false;
      length = n;
    }
    if (name != "content-length" && is_connection_header(name)) continue;
    fields.emplace_back(std::move(name), std::string(value));
  }
  if (status < 200) return true;  // interim (100 Continue): the final head follows
  if (chunked) {
    // RFC 9112 6.3: Transfer-Encoding overrides Content-Length, which is then dropped.
    fields.erase(std::remove_if(fields.begin(), fields.end(),
                                [](const auto& f) { return f.first == "content-length"; }),
                 fields.end());
  }
  head_ = std::make_pair(status, std::move(fields));
  if (head_request_ || status == 204 || status == 304) {
    state_ = State::done;
  } else if (chunked) {
    state_ = State::chunk_size;
  } else if (length) {
    remaining_ = *length;
    state_ = remaining_ == 0 ? State::done : State::length;
  } else {
    state_ = State::until_end;
  }
  return true;
}

bool Http1ResponseParser::step() {
  auto take = [this](size_t n) {
    body_.append(pending_, 0, n);
    pending_.erase(0, n);
    remaining_ -= n;
  };
  switch (state_) {
    case State::head: {
      const size_t end = pending_.find("\r\n\r\n");
      if (end == pending_.npos) {
        if (pending_.size() > kMaxResponseHead) state_ = State::failed;
        return false;
      }
      const std::string head = pending_.substr(0, end + 2);
      pending_.erase(0, end + 4);
      if (!parse_head(head)) state_ = State::failed;
      return state_ != State::failed;
    }
    case State::length:
      if (pending_.empty()) return false;
      take(std::min(remaining_, pending_.size()));
      if (remaining_ == 0) state_ = State::done;
      return true;
    case State::chunk_size: {
      const size_t eol = pending_.find("\r\n");
      if (eol == pending_.npos) {
        if (pending_.size() > 1024) state_ = State::failed;
        return false;
      }
      std::string_view digits = std::string_view(pending_).substr(0, eol);
      digits = trim(digits.substr(0, digits.find(';')));
      size_t size = 0;
      auto [p, e] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
      if (digits.empty() || e != std::errc() || p != digits.data() + digits.size()) {
        state_ = State::failed;
        return false;
      }
      pending_.erase(0, eol + 2);
      remaining_ = size;
      state_ = size == 0 ? State::trailers : State::chunk_data;
      return true;
    }
    case State::chunk_data:
      if (pending_.empty()) return false;
      take(std::min(remaining_, pending_.size()));
      if (remaining_ == 0) state_ = State::chunk_end;
      return true;
    case State::chunk_end:
      if (pending_.size() < 2) return false;
      if (pending_.compare(0, 2, "\r\n") != 0) {
        state_ = State::failed;
        return false;
      }
      pending_.erase(0, 2);
      state_ = State::chunk_size;
      return true;
    case State::trailers: {
      const size_t eol = pending_.find("\r\n");
      if (eol == pending_.npos) return false;
      pending_.erase(0, eol + 2);
      if (eol == 0) state_ = State::done;  // trailer fields are dropped
      return true;
    }
    case State::until_end:
      body_ += pending_;
      pending_.clear();
      return false;
    case State::done:
      if (!pending_.empty()) state_ = State::failed;
      return false;
    case State::failed:
      return false;
  }
  return false;
}

}  // namespace runagents::platform::serve
