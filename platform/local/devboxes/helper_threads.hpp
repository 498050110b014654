// Helper threads of the local devboxes: each async execution's finisher (it records the result
// when the command ends) and each async snapshot's copy run on one, and are joined once done.
// Internal to platform/local.
//
// Thread-safety: spawn() and join() are safe to call from multiple threads.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace runagents::platform::local {

class HelperThreads {
 public:
  HelperThreads() = default;
  HelperThreads(const HelperThreads&) = delete;
  HelperThreads& operator=(const HelperThreads&) = delete;

  // Runs `work` on a new thread.
  void spawn(std::function<void()> work);
  // Joins the finished threads; every one when `all` (at destruction of the service, after its
  // sandboxes were killed, so none of them waits long).
  void join(bool all);

 private:
  struct Helper {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex mu_;
  std::list<Helper> threads_;
};

}  // namespace runagents::platform::local
