// The task queue of the MCP HTTP server: one thread per connection, capped at `max`; further
// connections wait in order for a thread to come free. cpp-httplib's default pool has 8 threads
// that keep-alive connections and open SSE streams hold, so further clients would wait; here a
// connection never waits for another while fewer than `max` are open. Thread-safe (cpp-httplib
// calls enqueue from its accept loop). shutdown() waits at most 500 ms for open connections; the
// transport, which shares their State, can wait longer (wait_idle) before it lets the server go.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace runagents::mcp {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  // What the threads share with whoever waits for them to end.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
    std::deque<std::function<void()>> waiting;
  };

  ConnectionThreads(size_t max, std::shared_ptr<State> state)
      : state_(std::move(state)), max_(max) {}

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // Waits up to `timeout` for every connection thread to finish. True when none is left: the
  // threads no longer touch the cpp-httplib server, which may then be destroyed.
  static bool wait_idle(State& state, std::chrono::milliseconds timeout);

 private:
  // Called with state_->mu held.
  void start(std::function<void()> fn);

  std::shared_ptr<State> state_;
  size_t max_;
};

}  // namespace runagents::mcp
