// The one platform-side cancellation type: a signal the caller fires from any thread to stop
// work in progress (a devbox command, a resumed agent handler, a query), from the tool down to
// the process group. Platform code hooks it (kill the process, close the socket, stop the
// query); it never polls the MCP request. The tools make one per MCP request in one place
// (tools/request_cancel.hpp); a query's deadline fires the same one (queries/query_stop.hpp).
// Thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>

namespace runagents::platform {

class ExecCancel {
 public:
  // Runs the registered hooks once (on this thread); later calls do nothing.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }
  // Registers `hook`; returns a handle for remove(). After cancel() the hook runs at once, on
  // this thread (handle 0). Hooks must be quick.
  int on_cancel(std::function<void()> hook);
  void remove(int handle);

 private:
  mutable std::mutex mu_;
  std::atomic<bool> cancelled_{false};
  int next_ = 0;
  std::map<int, std::function<void()>> hooks_;
};

}  // namespace runagents::platform
