// Server-Sent Events for Streamable HTTP: framing, and the stream object that carries one POST's
// messages (or a session's standalone GET stream) from the worker that produces them to the HTTP
// thread that writes them.
//
// Every event gets an id "<stream>_<seq>" that is unique within the session and names its
// stream, so a client that lost the connection can resume with Last-Event-ID and be sent only that
// stream's later events. A bounded history is kept for that.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "server/session.hpp"

namespace runagents::mcp {

// One SSE event as text: "id: <id>\nevent: message\ndata: <line>\n\n". `data` must not contain
// newlines (serialize() never produces them). An empty id omits the id line.
std::string format_sse_event(std::string_view id, std::string_view data);
// A comment line that keeps proxies and clients from timing the stream out.
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

// Splits "<stream>_<seq>"; nullopt for ids we did not issue.
std::optional<std::pair<long long, long long>> parse_event_id(std::string_view id);

class EventStream : public Outbound {
 public:
  struct Event {
    long long seq;
    std::string data;  // serialized JSON-RPC message
    bool final;        // the response that ends a POST stream
  };

  EventStream(long long stream_id, size_t history_limit = 1024);

  long long id() const { return id_; }
  std::string event_id(long long seq) const;

  // Producer side. send() queues a notification or request; finish() queues the final response.
  // Both return false once the stream is closed.
  bool send(const json& message) override;
  bool finish(const json& response);
  void close();  // wakes every waiter; no more events
  bool closed() const;

  // Consumer side: the first event with seq > after, waiting up to `timeout`. nullopt on timeout,
  // or when closed with nothing left (check closed()).
  std::optional<Event> next(long long after, std::chrono::milliseconds timeout);
  bool finished() const;  // the final event has been queued

 private:
  bool push(std::string data, bool final);

  const long long id_;
  const size_t history_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
  long long next_seq_ = 1;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace runagents::mcp
