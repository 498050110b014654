#include "platform/common/server_guard.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "platform/common/header_lookup.hpp"
#include "platform/common/host_check.hpp"

namespace runagents::common {

bool equal_secret(std::string_view given, std::string_view expected) {
  return given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

httplib::Server::HandlerWithResponse guard_handler(ServerGuard guard) {
  return [g = std::move(guard)](const httplib::Request& req, httplib::Response& res) {
    const std::string host(header_value(req.headers, "Host"));
    const std::string origin(header_value(req.headers, "Origin"));
    if (!host_allowed(host, g.allowed_origins) || !origin_allowed(origin, g.allowed_origins)) {
      spdlog::warn("{}rejected {} {}: Host '{}' Origin '{}' not allowed",
                   g.name.empty() ? "" : g.name + " ", req.method, req.path, host, origin);
      g.refuse(res, 403);
      return httplib::Server::HandlerResponse::Handled;
    }
    auto open = [&] {
      return (!g.open_path.empty() && req.path == g.open_path) ||
             (g.is_open_path && g.is_open_path(req.path));
    };
    if (!g.auth_token.empty() && !open()) {
      const std::string_view key =
          g.accept_api_key_header ? header_value(req.headers, "X-RunAgents-API-Key") : "";
      const bool ok =
          equal_secret(header_value(req.headers, "Authorization"), "Bearer " + g.auth_token) ||
          (!key.empty() && equal_secret(key, g.auth_token));
      if (!ok) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"" + g.realm + "\"");
        g.refuse(res, 401);
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  };
}

void install_guard(httplib::Server& server, ServerGuard guard) {
  server.set_pre_routing_handler(guard_handler(std::move(guard)));
}

void set_keep_alive(httplib::Server& server, std::size_t max_requests, std::time_t idle_seconds) {
  // Without TCP_NODELAY every keep-alive request stalls ~40 ms on delayed ACKs; cpp-httplib's
  // default keep-alive count of 5 would close a connection after every fifth request.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(max_requests);
  server.set_keep_alive_timeout(idle_seconds);
}

}  // namespace runagents::common
