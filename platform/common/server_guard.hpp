// The guard of every HTTP server in the binary: the MCP endpoint (server/http_transport.cpp) and
// `platform serve` (platform/serve/rest_server.cpp). Installed on a cpp-httplib server, it runs
// before routing on every request and lets a request through only when
//   - its Host and Origin name this machine or an allowed origin (host_check.hpp; DNS-rebinding
//     protection), else 403 and a warning in the log;
//   - it carries the server's token, when one is set, compared in constant time, else 401 with
//     a WWW-Authenticate challenge.
// It also sets the connection options both servers need (TCP_NODELAY, keep-alive).
//
// Each server words its refusals in its own protocol (a JSON-RPC error, a REST {"error"}), so
// the guard leaves the body to the server's `refuse` callback. The guard is copied into the
// server's handler; the server may outlive the ServerGuard value it was given.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace runagents::common {

struct ServerGuard {
  std::vector<std::string> allowed_origins;  // beyond localhost (--allowed-origin)
  std::string auth_token;                    // "" = no token asked
  // `X-RunAgents-API-Key: <token>` passes too, beside `Authorization: Bearer <token>` (platform
  // serve, so the RunAgents SDK can use it with RUNAGENTS_API_KEY).
  bool accept_api_key_header = false;
  std::string open_path;  // a path served without the token ("/healthz"); "" = none
  // Also served without the token: paths for which this says true (they carry a credential of
  // their own, as the storage objects' upload and download URLs do). Unset = none.
  std::function<bool(const std::string& path)> is_open_path;
  std::string name;   // names the server in the log line of a refusal; "" = none
  std::string realm;  // the realm of the WWW-Authenticate challenge
  // Writes the body of a refusal: 403 (Host or Origin not allowed) or 401 (no valid token).
  std::function<void(httplib::Response& res, int status)> refuse;
};

// `guard` as a pre-routing handler (Unhandled: the request goes on).
httplib::Server::HandlerWithResponse guard_handler(ServerGuard guard);

// Makes `guard` the pre-routing handler of `server`.
void install_guard(httplib::Server& server, ServerGuard guard);

// TCP_NODELAY on, and keep-alive connections that serve up to `max_requests` requests and close
// after `idle_seconds` without one.
void set_keep_alive(httplib::Server& server, std::size_t max_requests, std::time_t idle_seconds);

// Compares a secret in constant time (for its length; secrets of different lengths differ).
bool equal_secret(std::string_view given, std::string_view expected);

}  // namespace runagents::common
