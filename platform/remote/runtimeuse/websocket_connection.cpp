#include "platform/remote/runtimeuse/websocket_connection.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <deque>
#include <type_traits>

namespace runagents::platform::remote {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = beast::error_code;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

template <bool Tls>
class Connection final : public WebSocketConnection {
 public:
  using Stream = std::conditional_t<Tls, websocket::stream<beast::ssl_stream<beast::tcp_stream>>,
                                    websocket::stream<beast::tcp_stream>>;

  Connection(asio::io_context& ioc, std::size_t max_message_bytes,
             std::unique_ptr<ssl::context> ctx)
      : ctx_(std::move(ctx)), resolver_(ioc), timer_(ioc), ws_(make_stream(ioc, ctx_.get())) {
    ws_.read_message_max(max_message_bytes);
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "runagents-mcp");
    }));
  }

  ~Connection() override { abort(); }

  void connect(const WsUrl& url, std::chrono::milliseconds timeout, Done done) override {
    url_ = url;
    connect_done_ = std::move(done);
    connecting_ = true;
    timer_.expires_after(timeout);
    timer_.async_wait([this, timeout](error_code ec) {
      if (ec || !connecting_) return;
      connect_error_ = "no connection within " + std::to_string(timeout.count()) + " ms";
      drop();
    });
    resolver_.async_resolve(url_.host, url_.port,
                            [this](error_code ec, tcp::resolver::results_type results) {
                              if (ec) return connect_failed("cannot resolve " + url_.host, ec);
                              beast::get_lowest_layer(ws_).async_connect(
                                  results, [this](error_code ec, const tcp::endpoint&) {
                                    if (ec) return connect_failed("cannot connect", ec);
                                    on_tcp_connected();
                                  });
                            });
  }

  void read(std::function<void(WsReadResult)> done) override {
    ws_.async_read(buffer_, [this, done = std::move(done)](error_code ec, std::size_t) {
      WsReadResult r;
      if (!ec) {
        r.ok = true;
        r.data = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        return done(std::move(r));
      }
      r.error = ec.message();
      if (ec == websocket::error::closed) {
        const int code = static_cast<int>(ws_.reason().code);
        r.close_code = code == 0 ? 1005 : code;
        if (!ws_.reason().reason.empty())
          r.error += ": " + std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
      } else if (ec == websocket::error::message_too_big) {
        r.close_code = 1009;
      }
      done(std::move(r));
    });
  }

  void send(std::string text) override {
    if (closing_ || dropped_) return;
    queue_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void close(Done done) override {
    if (closing_ || dropped_) {
      asio::post(ws_.get_executor(), [done = std::move(done)] { done(""); });
      return;
    }
    closing_ = true;
    ws_.async_close(websocket::close_code::normal,
                    [done = std::move(done)](error_code ec) { done(ec ? ec.message() : ""); });
  }

  void abort() override {
    closing_ = true;
    drop();
  }

 private:
  static Stream make_stream(asio::io_context& ioc, ssl::context* ctx) {
    if constexpr (Tls)
      return Stream(ioc, *ctx);
    else
      return Stream(ioc);
  }

  void drop() {
    dropped_ = true;
    error_code ignored;
    resolver_.cancel();
    timer_.cancel();
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  void connect_failed(const std::string& what, error_code ec) {
    if (!connecting_) return;
    connecting_ = false;
    timer_.cancel();
    const std::string error = connect_error_.empty() ? what + ": " + ec.message() : connect_error_;
    drop();
    auto done = std::move(connect_done_);
    done(error);
  }

  void on_tcp_connected() {
    if constexpr (Tls) {
      auto& tls = ws_.next_layer();
      if (!is_ip_literal(url_.host))
        SSL_set_tlsext_host_name(tls.native_handle(), url_.host.c_str());
      tls.set_verify_mode(ssl::verify_peer);
      tls.set_verify_callback(ssl::host_name_verification(url_.host));
      tls.async_handshake(ssl::stream_base::client, [this](error_code ec) {
        if (ec) return connect_failed("TLS handshake failed", ec);
        websocket_handshake();
      });
    } else {
      websocket_handshake();
    }
  }

  void websocket_handshake() {
    // Our timers bound every phase: timer_ the opening handshake, the client's close timer the
    // closing one (each ends it with abort()). Beast gets no timer of its own: a pending one
    // keeps the io_context, and so run(), busy after the handshake has already failed (an
    // upgrade answered 503 held the query for Beast's 30 s).
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = websocket::stream_base::none();
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    std::string host = url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host;
    if (!url_.default_port) host += ":" + url_.port;
    ws_.async_handshake(response_, host, url_.target, [this](error_code ec) {
      if (ec && response_.result_int() != 0 &&
          response_.result() != beast::http::status::switching_protocols) {
        // The server answered, but not with the upgrade: say what it answered.
        const auto reason = response_.reason();
        return connect_failed("the runtime answered HTTP " +
                                  std::to_string(response_.result_int()) +
                                  (reason.empty() ? "" : " " + std::string(reason)) +
                                  " instead of the WebSocket upgrade",
                              ec);
      }
      if (ec) return connect_failed("WebSocket handshake failed", ec);
      connecting_ = false;
      timer_.cancel();
      ws_.text(true);
      auto done = std::move(connect_done_);
      done("");
    });
  }

  void write_next() {
    writing_ = true;
    ws_.async_write(asio::buffer(queue_.front()), [this](error_code ec, std::size_t) {
      writing_ = false;
      if (ec) {
        queue_.clear();
        return;
      }
      queue_.pop_front();
      if (!queue_.empty() && !closing_ && !dropped_) write_next();
    });
  }

  std::unique_ptr<ssl::context> ctx_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  Stream ws_;
  beast::flat_buffer buffer_;
  WsUrl url_;
  Done connect_done_;
  websocket::response_type response_;  // the server's answer to the upgrade
  std::string connect_error_;
  bool connecting_ = false;
  bool closing_ = false;
  bool dropped_ = false;
  bool writing_ = false;
  std::deque<std::string> queue_;
};

}  // namespace

std::optional<WsUrl> parse_ws_url(std::string_view url) {
  WsUrl out;
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(url.substr(0, sep));
  if (scheme == "ws")
    out.tls = false;
  else if (scheme == "wss")
    out.tls = true;
  else
    return std::nullopt;
  std::string_view rest = url.substr(sep + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string target(path_at == std::string_view::npos ? "" : rest.substr(path_at));
  if (target.empty() || target[0] == '?') target = "/" + target;
  if (authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
      authority = authority.substr(0, colon);
    }
    out.host = std::string(authority);
  }
  if (out.host.empty()) return std::nullopt;
  for (char c : out.host)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') return std::nullopt;
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5) return std::nullopt;
    int n = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 65535) return std::nullopt;
    out.port = std::to_string(n);
    out.default_port = n == (out.tls ? 443 : 80);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  out.target = std::move(target);
  return out;
}

std::unique_ptr<WebSocketConnection> make_websocket_connection(boost::asio::io_context& ioc,
                                                               bool tls,
                                                               std::size_t max_message_bytes) {
  if (!tls) return std::make_unique<Connection<false>>(ioc, max_message_bytes, nullptr);
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  ctx->set_default_verify_paths();
  ctx->set_verify_mode(ssl::verify_peer);
  return std::make_unique<Connection<true>>(ioc, max_message_bytes, std::move(ctx));
}

}  // namespace runagents::platform::remote
