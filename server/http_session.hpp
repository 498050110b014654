// What the Streamable HTTP transport keeps per legacy session, beside the protocol Session: its
// recent event streams (for Last-Event-ID resumption) and its standalone GET stream (id 0).
// Internal to the HTTP transport (server/http_transport_impl.hpp). Thread-safe: every member
// function takes `mu`; callers that read the fields take it too.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "server/event_stream.hpp"
#include "server/session.hpp"

namespace runagents::mcp {

// What the HTTP layer keeps per session, beside the protocol Session.
struct HttpSession {
  std::shared_ptr<Session> core;
  std::mutex mu;
  std::map<long long, std::shared_ptr<EventStream>> streams;  // recent, for Last-Event-ID
  std::shared_ptr<EventStream> standalone;                    // stream id 0
  bool standalone_attached = false;
  long long standalone_delivered = 0;
  long long next_stream = 1;

  std::shared_ptr<EventStream> new_stream() {
    std::lock_guard lock(mu);
    auto s = std::make_shared<EventStream>(next_stream++);
    streams[s->id()] = s;
    while (streams.size() > 64) streams.erase(streams.begin());  // oldest first
    return s;
  }
  std::shared_ptr<EventStream> find_stream(long long id) {
    std::lock_guard lock(mu);
    if (id == 0) return standalone;
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second;
  }
  void close_all() {
    std::lock_guard lock(mu);
    for (auto& [_, s] : streams) s->close();
    standalone->close();
  }
};

}  // namespace runagents::mcp
