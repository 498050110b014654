#include "platform/remote/runtimeuse/upload_receiver.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <limits>
#include <map>
#include <vector>

#include "platform/common/random_hex.hpp"

namespace runagents::platform::remote {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

constexpr auto kIoTimeout = std::chrono::seconds(60);

}  // namespace

struct UploadReceiver::Impl : std::enable_shared_from_this<UploadReceiver::Impl> {
  Impl(asio::io_context& ioc, UploadLimits limits, OnDone on_done)
      : ioc(ioc), acceptor(ioc), limits(limits), on_done(std::move(on_done)) {}

  class Conn;

  asio::io_context& ioc;
  tcp::acceptor acceptor;
  UploadLimits limits;
  OnDone on_done;
  bool running = false;
  int port = 0;
  std::map<std::string, ExpectedUpload> waiting;  // token -> upload, not yet started
  std::size_t in_progress = 0;                    // tokens taken by a connection
  std::size_t received = 0;                       // bytes accepted
  std::size_t reserved = 0;                       // bytes promised to uploads in progress
  std::vector<std::weak_ptr<Conn>> conns;

  void accept();

  void finish(const ExpectedUpload& upload, std::optional<std::string> data,
              const std::string& content_type, const std::string& why) {
    --in_progress;
    if (data) received += data->size();
    if (on_done) on_done(upload, std::move(data), content_type, why);
  }

  std::size_t room() const {
    const std::size_t used = received + reserved;
    const std::size_t total_left =
        used >= limits.max_total_bytes ? 0 : limits.max_total_bytes - used;
    return std::min(limits.max_file_bytes, total_left);
  }
};

class UploadReceiver::Impl::Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(std::shared_ptr<Impl> impl, tcp::socket socket)
      : impl_(std::move(impl)), stream_(std::move(socket)) {}

  void start() {
    parser_.emplace();
    // Checked against the token's room once the header is in. (Not boost::none: Beast 1.74
    // compares a content length against an empty limit as exceeding it.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->header_limit(16 * 1024);
    stream_.expires_after(kIoTimeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void drop() { stream_.close(); }

 private:
  void on_header(error_code ec) {
    if (ec) return;  // nothing taken yet: the token (if any) stays usable
    const auto& req = parser_->get();
    if (req.method() != http::verb::put) return reply(http::status::method_not_allowed, "use PUT");
    std::string target(req.target());
    if (const auto q = target.find('?'); q != std::string::npos) target.resize(q);
    static constexpr std::string_view kPrefix = "/upload/";
    if (target.rfind(kPrefix, 0) != 0) return reply(http::status::not_found, "unknown upload");
    auto it = impl_->waiting.find(target.substr(kPrefix.size()));
    if (it == impl_->waiting.end())
      return reply(http::status::not_found, "unknown or already used upload URL");
    upload_ = std::move(it->second);
    impl_->waiting.erase(it);
    ++impl_->in_progress;
    taken_ = true;
    content_type_ = std::string(req[http::field::content_type]);

    const std::size_t room = impl_->room();
    const auto length = parser_->content_length();
    if (length && *length > room) return reject_too_large(*length);
    reserved_ = length ? static_cast<std::size_t>(*length) : room;
    impl_->reserved += reserved_;
    parser_->body_limit(static_cast<std::uint64_t>(room));
    stream_.expires_after(kIoTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(error_code ec) {
    impl_->reserved -= reserved_;
    reserved_ = 0;
    if (ec == http::error::body_limit) return reject_too_large(0);
    if (ec) {
      end_token(std::nullopt, "the upload broke off: " + ec.message());
      return;
    }
    end_token(std::move(parser_->get().body()), "");
    reply(http::status::ok, "stored");
  }

  void reject_too_large(std::uint64_t length) {
    end_token(std::nullopt,
              length
                  ? "the file is too large (" + std::to_string(length) + " bytes; the limit is " +
                        std::to_string(impl_->limits.max_file_bytes) + " per file and " +
                        std::to_string(impl_->limits.max_total_bytes) + " in all)"
                  : "the file is over the size limit (" +
                        std::to_string(impl_->limits.max_file_bytes) + " bytes per file, " +
                        std::to_string(impl_->limits.max_total_bytes) + " in all)");
    reply(http::status::payload_too_large, "too large");
  }

  void end_token(std::optional<std::string> data, const std::string& why) {
    if (!taken_) return;
    taken_ = false;
    impl_->finish(upload_, std::move(data), content_type_, why);
  }

  void reply(http::status status, std::string body) {
    res_.result(status);
    res_.version(11);
    res_.set(http::field::content_type, "text/plain");
    res_.set(http::field::connection, "close");
    res_.body() = std::move(body) + "\n";
    res_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    http::async_write(stream_, res_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->drop();
      // Close gracefully: a body we did not read (413, 404) would otherwise make the kernel
      // reset the connection, and the client could lose the answer. Read and discard what the
      // peer still sends, for a bounded time, until it closes.
      error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->stream_.expires_after(std::chrono::seconds(2));
      self->linger();
    });
  }

  void linger() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec) return self->drop();
                              self->linger();
                            });
  }

 public:
  ~Conn() {
    // A connection dropped with a token taken (receiver stopped, peer gone): end the token so
    // the client does not wait for it. Runs on the io_context's thread or at its destruction.
    if (taken_ && impl_) {
      impl_->reserved -= reserved_;
      end_token(std::nullopt, "the upload did not complete");
    }
  }

 private:
  std::shared_ptr<Impl> impl_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  char drain_[4096];
  ExpectedUpload upload_;
  std::string content_type_;
  bool taken_ = false;
  std::size_t reserved_ = 0;
};

void UploadReceiver::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (!self->running) return;
    if (!ec) {
      auto conn = std::make_shared<Conn>(self, std::move(socket));
      // Forget connections that are gone, then track this one.
      std::erase_if(self->conns, [](const auto& w) { return w.expired(); });
      self->conns.push_back(conn);
      conn->start();
    } else if (ec == asio::error::operation_aborted) {
      return;
    }
    self->accept();
  });
}

UploadReceiver::UploadReceiver(asio::io_context& ioc, UploadLimits limits, OnDone on_done)
    : impl_(std::make_shared<Impl>(ioc, limits, std::move(on_done))) {}

UploadReceiver::~UploadReceiver() {
  stop();
  impl_->on_done = nullptr;  // connections that outlive this object report to no one
}

std::string UploadReceiver::start(const std::string& host) {
  if (impl_->running) return "";
  error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return "bad upload address " + host + ": " + ec.message();
  const tcp::endpoint endpoint(address, 0);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    impl_->acceptor.close(ignored);
    return "cannot listen on " + host + ": " + ec.message();
  }
  impl_->port = impl_->acceptor.local_endpoint(ec).port();
  impl_->running = true;
  impl_->accept();
  return "";
}

bool UploadReceiver::running() const {
  return impl_->running;
}

int UploadReceiver::port() const {
  return impl_->port;
}

std::string UploadReceiver::expect(ExpectedUpload upload) {
  std::string token = common::random_hex(16);
  impl_->waiting.emplace(token, std::move(upload));
  return token;
}

std::size_t UploadReceiver::pending() const {
  return impl_->waiting.size() + impl_->in_progress;
}

std::size_t UploadReceiver::received_bytes() const {
  return impl_->received;
}

void UploadReceiver::stop() {
  impl_->running = false;
  error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& w : impl_->conns)
    if (auto c = w.lock()) c->drop();
  impl_->conns.clear();
}

}  // namespace runagents::platform::remote
