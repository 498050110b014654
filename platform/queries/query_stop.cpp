#include "platform/queries/query_stop.hpp"

namespace runagents::platform {

QueryStop::QueryStop(std::shared_ptr<ExecCancel> caller,
                     std::chrono::steady_clock::time_point deadline)
    : caller_(std::move(caller)) {
  if (caller_) hook_ = caller_->on_cancel([s = signal_] { s->cancel(); });
  watchdog_ = std::thread([this, deadline] {
    std::unique_lock lock(mu_);
    if (!cv_.wait_until(lock, deadline, [this] { return done_; })) {
      timed_out_ = true;
      lock.unlock();
      signal_->cancel();
    }
  });
}

QueryStop::~QueryStop() {
  finish();
}

void QueryStop::finish() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (caller_ && hook_ > 0) caller_->remove(hook_);
  hook_ = 0;
}

}  // namespace runagents::platform
