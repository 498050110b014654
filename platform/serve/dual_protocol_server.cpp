#include "platform/serve/dual_protocol_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <stdexcept>

#include "platform/serve/socket_stream.hpp"

namespace runagents::platform::serve {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// A request head longer than this is not looked at for `Upgrade: h2c` (cpp-httplib reads it).
constexpr size_t kMaxSniffedHead = 64 * 1024;

milliseconds to_ms(time_t sec, time_t usec) {
  return milliseconds(sec * 1000 + usec / 1000);
}

// True when the connection opens with the HTTP/2 client preface. Reads only as far as the bytes
// could still be the preface (a request line differs within its first two bytes).
bool opens_with_h2_preface(SocketStream& strm) {
  while (strm.buffered().size() < kH2Preface.size() &&
         kH2Preface.substr(0, strm.buffered().size()) == strm.buffered()) {
    if (!strm.fill_to(strm.buffered().size() + 1)) return false;
  }
  return strm.buffered().substr(0, kH2Preface.size()) == kH2Preface;
}

// Waits for the next request on a keep-alive connection: true when bytes are there, false on
// timeout, error, or when `stop_fd` says the server stops.
bool wait_for_request(int sock, int stop_fd, milliseconds timeout) {
  pollfd fds[2] = {{sock, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  int n;
  do {
    n = ::poll(fds, 2, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return n > 0 && (fds[0].revents & POLLIN) && !(fds[1].revents & POLLIN);
}

bool write_all(SocketStream& strm, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = strm.write(data.data(), data.size());
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

DualProtocolServer::DualProtocolServer(size_t stream_threads)
    : stream_threads_(std::max<size_t>(stream_threads, 1)),
      stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

DualProtocolServer::~DualProtocolServer() {
  join_stream_workers();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void DualProtocolServer::signal_stop() {
  // Never read back: the eventfd stays readable, so every wait on it ends from now on.
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof(one));
}

void DualProtocolServer::join_stream_workers() {
  std::unique_ptr<httplib::ThreadPool> workers;
  {
    std::lock_guard lock(workers_mu_);
    workers_joined_ = true;
    workers = std::move(workers_);
  }
  if (workers) workers->shutdown();
}

void DualProtocolServer::run_on_worker(std::function<void()> task) {
  std::lock_guard lock(workers_mu_);
  if (workers_joined_) throw std::runtime_error("the server has stopped");
  if (!workers_) workers_ = std::make_unique<httplib::ThreadPool>(stream_threads_);
  workers_->enqueue(std::move(task));
}

H2ConnectionOptions DualProtocolServer::h2_options() {
  H2ConnectionOptions o;
  o.idle_timeout = to_ms(read_timeout_sec_, read_timeout_usec_);
  o.write_timeout = to_ms(write_timeout_sec_, write_timeout_usec_);
  o.max_body_bytes = payload_max_length_;
  o.stop_fd = stop_fd_;
  o.serve_exchange = [this](httplib::Stream& strm) {
    bool connection_closed = false;
    process_request(strm, false, connection_closed, nullptr);
  };
  o.run_on_worker = [this](std::function<void()> task) { run_on_worker(std::move(task)); };
  return o;
}

bool DualProtocolServer::process_and_close_socket(socket_t sock) {
  {
    SocketStream strm(sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                      to_ms(write_timeout_sec_, write_timeout_usec_));
    serve_connection(strm);
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return true;
}

void DualProtocolServer::serve_connection(SocketStream& strm) {
  const int sock = strm.socket();
  const milliseconds keep_alive(keep_alive_timeout_sec_ * 1000);
  if (!wait_for_request(sock, stop_fd_, keep_alive)) return;
  if (opens_with_h2_preface(strm)) {
    serve_h2_connection(sock, strm.take_buffered(), std::nullopt, h2_options());
    return;
  }
  // cpp-httplib's keep-alive loop (detail::process_server_socket_core), plus the h2c check.
  for (size_t left = keep_alive_max_count_; left > 0 && svr_sock_ != INVALID_SOCKET; --left) {
    if (strm.buffered().empty() && !wait_for_request(sock, stop_fd_, keep_alive)) return;
    if (const size_t head_end = strm.fill_past("\r\n\r\n", kMaxSniffedHead)) {
      auto head = parse_request_head(strm.buffered().substr(0, head_end));
      if (head) {
        if (auto settings = h2c_upgrade_settings(*head)) {
          if (upgrade_to_h2(strm, head_end, std::move(*head), std::move(*settings))) return;
        }
      }
    }
    bool connection_closed = false;
    if (!process_request(strm, left == 1, connection_closed, nullptr) || connection_closed) return;
  }
}

bool DualProtocolServer::upgrade_to_h2(SocketStream& strm, size_t head_end, RequestHead head,
                                       std::string settings) {
  if (settings.size() % 6 != 0) return false;  // not a SETTINGS payload: HTTP/1.1 answers
  size_t length = 0;
  if (auto it = head.headers.find("Content-Length"); it != head.headers.end()) {
    const std::string& v = it->second;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (ec != std::errc() || end != v.data() + v.size()) return false;
  }
  // A body past the limit, or one the client holds back until 100 Continue, is left to
  // HTTP/1.1 (413, or the continue handshake).
  if (length > payload_max_length_ || (length > 0 && head.headers.count("Expect") > 0))
    return false;
  if (!strm.fill_to(head_end + length)) return false;
  std::string body(strm.buffered().substr(head_end, length));
  strm.consume(head_end + length);
  if (!write_all(strm,
                 "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"))
    return true;  // the peer is gone: nothing left to serve
  serve_h2_connection(strm.socket(), strm.take_buffered(),
                      H2cUpgrade{std::move(head), std::move(body), std::move(settings)},
                      h2_options());
  return true;
}

}  // namespace runagents::platform::serve
