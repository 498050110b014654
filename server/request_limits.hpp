// Limits for shared deployments: a request rate per client and a cap on tool calls running at
// once. The transports apply them (server/http_transport.*: HTTP 429 with Retry-After;
// server/stdio_transport.cpp: an isError result) before a request reaches the server.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "platform/common/concurrency_limit.hpp"

namespace runagents::mcp {

struct RequestLimits {
  size_t max_sessions = 0;          // legacy HTTP sessions open at once; 0: no limit
  double requests_per_second = 0;   // per client (HTTP); 0: no limit
  size_t max_concurrent_calls = 0;  // tools/call requests running at once; 0: no limit
};

// A token bucket per client: `per_second` tokens a second, holding at most a second's worth (and
// at least one). Buckets of clients quiet long enough to be full again are dropped.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(double per_second);

  // Takes one token from `client`'s bucket: nullopt when it had one, else how long until it
  // will.
  std::optional<std::chrono::milliseconds> take(const std::string& client,
                                                Clock::time_point now = Clock::now());
  size_t clients() const;

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
  };
  const double rate_;
  const double burst_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_ = Clock::now();
};

// The concurrency cap of --max-concurrent-calls (shared with the devboxes' command cap).
using common::ConcurrencyLimit;

}  // namespace runagents::mcp
