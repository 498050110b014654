// The Host and Origin checks of every HTTP server in the binary (DNS-rebinding protection), run
// by the server guard (server_guard.hpp) of the MCP endpoint and of `platform serve`.
// A request passes when it names this machine (localhost, 127.0.0.1, [::1]) or one of the
// allowed origins/hosts the operator listed (--allowed-origin). Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace runagents::common {

// "localhost", "127.0.0.1" or "[::1]", any case. `host_without_port` as strip_port() returns it.
bool is_localhost_name(const std::string& host_without_port);
// "host:port" -> "host"; "[::1]:8080" -> "[::1]"; a host without port stays.
std::string strip_port(const std::string& host);
// `host_header` is the Host header value (may carry a port); empty passes (HTTP/1.0 clients).
bool host_allowed(const std::string& host_header, const std::vector<std::string>& allowed);
// `origin` is the Origin header value; empty passes (not a browser).
bool origin_allowed(const std::string& origin, const std::vector<std::string>& allowed);

}  // namespace runagents::common
