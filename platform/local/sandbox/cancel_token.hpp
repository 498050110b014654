// CancelToken: stops sandbox commands (Execution, PersistentShell commands) from any thread.
//
// Thread-safety: safe for concurrent use from multiple threads.
#pragma once

#include <atomic>

namespace runagents::platform::local {

// Wakes and stops whatever waits on it. Cancelling is idempotent and cannot be undone; one token
// may be shared by several commands. fd() is an eventfd that stays readable once cancelled, so a
// poll() loop wakes at once.
class CancelToken {
 public:
  CancelToken();  // throws PlatformError(internal) if no eventfd can be created
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(); }
  int fd() const { return fd_; }

 private:
  std::atomic<bool> cancelled_{false};
  int fd_;
};

}  // namespace runagents::platform::local
