// Writes an httplib::Response to a SocketStream as cpp-httplib's Server::write_response_core does
// for a request without a Range header, for the requests Http1Server serves itself (its fast
// route, http1_server.hpp): the same status line and headers (Connection or Keep-Alive, the
// default Content-Type and Content-Length), the body compressed as cpp-httplib would (its own
// compressors, chosen by its encoding_type: brotli or gzip when the client accepts them and the
// type compresses), and content providers written as it writes them (chunked, or with a length).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <ctime>
#include <functional>

namespace runagents::common {

class SocketStream;

struct ResponseFraming {
  bool close = false;  // the connection closes after this response
  std::time_t keep_alive_timeout = 0;
  std::size_t keep_alive_max = 0;
  std::function<bool()> shutting_down;  // ends a content provider's stream early
};

// Completes `res` (the headers above, the body compressed) and writes it; false when the
// connection failed or a content provider gave up. Sets `close` when the connection must end
// after it: the client sent `Connection: close`, or a provider streams without a length.
bool write_response(SocketStream& strm, const httplib::Request& req, httplib::Response& res,
                    ResponseFraming& framing);

// The reason phrase of an HTTP status (RFC 9110), "" for a code it does not list.
const char* reason_phrase(int status);

}  // namespace runagents::common
