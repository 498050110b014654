// The HTTP server behind `runagents-mcp platform serve`: a cpp-httplib server with the same
// protections as the MCP HTTP transport, onto which each domain registers its REST routes
// (register_runagents_routes for the RunAgents 1.2.1 paths; the Runloop /v1/devboxes and
// /v1/objects paths are registered the same way: runloop_routes.hpp, object_routes.hpp).
//
// Security: binds 127.0.0.1 unless told otherwise; Host and Origin must be localhost names or
// allowed explicitly (403); with an auth token, every request must carry
// `Authorization: Bearer <token>` or `X-RunAgents-API-Key: <token>` (401). GET /healthz is open.
//
// Errors: every route answers failures as JSON {"error": "<message>"} with the status of the
// PlatformError kind (see status_for); a handler throws PlatformError and RestServer::handle
// turns it into that answer.
//
// Protocols: HTTP/1.1 and HTTP/2 cleartext on the same port, with prior knowledge or through
// `Upgrade: h2c` (dual_protocol_server.hpp); both go through the same routes and protections.
//
// Threads: connections are served on a pool of `threads` threads, and HTTP/2 streams on a second
// pool of `threads` workers; a route may block (invoking an agent runs it), so keep the pools
// larger than the number of concurrent invocations expected. bind(), serve() and stop() may be
// called from different threads; stop() is thread-safe. serve() returns once every connection
// and every HTTP/2 stream is over.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "platform/platform.hpp"
#include "platform/serve/dual_protocol_server.hpp"

namespace runagents::platform::serve {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8092;  // the RunAgents SDK's default endpoint; 0 picks a free port
  std::vector<std::string> allowed_origins;  // beyond localhost: origins or host names
  std::string auth_token;                    // empty: no authentication
  size_t threads = 32;
  size_t max_body_bytes = 64u << 20;
  // GET /healthz's answer (open without the token); unset: {"status": "ok"}.
  std::function<json()> health;
  // What a request to no route is told the server answers.
  std::string routes_hint =
      "platform serve answers the RunAgents 1.2.1 paths (/api/agents, /api/tools, /runs, "
      "/governance/requests, ...) and the Runloop /v1/devboxes, /v1/blueprints, /v1/objects and "
      "/v1/secrets paths";
};

// The HTTP status for a PlatformError kind: not_found 404, invalid 400, conflict 409,
// unauthorized 401, forbidden 403, unavailable 503, timeout 504, cancelled 499, internal 500.
int status_for(ErrorKind kind);

// Writes `body` as the JSON answer with `status`.
void reply_json(httplib::Response& res, int status, const json& body);
// Writes {"error": message} with the status for the error's kind.
void reply_error(httplib::Response& res, const PlatformError& e);

// The request body as JSON: null for an empty body. Throws PlatformError(invalid) when it is not
// JSON.
json body_json(const httplib::Request& req);
// The query parameter `name` as an integer, `fallback` when absent. Throws
// PlatformError(invalid) naming it when it is not one.
int query_int(const httplib::Request& req, const char* name, int fallback);

class RestServer {
 public:
  explicit RestServer(ServeOptions options);
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Registers a route; `pattern` is a cpp-httplib regex path. The handler may throw
  // PlatformError (answered as above) or any std::exception (answered 500).
  void get(const std::string& pattern, Handler handler);
  void post(const std::string& pattern, Handler handler);
  void put(const std::string& pattern, Handler handler);
  void patch(const std::string& pattern, Handler handler);
  void del(const std::string& pattern, Handler handler);

  // A PUT whose body the handler reads as it arrives, through `content_reader` (cpp-httplib's
  // ContentReader), instead of whole in req.body: uploads that must not be held in memory. The
  // body limit still applies to a declared Content-Length (413 before any byte is read). Over
  // HTTP/2 the connection has received the body, within the same limit, before the handler runs.
  using StreamHandler = std::function<void(const httplib::Request&, httplib::Response&,
                                           const httplib::ContentReader& content_reader)>;
  void put_stream(const std::string& pattern, StreamHandler handler);

  // Requests whose whole path matches `pattern` (a regex) are served without the server's token:
  // routes that check a credential of their own (the storage objects' upload and download URLs).
  // Host and Origin are checked as for every route. Call before serve().
  void open_route(const std::string& pattern);

  // Binds the listening socket and returns the port. Throws PlatformError(unavailable) naming
  // the address when it cannot (in use, not permitted).
  int bind();
  // Serves until stop(). bind() first.
  void serve();
  // Ends serve(); safe from any thread and more than once. First it fires the server's stop
  // signal with the reason "server stopped", so work a handler started (an agent run) ends
  // instead of holding the server: cpp-httplib's stop waits for every handler.
  void stop();

  // A cancel for one request's work, fired (reason "server stopped") when the server stops.
  // Unlinked when the returned object goes; keep it for the length of the work.
  struct StopLink {
    std::shared_ptr<ExecCancel> cancel;
    std::shared_ptr<ExecCancel> server;
    int handle = 0;
    StopLink() = default;
    StopLink(const StopLink&) = delete;
    StopLink& operator=(const StopLink&) = delete;
    ~StopLink() {
      if (server) server->remove(handle);
    }
  };
  std::unique_ptr<StopLink> stop_link() const;

  const ServeOptions& options() const { return options_; }
  int port() const { return port_; }

 private:
  static Handler guarded(Handler handler);

  ServeOptions options_;
  // Read by the guard on every request; written only before serve().
  std::shared_ptr<std::vector<std::regex>> open_routes_ =
      std::make_shared<std::vector<std::regex>>();
  DualProtocolServer http_;
  int port_ = 0;
  std::atomic<bool> serving_{false};
  std::atomic<bool> stopping_{false};
  std::shared_ptr<ExecCancel> stop_signal_ = std::make_shared<ExecCancel>();
};

}  // namespace runagents::platform::serve
