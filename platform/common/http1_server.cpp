#include "platform/common/http1_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "platform/common/header_lookup.hpp"
#include "platform/common/plain_request.hpp"
#include "platform/common/response_writer.hpp"
#include "platform/common/socket_stream.hpp"

namespace runagents::common {

namespace {

// A request body the handler did not read (a refusal before routing, a 413) that is at most
// this long and on its way is read and dropped, so the connection can serve the next request.
constexpr size_t kMaxSkippedBody = 64 * 1024;

std::chrono::milliseconds to_ms(time_t sec, time_t usec) {
  return std::chrono::milliseconds(sec * 1000 + usec / 1000);
}

// Where a request's body ends, seen once its head is read.
struct Framing {
  bool seen = false;    // the head parsed (else the request was refused before: 400, 414)
  size_t head_end = 0;  // SocketStream::consumed() at the end of the head
  size_t length = 0;    // Content-Length
  bool chunked = false;
  bool expect_continue = false;  // the client sends the body only when told to
};

Framing framing_of(const httplib::Request& req, size_t head_end) {
  Framing f;
  f.seen = true;
  f.head_end = head_end;
  f.chunked = header_value(req.headers, "Transfer-Encoding").find("chunked") != std::string::npos;
  if (const std::string* length = find_header(req.headers, "Content-Length"))
    f.length = static_cast<size_t>(std::strtoull(length->c_str(), nullptr, 10));
  f.expect_continue = has_header(req.headers, "Expect");
  return f;
}

// After a request is answered: true when the connection is at the start of the next request,
// having dropped what is left of this one's body; false when it cannot be (the connection is
// then closed, as clients expect after a refused upload).
bool skip_unread_body(SocketStream& strm, const Framing& f) {
  if (!f.seen) return false;
  const size_t read = strm.consumed() - f.head_end;
  if (f.chunked) return read > 0;  // its handler read it whole, or nothing tells where it ends
  if (read >= f.length) return true;
  const size_t left = f.length - read;
  if (f.expect_continue || left > kMaxSkippedBody || !strm.fill_to(left)) return false;
  strm.consume(left);
  return true;
}

// Reads a body of `length` bytes into `body`: what is buffered, then the rest straight from the
// socket (a large body does not grow the connection's buffer for good).
bool read_body(SocketStream& strm, size_t length, std::string& body) {
  body.resize(length);
  const size_t buffered = std::min(length, strm.buffered().size());
  std::copy_n(strm.buffered().data(), buffered, body.data());
  strm.consume(buffered);
  for (size_t got = buffered; got < length;) {
    const ssize_t n = strm.read(body.data() + got, length - got);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Http1Server::Http1Server() : stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Http1Server::~Http1Server() {
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void Http1Server::signal_stop() {
  // Never read back: the eventfd stays readable, so every wait on it ends from now on.
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof(one));
}

std::chrono::milliseconds Http1Server::read_timeout() const {
  return to_ms(read_timeout_sec_, read_timeout_usec_);
}

std::chrono::milliseconds Http1Server::write_timeout() const {
  return to_ms(write_timeout_sec_, write_timeout_usec_);
}

bool Http1Server::wait_for_request(SocketStream& strm) {
  if (!strm.flush()) return false;
  pollfd fds[2] = {{strm.socket(), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  int n;
  do {
    n = ::poll(fds, 2, static_cast<int>(keep_alive_timeout_sec_ * 1000));
  } while (n < 0 && errno == EINTR);
  return n > 0 && (fds[0].revents & POLLIN) && !(fds[1].revents & POLLIN);
}

bool Http1Server::before_request(SocketStream&) {
  return false;
}

Http1Server::FastOutcome Http1Server::serve_fast(SocketStream& strm, bool last) {
  // The head is looked at where it lies: one recv() brings a small request whole. One that came
  // in pieces goes the usual way.
  if (strm.buffered().empty() && !strm.fill_to(1)) return FastOutcome::closed;
  httplib::Request req;
  const auto head = parse_plain_post(strm.buffered(), fast_->path, payload_max_length_, req);
  if (!head) return FastOutcome::not_plain;
  strm.consume(head->head_length);
  const Framing framing{true, strm.consumed(), head->content_length};
  strm.get_remote_ip_and_port(req.remote_addr, req.remote_port);
  strm.get_local_ip_and_port(req.local_addr, req.local_port);

  httplib::Response res;
  res.version = "HTTP/1.1";
  bool body_lost = false;
  try {
    if (!fast_->pre_routing || fast_->pre_routing(req, res) == HandlerResponse::Unhandled) {
      if (read_body(strm, head->content_length, req.body)) {
        fast_->handler(req, res);
      } else {
        body_lost = true;  // as cpp-httplib answers a body that does not arrive: 400, and close
        res.status = 400;
      }
    }
  } catch (...) {
    if (fast_->exception_handler) {
      fast_->exception_handler(req, res, std::current_exception());
    } else {
      res.status = 500;
    }
  }
  if (res.status == -1) res.status = 200;
  if (res.status >= 400 && fast_->error_handler) fast_->error_handler(req, res);

  ResponseFraming response{last || body_lost, keep_alive_timeout_sec_, keep_alive_max_count_,
                           [this] { return svr_sock_ == INVALID_SOCKET; }};
  // Refused before its body was read: a short body is dropped, as after process_request.
  return common::write_response(strm, req, res, response) && !response.close &&
                 skip_unread_body(strm, framing)
             ? FastOutcome::served
             : FastOutcome::closed;
}

void Http1Server::serve_connection(SocketStream& strm) {
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (strm.buffered().empty() && !wait_for_request(strm)) return;
    if (before_request(strm)) return;
    if (fast_) {
      const FastOutcome outcome = serve_fast(strm, left == 1);
      if (outcome == FastOutcome::served) continue;
      if (outcome == FastOutcome::closed) return;
    }
    bool connection_closed = false;
    Framing framing;
    const bool served =
        process_request(strm, left == 1, connection_closed,
                        [&](httplib::Request& req) { framing = framing_of(req, strm.consumed()); });
    if (!served || connection_closed || !skip_unread_body(strm, framing)) return;
  }
}

bool Http1Server::process_and_close_socket(socket_t sock) {
  {
    SocketStream strm(sock, read_timeout(), write_timeout());
    serve_connection(strm);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

}  // namespace runagents::common
