#include "platform/http/base_url.hpp"

#include <charconv>

#include "platform/common/percent_encoding.hpp"
#include "platform/error.hpp"
#include "platform/http/text.hpp"

namespace runagents::platform {

using http_text::lower;

std::string BaseUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

std::string BaseUrl::to_string() const {
  return origin() + path_prefix;
}

std::pair<std::string, std::string> split_origin(const std::string& url) {
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

BaseUrl parse_base_url(const std::string& url, std::string_view setting) {
  auto fail = [&](const std::string& why) -> PlatformError {
    return PlatformError(ErrorKind::invalid, std::string(setting) + " '" + url + "' " + why +
                                                 "; expected http(s)://host[:port][/path], e.g. "
                                                 "http://127.0.0.1:8092");
  };
  BaseUrl out;
  auto sep = url.find("://");
  if (sep == std::string::npos) throw fail("has no scheme");
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    throw fail("uses the scheme '" + out.scheme + "'");
  }
  std::string rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string::npos) throw fail("has a query or fragment");
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    throw fail("carries credentials; configure the API key separately");
  }
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw fail("has an unclosed IPv6 literal");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("has junk after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw fail("has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      throw fail("has an invalid port '" + port_text + "'");
    }
    out.port = port;
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  out.path_prefix = path;
  return out;
}

std::string encode_path_segment(std::string_view segment) {
  return common::percent_encode(segment);
}
std::string encode_query_component(std::string_view component) {
  return common::percent_encode(component);
}

}  // namespace runagents::platform
