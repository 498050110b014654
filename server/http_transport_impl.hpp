// The inside of HttpTransport (server/http_transport.hpp), shared by the files that implement
// it; nothing outside them includes this header.
//   http_transport.cpp         construction (routes, guard, limits), bind, serve, stop, sessions
//   http_session_routes.cpp    POST (both eras enter here), GET and DELETE of legacy sessions
//   http_modern_requests.cpp   a 2026-07-28 POST: no session; checks; JSON or a per-request stream
//   http_responses.cpp         a request on the worker pool, its first event, SSE streams
// Threads: each handle_* runs on its connection's thread; sessions, streams and the flags below
// are shared between them under the locks named here.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "platform/common/header_lookup.hpp"
#include "platform/common/http1_server.hpp"
#include "server/connection_threads.hpp"
#include "server/event_stream.hpp"
#include "server/http_session.hpp"
#include "server/http_transport.hpp"
#include "server/worker_pool.hpp"

namespace runagents::mcp {

struct HttpTransport::Impl {
  McpServer& server;
  HttpOptions opts;
  common::Http1Server http;  // cpp-httplib over our SocketStream
  WorkerPool pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serve_returned{false};
  mutable std::mutex mu;  // guards `sessions`
  std::condition_variable janitor_cv;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions;
  std::thread janitor;
  std::thread signal_watcher;
  // The connection threads' count, which outlives cpp-httplib's task queue (wait_connections).
  std::shared_ptr<ConnectionThreads::State> connections =
      std::make_shared<ConnectionThreads::State>();
  std::atomic<int> port{0};  // bound by bind()
  RateLimiter rate{opts.request_limits.requests_per_second};
  ConcurrencyLimit calls{opts.request_limits.max_concurrent_calls};

  Impl(McpServer& s, HttpOptions o) : server(s), opts(std::move(o)) {}

  // Sessions (http_transport.cpp).
  std::shared_ptr<HttpSession> find(const std::string& id);
  std::shared_ptr<HttpSession> make_session();
  void end_session(const std::shared_ptr<HttpSession>& hs, const char* why);
  // The janitor thread: ends sessions idle longer than opts.session_idle_timeout.
  void expire_idle_sessions();

  // OAuth mode (http_authorization.cpp); each passes everything when opts.authorizer is null.
  // The grant of the request's bearer token, or nullopt after answering 401/503.
  std::optional<AuthGrant> authorize(const httplib::Request& req, httplib::Response& res);
  // Whether `grant` covers `msg`; else answers 403 and returns false.
  bool permit(const AuthGrant& grant, const Message& msg, httplib::Response& res);
  // GET routes for the RFC 9728 documents.
  void install_resource_metadata();

  // Limits and metrics (http_limits.cpp).
  // Whether `msg` may go on: the client's request rate, the session cap (a new legacy session)
  // and, for tools/call, a free call slot (given back through `call_slot`, held while the call
  // runs). Else answers 429 with Retry-After and returns false.
  bool admit(const httplib::Request& req, httplib::Response& res, const AuthGrant& grant,
             const Message& msg, std::shared_ptr<void>& call_slot);
  // server.handle_request, timed into the metrics when it is a tools/call of a known tool.
  // `call_slot` goes with the request (and with the task it may start).
  std::optional<json> run_request(const Message& msg, Session& session, Outbound& out, Era era,
                                  std::shared_ptr<void> call_slot = nullptr);
  // GET /metrics, when opts.metrics is set.
  void install_metrics();

  // Legacy sessions (http_session_routes.cpp).
  void handle_post(const httplib::Request& req, httplib::Response& res);
  void handle_get(const httplib::Request& req, httplib::Response& res);
  void handle_delete(const httplib::Request& req, httplib::Response& res);
  // Resolves the session named by Mcp-Session-Id, or answers 400/404 and returns nullptr.
  std::shared_ptr<HttpSession> require_session(const httplib::Request& req, httplib::Response& res);
  bool check_protocol_header(const httplib::Request& req, httplib::Response& res);
  // GET and DELETE from a 2026-07-28 client (no session, a modern version header): 405.
  static bool refuse_modern(const httplib::Request& req, httplib::Response& res,
                            const std::string& why);

  // The 2026-07-28 era (http_modern_requests.cpp). A 2026-07-28 request: no session; envelope,
  // headers and version checked; the answer is JSON or a per-request event stream whose closing
  // cancels the request.
  void handle_modern_post(const httplib::Request& req, httplib::Response& res, Message msg,
                          std::shared_ptr<void> call_slot);

  // Answers (http_responses.cpp).
  // Runs `msg` on the worker pool with `stream` as its channel and waits for its first event.
  // nullopt when the stream closed first (cancelled, shutting down), or when `patience` passed
  // without one (unset: wait as long as it takes). `status`, when given, receives the HTTP status
  // the reply maps to (modern era) before the reply is queued. `hold` (a call slot) is kept
  // until the request ends, or the task it starts does.
  std::optional<EventStream::Event> start_on_pool(
      Message msg, std::shared_ptr<Session> session, std::shared_ptr<EventStream> stream, Era era,
      std::optional<std::chrono::milliseconds> patience,
      std::shared_ptr<std::atomic<int>> status = nullptr, std::shared_ptr<void> hold = nullptr);
  // Streams `stream` from after `after_seq` as SSE until its final event, close or shutdown.
  // `hs` is null for a modern request, whose stream has no event ids and whose closing by the
  // client cancels the request (`request_session`).
  void stream_sse(httplib::Response& res, const std::shared_ptr<HttpSession>& hs,
                  std::shared_ptr<EventStream> stream, long long after_seq, bool prime,
                  std::function<void(long long last_seq)> on_release,
                  std::shared_ptr<Session> request_session = nullptr);
  // Whether the session's stream starts with a priming event (2025-11-25 and later).
  bool priming_enabled(const Session& s) const;
  // Answers `status` with a JSON-RPC error (`code`, `message`) as the whole body.
  static void send_error(httplib::Response& res, int status, int code, const std::string& message,
                         const json& id = nullptr);
  // Whether a Content-Type or Accept header value lists `type` (case-insensitively).
  static bool header_lists(std::string_view header, const char* type);
};

}  // namespace runagents::mcp
