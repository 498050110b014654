#include "platform/common/concurrency_limit.hpp"

namespace runagents::common {

std::shared_ptr<void> ConcurrencyLimit::try_acquire() {
  {
    std::lock_guard lock(count_->mu);
    if (max_ > 0 && count_->held >= max_) return nullptr;
    ++count_->held;
  }
  // The deleter runs once, when the last copy of the slot goes.
  return std::shared_ptr<void>(static_cast<void*>(count_.get()), [count = count_](void*) {
    std::lock_guard lock(count->mu);
    --count->held;
  });
}

std::size_t ConcurrencyLimit::in_use() const {
  std::lock_guard lock(count_->mu);
  return count_->held;
}

}  // namespace runagents::common
