#include "server/cancellation.hpp"

#include <vector>

namespace runagents::mcp {

void Cancellation::cancel(std::string reason) {
  std::vector<std::function<void()>> to_run;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    reason_ = std::move(reason);
    for (auto& [_, fn] : callbacks_) to_run.push_back(std::move(fn));
    callbacks_.clear();
  }
  cv_.notify_all();
  for (auto& fn : to_run) fn();
}

bool Cancellation::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

std::string Cancellation::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

int Cancellation::on_cancel(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      callbacks_.emplace(++next_handle_, std::move(fn));
      return next_handle_;
    }
  }
  fn();
  return 0;
}

void Cancellation::remove_callback(int handle) {
  std::lock_guard lock(mu_);
  callbacks_.erase(handle);
}

}  // namespace runagents::mcp
