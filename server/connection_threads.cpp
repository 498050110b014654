#include "server/connection_threads.hpp"

#include <chrono>
#include <thread>

namespace runagents::mcp {

void ConnectionThreads::enqueue(std::function<void()> fn) {
  std::lock_guard lock(state_->mu);
  if (state_->active >= max_) {
    state_->waiting.push_back(std::move(fn));
    return;
  }
  start(std::move(fn));
}

void ConnectionThreads::shutdown() {
  {
    std::lock_guard lock(state_->mu);
    state_->waiting.clear();
  }
  // Connections notice shutdown within a poll interval; do not hang the process on one that
  // does not.
  wait_idle(*state_, std::chrono::milliseconds(500));
}

bool ConnectionThreads::wait_idle(State& state, std::chrono::milliseconds timeout) {
  std::unique_lock lock(state.mu);
  return state.cv.wait_for(lock, timeout, [&] { return state.active == 0; });
}

void ConnectionThreads::start(std::function<void()> fn) {
  ++state_->active;
  std::thread([state = state_, fn = std::move(fn)]() mutable {
    for (;;) {
      fn();
      std::lock_guard lock(state->mu);
      if (state->waiting.empty()) {
        --state->active;
        state->cv.notify_all();
        return;
      }
      fn = std::move(state->waiting.front());
      state->waiting.pop_front();
    }
  }).detach();
}

}  // namespace runagents::mcp
