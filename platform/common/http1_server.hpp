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
#pragma once

#include <httplib.h>

#include <chrono>

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

  const int stop_fd_;
};

}  // namespace runagents::common
