// One WebSocket client connection (ws:// or wss://) driven by an asio io_context, for the
// RuntimeUse client (platform/remote/runtimeuse/runtimeuse_client.cpp). The Beast code lives in
// the .cpp.
//
// Contract:
//   - every method is called on the io_context's thread and every callback runs there;
//   - connect() resolves, opens TCP, for wss does TLS (peer verified against the system's default
//     trust store, host name checked, SNI set) and the WebSocket handshake, all within `timeout`;
//   - read() delivers one message; at most one read is outstanding;
//   - send() queues a text frame; frames go out in order; after close() or abort() they are
//     dropped;
//   - close() starts the close handshake (code 1000); abort() drops the TCP connection at once,
//     and every pending operation then completes with an error. Destroying the object aborts.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace runagents::platform::remote {

struct WsUrl {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // explicit, or 80 / 443
  std::string target;  // path and query ("/" when empty)
  bool default_port = true;
};

// Parses ws://host[:port][/path][?query] and wss://...; nullopt for any other scheme, a missing
// host, a bad port or user info. A fragment is dropped.
std::optional<WsUrl> parse_ws_url(std::string_view url);

struct WsReadResult {
  bool ok = false;
  std::string data;   // the message when ok
  std::string error;  // why the connection ended when !ok
  // When !ok: the peer's close code (1005 for a close frame without one), or 1006 when the
  // connection dropped without a close frame.
  int close_code = 1006;
};

class WebSocketConnection {
 public:
  using Done = std::function<void(const std::string& error)>;  // "" = success

  virtual ~WebSocketConnection() = default;

  virtual void connect(const WsUrl& url, std::chrono::milliseconds timeout, Done done) = 0;
  virtual void read(std::function<void(WsReadResult)> done) = 0;
  virtual void send(std::string text) = 0;
  virtual void close(Done done) = 0;
  virtual void abort() = 0;
};

// A connection for ws:// (`tls` false) or wss:// URLs. `max_message_bytes`: a larger incoming
// message fails the connection (close code 1009).
std::unique_ptr<WebSocketConnection> make_websocket_connection(boost::asio::io_context& ioc,
                                                               bool tls,
                                                               std::size_t max_message_bytes);

}  // namespace runagents::platform::remote
