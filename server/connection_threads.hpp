// The task queue of the MCP HTTP server: one thread per connection, capped at `max`; further
// connections wait in order for a thread to come free. cpp-httplib's default pool has 8 threads
// that keep-alive connections and open SSE streams hold, so further clients would wait; here a
// connection never waits for another while fewer than `max` are open. Thread-safe (cpp-httplib
// calls enqueue from its accept loop). shutdown() waits at most 500 ms for open connections.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace runagents::mcp {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max) : state_(std::make_shared<State>()), max_(max) {}

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
    std::deque<std::function<void()>> waiting;
  };

  // Called with state_->mu held.
  void start(std::function<void()> fn);

  std::shared_ptr<State> state_;
  size_t max_;
};

}  // namespace runagents::mcp
