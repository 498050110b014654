// cpp-httplib's server with its HTTP/1.1 connections served over our SocketStream
// (socket_stream.hpp): the same routes, pre-routing guard, payload limit, error and exception
// handlers and keep-alive rules (every exchange still goes through Server::process_request), with
// about a fifth of the system calls per request, and keep-alive waits that end at once when the
// server stops (signal_stop), instead of after the keep-alive timeout.
//
// Why a subclass: cpp-httplib 0.11.4 serves a connection in a private virtual,
// process_and_close_socket, which a subclass may override but whose base version it cannot call;
// so the override runs the keep-alive loop (detail::process_server_socket_core) itself.
//
// A subclass may take a connection over: serve_connection() for the connection as a whole,
// before_request() before each request (DualProtocolServer's HTTP/2 and h2c, in platform/serve).
// Connections run on cpp-httplib's task queue, as before.
//
// The fast route (set_fast_post): the one route a server answers most, served without
// cpp-httplib's request parsing. A POST to its path whose head is "plain" (plain_request.hpp: one
// Content-Length, no transfer or content coding, no Expect, Range or form; the common JSON POST)
// and already buffered is parsed in one pass and its response written as cpp-httplib writes one
// (response_writer.hpp), running the handlers process_request would run, in its order: the
// pre-routing handler (the guard) before the body is read, the route's handler, the exception
// handler when it throws, the error handler for a status of 400 and up. Every other request, and
// every head that is not plain, goes through process_request as before. It takes about a third of
// cpp-httplib's instructions for such a request (docs/BENCHMARKS.md).
#pragma once

#include <httplib.h>

#include <chrono>
#include <optional>
#include <string>

namespace runagents::common {

class SocketStream;

class Http1Server : public httplib::Server {
 public:
  Http1Server();
  ~Http1Server() override;
  Http1Server(const Http1Server&) = delete;
  Http1Server& operator=(const Http1Server&) = delete;

  // Makes every connection wind down: idle keep-alive waits end at once. Thread-safe; call with
  // stop(). For good: the server does not serve again.
  void signal_stop();

  // The fast route above. Each handler is the one also given to cpp-httplib for the same role
  // (set_pre_routing_handler, Post(path, ...), set_error_handler, set_exception_handler), so a
  // request is answered alike whichever way it is read; an empty one is not run. `path` is
  // matched exactly, so one with '%', '?', '#' or a space never takes the fast route. Set before
  // listening.
  struct FastPost {
    std::string path;
    HandlerWithResponse pre_routing;
    Handler handler;
    Handler error_handler;
    ExceptionHandler exception_handler;
  };
  void set_fast_post(FastPost route) { fast_ = std::move(route); }

 protected:
  // Serves one accepted connection: the keep-alive loop of requests. Returns when the client
  // closes, the keep-alive timeout or request count runs out, or the server stops.
  virtual void serve_connection(SocketStream& strm);
  // Called before each request is read, with its first bytes buffered; true when the subclass
  // took the connection over (it is then closed after this returns).
  virtual bool before_request(SocketStream& strm);

  // Waits up to the keep-alive timeout for the next request: true when bytes are there, false on
  // timeout, error, or when the server stops.
  bool wait_for_request(SocketStream& strm);
  int stop_fd() const { return stop_fd_; }
  std::chrono::milliseconds read_timeout() const;
  std::chrono::milliseconds write_timeout() const;

 private:
  bool process_and_close_socket(socket_t sock) override;

  enum class FastOutcome { not_plain, served, closed };
  // Serves the next request by the fast route when it is plain; `last`: the connection's last
  // request (keep-alive count).
  FastOutcome serve_fast(SocketStream& strm, bool last);

  const int stop_fd_;
  std::optional<FastPost> fast_;
};

}  // namespace runagents::common
