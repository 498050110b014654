#include "server/request_limits.hpp"

#include <algorithm>
#include <cmath>

namespace runagents::mcp {

RateLimiter::RateLimiter(double per_second)
    : rate_(per_second), burst_(std::max(1.0, per_second)) {}

std::optional<std::chrono::milliseconds> RateLimiter::take(const std::string& client,
                                                           Clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto refill = [&](Bucket& b) {
    const double seconds = std::chrono::duration<double>(now - b.at).count();
    if (seconds > 0) b.tokens = std::min(burst_, b.tokens + seconds * rate_);
    b.at = std::max(b.at, now);
  };
  // Now and then, forget the clients whose buckets are full again: they are as good as new.
  if (now - last_sweep_ >= std::chrono::seconds(60)) {
    last_sweep_ = now;
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second);
      it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) refill(b);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / rate_;
  return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait * 1000)));
}

size_t RateLimiter::clients() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace runagents::mcp
