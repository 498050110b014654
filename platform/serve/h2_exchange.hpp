// One HTTP/2 stream as cpp-httplib sees it: the worker's side of an h2 request.
//
// `platform serve` has one route table and one set of protections, cpp-httplib's: the guard
// (Host/Origin 403, bearer token 401) runs before routing, the payload limit answers 413, the
// error and exception handlers word failures, and cpp-httplib parses query strings and
// multipart bodies (upload_file). Debian's cpp-httplib 0.11.4 is a compiled library that does
// not export its router, query or multipart parsers, so an h2 stream is not re-routed by hand:
// its request is replayed as HTTP/1.1 text into Server::process_request through H2Exchange, an
// httplib::Stream, and the HTTP/1.1 response written back is parsed (http1_messages.hpp) into
// the status, headers and body the connection loop sends as HEADERS and DATA frames. A chunked
// content provider (stream_stdout_updates) writes as it produces, so its DATA frames go out as
// they come.
//
// Threads: H2Exchange runs on a worker; the connection loop (h2_connection.cpp) owns the nghttp2
// session. They share an H2Stream and the connection's H2Link, both guarded by H2Link::mu.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/serve/http1_messages.hpp"

namespace runagents::platform::serve {

// What a connection loop and its workers share.
struct H2Link {
  H2Link();
  ~H2Link();
  H2Link(const H2Link&) = delete;
  H2Link& operator=(const H2Link&) = delete;

  // Wakes the connection loop (an eventfd it polls).
  void wake();

  std::mutex mu;
  // Workers wait here for room in their stream's buffer; the loop waits here for its workers.
  std::condition_variable cv;
  const int wake_fd;
  // Guarded by mu:
  std::vector<int32_t> updated;  // streams whose response has news for the loop
  size_t running = 0;            // dispatched exchanges not finished yet
  bool stopping = false;         // the server is stopping: streaming responses end
};

// One request/response on one h2 stream.
struct H2Stream {
  explicit H2Stream(int32_t stream_id) : id(stream_id) {}

  const int32_t id;

  // The request, built by the loop and read by the worker only after dispatch.
  std::string method;
  std::string path;
  std::string authority;
  httplib::Headers headers;
  std::string body;
  size_t body_bytes = 0;        // received, even past the limit
  bool body_too_large = false;  // past the server's payload limit: only body_bytes is kept
  bool request_ended = false;   // END_STREAM received
  bool dispatched = false;

  // The response, guarded by H2Link::mu.
  std::optional<std::pair<int, HeaderFields>> head;
  std::string out;  // body bytes not sent yet, from out_offset
  size_t out_offset = 0;
  bool finished = false;  // the exchange is over (the body is complete unless `broken`)
  bool broken = false;    // it ended without a whole response
  bool closed = false;    // the peer reset the stream or the connection is gone

  // Loop only.
  size_t header_bytes = 0;
  size_t discarded = 0;   // body bytes dropped after the request was dispatched (413)
  bool answered = false;  // the whole answer went out before the request ended
  bool reset_sent = false;
  bool submitted = false;
  bool deferred = false;

  size_t pending() const { return out.size() - out_offset; }
};

class H2Exchange : public httplib::Stream {
 public:
  // `sock` is the connection's socket, for the addresses cpp-httplib puts in the request.
  H2Exchange(std::shared_ptr<H2Link> link, std::shared_ptr<H2Stream> stream, int sock);

  // The request as HTTP/1.1 text: read() returns it, then the body.
  bool is_readable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override;
  // Response bytes: parsed and handed to the loop; waits while the stream has more than
  // kStreamBuffer unsent bytes. -1 once the stream is closed or the response is malformed.
  ssize_t write(const char* ptr, size_t size) override;
  // False once the peer has closed the stream or the server is stopping, so streaming content
  // providers end.
  bool is_writable() const override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  // Called once after cpp-httplib is done: marks the response finished (or broken).
  void finish();

  static constexpr size_t kStreamBuffer = 256 * 1024;

 private:
  // Moves what the parser has into the stream and wakes the loop; mu held.
  void publish_locked();

  std::shared_ptr<H2Link> link_;
  std::shared_ptr<H2Stream> stream_;
  int sock_;
  std::string request_head_;
  size_t read_offset_ = 0;  // over request_head_ then stream_->body
  Http1ResponseParser parser_;
};

}  // namespace runagents::platform::serve
