// Cooperative cancellation shared between a transport (which cancels) and a handler (which
// checks, sleeps or registers a callback). Thread-safe; cancel() is idempotent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace runagents::mcp {

class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  // Marks cancelled, wakes every waiter and runs registered callbacks (once, on this thread).
  void cancel(std::string reason = {});
  bool cancelled() const;
  std::string reason() const;

  // Sleeps up to `d`; returns false as soon as cancellation happens (true if the time passed).
  template <class Rep, class Period>
  bool sleep_for(std::chrono::duration<Rep, Period> d) const {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, d, [&] { return cancelled_; });
  }

  // Runs `fn` on cancellation (at once if already cancelled). Returns a handle for
  // remove_callback. Callbacks must be quick and must not call back into this object.
  int on_cancel(std::function<void()> fn);
  void remove_callback(int handle);

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool cancelled_ = false;
  std::string reason_;
  int next_handle_ = 0;
  std::map<int, std::function<void()>> callbacks_;
};

// Keeps a callback registered for the lifetime of a scope.
class CancelCallbackScope {
 public:
  CancelCallbackScope(Cancellation& c, std::function<void()> fn)
      : c_(c), handle_(c.on_cancel(std::move(fn))) {}
  ~CancelCallbackScope() { c_.remove_callback(handle_); }
  CancelCallbackScope(const CancelCallbackScope&) = delete;
  CancelCallbackScope& operator=(const CancelCallbackScope&) = delete;

 private:
  Cancellation& c_;
  int handle_;
};

}  // namespace runagents::mcp
