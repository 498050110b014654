#include "platform/common/host_check.hpp"

#include <algorithm>
#include <cctype>

namespace runagents::common {

std::string strip_port(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(0, close + 1);
  }
  auto colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

bool is_localhost_name(const std::string& host_without_port) {
  std::string h = host_without_port;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]";
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// "https://app.example.com:8443" -> "app.example.com"; a bare "app.example.com" stays.
std::string host_of(const std::string& origin_or_host) {
  std::string s = origin_or_host;
  auto scheme = s.find("://");
  if (scheme != std::string::npos) s = s.substr(scheme + 3);
  auto slash = s.find('/');
  if (slash != std::string::npos) s = s.substr(0, slash);
  return lower(strip_port(s));
}

}  // namespace

bool host_allowed(const std::string& host_header, const std::vector<std::string>& allowed) {
  if (host_header.empty()) return true;  // HTTP/1.0 clients; Origin is still checked
  std::string host = lower(strip_port(host_header));
  if (is_localhost_name(host)) return true;
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](const std::string& a) { return host_of(a) == host; });
}

bool origin_allowed(const std::string& origin, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;  // not a browser
  std::string o = lower(origin);
  if (o.rfind("http://", 0) == 0 || o.rfind("https://", 0) == 0) {
    if (is_localhost_name(host_of(o))) return true;
  }
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    return lower(a) == o || (a.find("://") == std::string::npos && host_of(a) == host_of(o));
  });
}

}  // namespace runagents::common
