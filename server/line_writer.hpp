// The stdio transport's writer: whole lines to one fd, in the order send() was called, without
// ever making a caller wait on a client that does not read.
//
// The first caller to find the writer idle writes its line and then everything queued behind it
// (other callers only queue and return). Writes go in slices: the writer waits for the fd to
// accept more (poll POLLOUT, 100 ms at a time) and writes at most PIPE_BUF bytes, which a pipe
// takes without blocking. A socket (Node.js spawns its children's stdio as socketpairs) is sent
// to without blocking (MSG_DONTWAIT) first, and waited on only when its buffer is full: one system
// call per answer instead of two. If the client stops reading for `stall_limit`, or more than
// `max_queued_bytes` pile up, the writer gives up: it logs why, drops what is queued, and every
// later send() returns false; stalled() then tells the transport to end the session.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>

#include "server/json_rpc.hpp"
#include "server/session.hpp"

namespace runagents::mcp {

struct LineWriterLimits {
  std::chrono::milliseconds stall_limit{60000};
  size_t max_queued_bytes = 64u << 20;
};

class LineWriter : public Outbound {
 public:
  explicit LineWriter(int fd, LineWriterLimits limits = {});

  bool send(const json& message) override { return write_line(serialize(message)); }
  // Queues `line` (a newline is added) and writes it unless another caller is writing. False
  // once the client has closed its end or the writer gave up on it.
  bool write_line(std::string line);

  // True once the writer gave up on a client that stopped reading (not on a closed pipe).
  bool stalled() const { return stalled_.load(); }
  // True once nothing more can be delivered (closed, or stalled).
  bool broken() const { return broken_.load(); }

 private:
  // Writes `data` in slices; false when the fd is closed or the client stalled past the limit.
  bool write_all(const std::string& data);
  void give_up(const std::string& why, bool stalled);

  const int fd_;
  const bool socket_;  // fd_ is a socket: send() without blocking
  const LineWriterLimits limits_;
  std::mutex mu_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool writing_ = false;           // guarded by mu_: a caller is draining the queue
  std::atomic<bool> broken_{false};
  std::atomic<bool> stalled_{false};
};

}  // namespace runagents::mcp
