// The stop signal of one query: a single ExecCancel that fires on the caller's cancel or when the
// deadline passes, whichever comes first, so a runner hands one signal to whatever it runs.
// RAII: the watchdog thread and the hook on the caller's cancel end with the object (or finish()).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "platform/cancel.hpp"

namespace runagents::platform {

class QueryStop {
 public:
  // `caller` may be null (no cancel from outside).
  QueryStop(std::shared_ptr<ExecCancel> caller, std::chrono::steady_clock::time_point deadline);
  ~QueryStop();
  QueryStop(const QueryStop&) = delete;
  QueryStop& operator=(const QueryStop&) = delete;

  const std::shared_ptr<ExecCancel>& signal() const { return signal_; }
  bool stopped() const { return signal_->cancelled(); }
  // True when the deadline, not the caller, fired the signal.
  bool timed_out() const { return timed_out_.load(); }
  // Ends the watchdog and unhooks the caller's cancel; idempotent.
  void finish();

 private:
  std::shared_ptr<ExecCancel> caller_;
  std::shared_ptr<ExecCancel> signal_ = std::make_shared<ExecCancel>();
  int hook_ = 0;
  std::atomic<bool> timed_out_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread watchdog_;
};

}  // namespace runagents::platform
