// The local devboxes' reaper: a thread that applies the idle policy. Every `interval` it looks at
// the running devboxes; one with no activity (exec, file access, keep_alive) for its
// launch_parameters.keep_alive_time_seconds and no command running in this process is handed to
// `on_idle` (which suspends it or shuts it down, as launch_parameters.on_idle says); a busy one is
// touched instead. Internal to platform/local.
//
// Thread-safety: the thread starts in the constructor and is stopped and joined by the
// destructor, which must not run on the reaper's own thread (from `on_idle` or `after_round`).
// Errors of a round are logged and the next round runs as usual.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "platform/local/devboxes/devbox_rows.hpp"
#include "platform/local/devboxes/devbox_runtimes.hpp"

namespace runagents::platform::local {

class DevboxReaper {
 public:
  // Called with an idle devbox's id and its launch parameters.
  using IdleAction = std::function<void(const std::string& id, const DevboxLaunchParameters& lp)>;

  // `after_round` runs after every round (the service joins its finished helper threads there).
  DevboxReaper(std::chrono::milliseconds interval, DevboxRows& rows, DevboxRuntimes& runtimes,
               IdleAction on_idle, std::function<void()> after_round);
  ~DevboxReaper();
  DevboxReaper(const DevboxReaper&) = delete;
  DevboxReaper& operator=(const DevboxReaper&) = delete;

 private:
  void loop();
  void reap_once();

  const std::chrono::milliseconds interval_;
  DevboxRows& rows_;
  DevboxRuntimes& runtimes_;
  const IdleAction on_idle_;
  const std::function<void()> after_round_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace runagents::platform::local
