// cpp-httplib's server answering HTTP/1.1 and HTTP/2 cleartext (h2c) on one port, so clients
// that speak HTTP/2 with prior knowledge to an http:// URL (Runloop's TypeScript SDK on Node,
// `curl --http2-prior-knowledge`) and those that ask to upgrade (`curl --http2`) are served with
// the same routes and protections as HTTP/1.1 clients.
//
// Each accepted connection is looked at before it is served: if it opens with the HTTP/2 client
// preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") it is served as HTTP/2 (h2_connection.hpp);
// otherwise each HTTP/1.1 request's head is read ahead, and one that asks `Upgrade: h2c` (with
// no body, or a body within the payload limit sent with Content-Length) gets 101 Switching
// Protocols and becomes stream 1 of an HTTP/2 connection. Everything else is cpp-httplib's own
// HTTP/1.1 handling (Server::process_request), with its keep-alive rules and timeouts.
//
// Built on Http1Server (platform/common/http1_server.hpp), which serves cpp-httplib's HTTP/1.1
// connections over our SocketStream; this class takes a connection over before it or before one
// of its requests. Every exchange, HTTP/1.1 or one h2 stream, still goes through
// process_request: one route table, one pre-routing guard, one payload limit, one error handler.
//
// Threads: connections run on cpp-httplib's task queue, as before. HTTP/2 streams run on a
// separate pool of `stream_threads` workers, started with the first HTTP/2 stream, so a slow or
// streaming response holds a worker, never its connection's other streams. signal_stop() ends
// the keep-alive waits and HTTP/2 connections (GOAWAY); after listen_after_bind() has returned,
// join_stream_workers() joins the pool (every stream is over by then: a connection returns only
// after its streams' workers finished).
#pragma once

#include <httplib.h>

#include <memory>
#include <mutex>

#include "platform/common/http1_server.hpp"
#include "platform/serve/h2_connection.hpp"

namespace runagents::platform::serve {

using common::SocketStream;

class DualProtocolServer : public common::Http1Server {
 public:
  explicit DualProtocolServer(size_t stream_threads);
  ~DualProtocolServer() override;

  // signal_stop() (Http1Server) also makes HTTP/2 connections send GOAWAY and close when their
  // running streams are answered.
  // Joins the HTTP/2 stream workers; call after listen_after_bind() has returned.
  void join_stream_workers();

 private:
  // HTTP/2 when the connection opens with its preface; else HTTP/1.1.
  void serve_connection(SocketStream& strm) override;
  // An HTTP/1.1 request that asks `Upgrade: h2c`.
  bool before_request(SocketStream& strm) override;
  // Answers an `Upgrade: h2c` request whose head ends at `head_end` in the stream's buffer with
  // 101 and serves the connection as HTTP/2; false (nothing consumed) when it cannot.
  bool upgrade_to_h2(SocketStream& strm, size_t head_end, RequestHead head, std::string settings);
  H2ConnectionOptions h2_options();
  void run_on_worker(std::function<void()> task);

  const size_t stream_threads_;
  std::mutex workers_mu_;
  std::unique_ptr<httplib::ThreadPool> workers_;
  bool workers_joined_ = false;
};

}  // namespace runagents::platform::serve
