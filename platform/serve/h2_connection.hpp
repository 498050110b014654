// One HTTP/2 cleartext connection of `platform serve`, served with libnghttp2's server session.
//
// The connection's own thread (a thread of cpp-httplib's pool, the one that accepted it) runs
// the loop: it reads frames into the nghttp2 session, collects each stream's request (headers,
// then the body up to the server's payload limit), hands the finished request to a worker as an
// H2Exchange (h2_exchange.hpp), and sends what the worker's response produces as HEADERS and
// DATA frames. nghttp2 does the framing, HPACK, flow control and the protocol's checks of each
// request (pseudo-headers, header characters, content-length). Workers never touch the session;
// they wake the loop through H2Link. One slow or streaming response does not hold the others:
// each stream has its own worker and its own bounded buffer.
//
// Limits: 100 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS) and 200 running exchanges
// (streams the peer reset keep their worker until the handler returns), 64 KiB of request headers;
// a body past the payload limit is answered 413 as soon as it passes it (or as soon as the
// headers declare it); the rest is read and dropped as over HTTP/1.1, up to another payload
// limit, after which the stream is reset with RST_STREAM(NO_ERROR). A connection that receives
// nothing for `idle_timeout` while no answer is being worked on closes with GOAWAY (a request body
// that never ends included); one whose peer reads nothing for `write_timeout` while an answer waits
// (the socket full, or flow control holding it back) is dropped.
//
// Stopping: once `stop_fd` is readable the loop sends GOAWAY, refuses new streams, tells
// streaming responses to end (H2Exchange::is_writable), sends what the running exchanges answer
// for at most 2 s more, and returns when they are done. serve() returns only after every worker it
// started finished.
#pragma once

#include <httplib.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "platform/serve/http1_messages.hpp"

namespace runagents::platform::serve {

struct H2ConnectionOptions {
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds write_timeout{60000};
  size_t max_body_bytes = 64u << 20;
  int stop_fd = -1;  // readable once the server stops
  // Serves one exchange (cpp-httplib's Server::process_request over the stream); on a worker.
  std::function<void(httplib::Stream&)> serve_exchange;
  // Runs a task on a worker thread.
  std::function<void(std::function<void()>)> run_on_worker;
};

// The HTTP/1.1 request that asked to upgrade (`Upgrade: h2c`): it becomes stream 1.
struct H2cUpgrade {
  RequestHead head;
  std::string body;
  std::string settings;  // the decoded HTTP2-Settings payload
};

// Serves HTTP/2 on the connected socket `sock` until the peer closes, the connection idles out,
// a protocol error, or the server stops. `received` holds bytes already read from the socket
// (the client preface, or what followed an upgrade request). Does not close `sock`.
void serve_h2_connection(int sock, std::string received, std::optional<H2cUpgrade> upgrade,
                         const H2ConnectionOptions& options);

}  // namespace runagents::platform::serve
