// One MCP session: what initialize negotiated, the requests in flight (so notifications/cancelled
// can reach them), the requests we sent to the client (so its responses find their waiter), the
// client's log level and resource subscriptions, and the channel for unsolicited messages.
//
// A stdio connection is one session; over HTTP each Mcp-Session-Id is one. All methods are
// thread-safe: transports call them from reader, worker and HTTP threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "server/cancellation.hpp"
#include "server/json_rpc.hpp"
#include "server/protocol.hpp"

namespace runagents::mcp {

// Where messages to the client go. send() is thread-safe, never blocks for long, and returns false
// when the message could not be delivered (the client is gone).
class Outbound {
 public:
  virtual ~Outbound() = default;
  virtual bool send(const json& message) = 0;
};

// True when `capabilities` (a client's capability object) declares `name`: a top-level
// capability ("sampling", "elicitation", "roots") or an extension
// (extensions["io.modelcontextprotocol/tasks"]). null and false declare nothing.
bool declares_capability(const json& capabilities, const std::string& name);

// Drops what it is given: for a request that has nowhere to send anything before its response
// (answered inline over HTTP, or a 2026-07-28 task, whose status is polled).
class NullOutbound : public Outbound {
 public:
  bool send(const json&) override { return false; }
};

// A request we sent to the client, waiting for its response.
class PendingClientRequest {
 public:
  void fulfil(Message response);
  // Waits for the response until `deadline` or cancellation; nullopt when neither came.
  std::optional<Message> wait(std::chrono::steady_clock::time_point deadline,
                              const Cancellation& cancellation);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Message> response_;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(std::string id);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }

  // Lifecycle. `initialized` becomes true once the initialize response is produced.
  bool initialized() const;
  void set_initialized(std::string version, json client_capabilities, json client_info);
  std::string protocol_version() const;
  json client_info() const;
  // True when the client declared `capability` (e.g. "sampling", "elicitation", "roots").
  bool client_has(const std::string& capability) const;

  LogLevel log_level() const;
  void set_log_level(LogLevel level);

  // In-flight requests. begin_request returns nullptr when a request with that id is already
  // running (ids must not be reused while in flight).
  std::shared_ptr<Cancellation> begin_request(const json& id);
  void end_request(const json& id);
  bool cancel_request(const json& id, const std::string& reason);
  void cancel_all(const std::string& reason);
  // Waits until no request is in flight or the timeout passes; returns true when idle.
  bool wait_idle(std::chrono::milliseconds timeout);
  size_t in_flight() const;

  // Requests to the client.
  json next_outgoing_id();
  std::shared_ptr<PendingClientRequest> expect_response(const json& id);
  void forget_response(const json& id);
  // Routes a response from the client to its waiter; false when nobody waits for that id.
  bool resolve(Message response);

  // Resource subscriptions (resources/subscribe).
  void subscribe(const std::string& uri);
  void unsubscribe(const std::string& uri);
  bool subscribed(const std::string& uri) const;

  // Unsolicited messages (list_changed, resources/updated): the stdio writer or the HTTP GET
  // stream. Returns false when no channel is open.
  void set_unsolicited_channel(std::shared_ptr<Outbound> channel);
  bool send_unsolicited(const json& message);

  // Activity clock for idle expiry and the closed flag set by DELETE or expiry.
  void touch();
  std::chrono::steady_clock::time_point last_activity() const;
  void close();
  bool closed() const;

 private:
  static std::string key(const json& id) { return id.dump(); }

  const std::string id_;
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::atomic<bool> initialized_{false};  // set once, after version_ and the rest (under mu_)
  std::string version_;
  json client_capabilities_ = json::object();
  json client_info_ = json::object();
  LogLevel log_level_ = LogLevel::info;
  std::map<std::string, std::shared_ptr<Cancellation>> in_flight_;
  std::map<std::string, std::shared_ptr<PendingClientRequest>> awaiting_;
  std::set<std::string> subscriptions_;
  std::shared_ptr<Outbound> unsolicited_;
  std::atomic<std::chrono::steady_clock::duration> last_activity_;  // since the clock's epoch
  bool closed_ = false;
  std::atomic<long long> next_outgoing_{0};
};

}  // namespace runagents::mcp
