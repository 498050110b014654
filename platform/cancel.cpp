#include "platform/cancel.hpp"

namespace runagents::platform {

void ExecCancel::cancel() {
  std::map<int, std::function<void()>> hooks;
  {
    std::lock_guard lock(mu_);
    if (cancelled_.exchange(true)) return;
    hooks.swap(hooks_);
  }
  for (auto& [_, h] : hooks) h();
}

int ExecCancel::on_cancel(std::function<void()> hook) {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      hooks_[++next_] = std::move(hook);
      return next_;
    }
  }
  hook();
  return 0;
}

void ExecCancel::remove(int handle) {
  std::lock_guard lock(mu_);
  hooks_.erase(handle);
}

}  // namespace runagents::platform
