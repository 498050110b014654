#include "platform/serve/dual_protocol_server.hpp"

#include <charconv>
#include <stdexcept>

#include "platform/common/socket_stream.hpp"

namespace runagents::platform::serve {

namespace {

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// A request head longer than this is not looked at for `Upgrade: h2c` (cpp-httplib reads it).
constexpr size_t kMaxSniffedHead = 64 * 1024;

// True when the connection opens with the HTTP/2 client preface. Reads only as far as the bytes
// could still be the preface (a request line differs within its first two bytes).
bool opens_with_h2_preface(SocketStream& strm) {
  while (strm.buffered().size() < kH2Preface.size() &&
         kH2Preface.substr(0, strm.buffered().size()) == strm.buffered()) {
    if (!strm.fill_to(strm.buffered().size() + 1)) return false;
  }
  return strm.buffered().substr(0, kH2Preface.size()) == kH2Preface;
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
    : stream_threads_(std::max<size_t>(stream_threads, 1)) {}

DualProtocolServer::~DualProtocolServer() {
  join_stream_workers();
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
  o.idle_timeout = read_timeout();
  o.write_timeout = write_timeout();
  o.max_body_bytes = payload_max_length_;
  o.stop_fd = stop_fd();
  o.serve_exchange = [this](httplib::Stream& strm) {
    bool connection_closed = false;
    process_request(strm, false, connection_closed, nullptr);
  };
  o.run_on_worker = [this](std::function<void()> task) { run_on_worker(std::move(task)); };
  return o;
}

void DualProtocolServer::serve_connection(SocketStream& strm) {
  if (!wait_for_request(strm)) return;
  if (opens_with_h2_preface(strm)) {
    serve_h2_connection(strm.socket(), strm.take_buffered(), std::nullopt, h2_options());
    return;
  }
  Http1Server::serve_connection(strm);
}

bool DualProtocolServer::before_request(SocketStream& strm) {
  const size_t head_end = strm.fill_past("\r\n\r\n", kMaxSniffedHead);
  if (!head_end) return false;
  auto head = parse_request_head(strm.buffered().substr(0, head_end));
  if (!head) return false;
  auto settings = h2c_upgrade_settings(*head);
  return settings && upgrade_to_h2(strm, head_end, std::move(*head), std::move(*settings));
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
