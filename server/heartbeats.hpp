// Progress heartbeats for long synchronous calls. Clients abort a call that sends nothing for a
// while (Claude Code after 5 minutes over HTTP; the TypeScript SDK after 60 s unless progress
// resets its timer), even when the work is fine but quiet, like a build that prints nothing. A
// watched request that carries a progress token and has run longer than `after` gets a progress
// notification whenever `every` has passed without one. One thread for all requests, started on
// first use and joined by the destructor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "server/request_context.hpp"

namespace runagents::mcp {

class Heartbeats {
 public:
  Heartbeats(std::chrono::milliseconds after = std::chrono::seconds(20),
             std::chrono::milliseconds every = std::chrono::seconds(15));
  ~Heartbeats();
  Heartbeats(const Heartbeats&) = delete;
  Heartbeats& operator=(const Heartbeats&) = delete;

  // Watches `ctx` while the scope lives; the scope must end before `ctx` does.
  class Scope {
   public:
    Scope(Heartbeats* owner, int handle) : owner_(owner), handle_(handle) {}
    Scope(Scope&& other) noexcept : owner_(other.owner_), handle_(other.handle_) {
      other.owner_ = nullptr;
    }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    Heartbeats* owner_;
    int handle_;
  };
  Scope watch(RequestContext& ctx);

 private:
  void run();
  struct Watched {
    RequestContext* ctx;
    std::chrono::steady_clock::time_point started;
  };
  const std::chrono::milliseconds after_, every_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, Watched> watched_;
  int next_ = 1;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runagents::mcp
