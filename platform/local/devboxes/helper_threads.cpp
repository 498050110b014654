#include "platform/local/devboxes/helper_threads.hpp"

namespace runagents::platform::local {

void HelperThreads::spawn(std::function<void()> work) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard lock(mu_);
  threads_.push_back({std::thread([work = std::move(work), done] {
                        work();
                        done->store(true);
                      }),
                      done});
}

void HelperThreads::join(bool all) {
  std::list<Helper> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = threads_.begin(); it != threads_.end();) {
      auto next = std::next(it);
      if (all || it->done->load()) finished.splice(finished.end(), threads_, it);
      it = next;
    }
  }
  for (auto& h : finished)
    if (h.thread.joinable()) h.thread.join();
}

}  // namespace runagents::platform::local
