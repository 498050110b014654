// The one cancellation type of the tree below the MCP core: a signal the caller fires from any
// thread to stop work in progress (a devbox command, a resumed agent handler, a query), from the
// tool down to the process group. The tools make one per MCP request in one place
// (tools/request_cancel.hpp); a query's deadline fires the same one (queries/query_stop.hpp); the
// sandbox takes it as is (ExecOptions::cancel) and its supervisors poll fd().
//
// Two ways to wait on it, for two kinds of waiter:
// - hooks (on_cancel): code that must act (close a socket, post to an io_context, fire another
//   signal) registers a quick callback;
// - fd(): a poll() loop (the sandbox's process supervisors) adds an eventfd that turns readable
//   when the signal fires and stays readable. The eventfd is made on the first fd() call, so a
//   signal nobody polls holds no descriptor; it is closed by the destructor.
// cancelled() answers at any time without blocking.
//
// Cancelling is idempotent and cannot be undone; one signal may be shared by several commands.
//
// Thread-safety: every member is safe to call from any thread at any time (the destructor
// excepted). cancel() runs the hooks on the calling thread, outside the internal lock, so a hook
// may call back into this object; a hook removed while cancel() runs may still run once after
// remove() returns, so it must not reach a stack frame that may be gone (capture shared state).
// fd() and cancel() are ordered by the lock: an fd made after cancel() is readable at once.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace runagents::platform {

class ExecCancel {
 public:
  ExecCancel() = default;
  ~ExecCancel();  // closes the eventfd, if fd() made one
  ExecCancel(const ExecCancel&) = delete;
  ExecCancel& operator=(const ExecCancel&) = delete;

  // Marks it cancelled, makes fd() readable and runs the registered hooks once (on this
  // thread); later calls do nothing. `reason` (optional, e.g. "server stopped") says why, for
  // what the stopped work records; empty means the caller cancelled.
  void cancel(std::string reason = {});
  bool cancelled() const { return cancelled_.load(); }
  // The reason the first cancel() gave ("" when none, or not cancelled).
  std::string reason() const;

  // Registers `hook`; returns a handle for remove(). After cancel() the hook runs at once, on
  // this thread (handle 0). Hooks must be quick.
  int on_cancel(std::function<void()> hook);
  void remove(int handle);

  // An eventfd (non-blocking, close-on-exec) that is readable once cancelled; the same fd for
  // the object's life. Made on the first call. Throws PlatformError(internal) when no eventfd
  // can be made (the descriptor limit): call it on the thread that can report that, before
  // handing the signal to a thread that polls (the sandbox does, when it takes a command).
  int fd() const;

 private:
  mutable std::mutex mu_;
  std::atomic<bool> cancelled_{false};
  mutable int fd_ = -1;  // guarded by mu_
  int next_ = 0;
  std::string reason_;  // guarded by mu_
  std::map<int, std::function<void()>> hooks_;
};

}  // namespace runagents::platform
