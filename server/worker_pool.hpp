// An elastic pool for request handlers: a task never waits behind a busy worker while fewer than
// `max_threads` exist, so a minute-long tool call cannot delay a ping or a cancel. Threads are
// kept for reuse; the destructor joins them (after drain() has given tasks time to finish).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace runagents::mcp {

class WorkerPool {
 public:
  explicit WorkerPool(size_t max_threads = 256);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task);
  // Waits until no task is queued or running, at most `timeout`; true when idle.
  bool drain(std::chrono::milliseconds timeout);

 private:
  void work();

  const size_t max_threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  size_t idle_ = 0;
  size_t running_ = 0;
  bool stopping_ = false;
};

}  // namespace runagents::mcp
