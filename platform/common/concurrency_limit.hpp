// A cap on how many of something run at once: tool calls (server/request_limits.hpp, the MCP
// transports' --max-concurrent-calls) and devbox commands (platform/local/devboxes,
// --max-devbox-executions). Each running thing holds a slot; a slot is given back when the last
// copy of it goes, so a slot kept by whatever runs the work is released on every path out
// (return, exception, kill, shutdown). Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>

namespace runagents::common {

// Counts what runs at once and, with a maximum, refuses more.
class ConcurrencyLimit {
 public:
  // `max` 0: no limit (slots are still counted).
  explicit ConcurrencyLimit(std::size_t max) : max_(max), count_(std::make_shared<Count>()) {}

  // A held slot, released when its last copy goes; null when `max` are held already. A slot may
  // outlive the limit.
  std::shared_ptr<void> try_acquire();
  std::size_t in_use() const;
  std::size_t max() const { return max_; }

 private:
  struct Count {
    std::mutex mu;
    std::size_t held = 0;
  };
  const std::size_t max_;
  std::shared_ptr<Count> count_;
};

}  // namespace runagents::common
