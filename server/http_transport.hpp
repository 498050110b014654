// MCP Streamable HTTP (2025-11-25 transport) on one endpoint, /mcp by default:
//   POST   a JSON-RPC message. Requests are answered with application/json, or with a
//          text/event-stream when the handler sends progress, logs or requests to the client
//          before its response. Notifications and responses get 202.
//   GET    the session's standalone SSE stream (unsolicited notifications); Last-Event-ID
//          resumes any stream of the session from its history.
//   DELETE ends the session.
// Sessions: Mcp-Session-Id is issued on initialize; 400 without it, 404 once ended or expired.
// Security: binds 127.0.0.1 unless told otherwise; Host and Origin must be localhost names or
// allowed explicitly (403); optional bearer token (401); body size limit (413).
//
// Threads: one thread per connection (capped), so open SSE streams never starve new requests;
// handlers run on an elastic worker pool.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server/http_authorizer.hpp"
#include "server/json_rpc.hpp"
#include "server/mcp_server.hpp"
#include "server/metrics.hpp"
#include "server/request_limits.hpp"

namespace runagents::mcp {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8765;  // 0: pick a free port
  std::string path = "/mcp";
  std::vector<std::string>
      allowed_origins;     // origins (https://x:1) or host names, beyond localhost
  std::string auth_token;  // empty: no authentication
  // OAuth resource-server mode (http_authorizer.hpp); null: off. Not with auth_token.
  std::shared_ptr<HttpAuthorizer> authorizer;
  MessageLimits limits;
  std::chrono::seconds session_idle_timeout{30 * 60};
  std::chrono::milliseconds keep_alive_interval{15000};
  size_t max_connections = 512;
  // Sessions, request rate and concurrent tool calls (server/request_limits.hpp): 429 beyond.
  RequestLimits request_limits;
  // GET <path's root>/metrics in Prometheus text (server/metrics.hpp); null: no such route.
  std::shared_ptr<Metrics> metrics;
};

class HttpTransport {
 public:
  HttpTransport(McpServer& server, HttpOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Binds the listening socket; returns the port. Throws std::runtime_error when it cannot.
  int bind();
  // Serves until stop() or SIGTERM/SIGINT. bind() first.
  void serve();
  // Thread-safe; ends serve(), closes every stream and every connection, and cancels in-flight
  // work.
  void stop();
  // After serve() returned: waits up to `timeout` for every connection's thread to end. When it
  // returns true, this transport and the server it serves may be destroyed; when false, a
  // connection is still inside cpp-httplib and neither may be.
  bool wait_connections(std::chrono::milliseconds timeout);

  size_t session_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runagents::mcp
