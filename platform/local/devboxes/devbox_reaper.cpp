#include "platform/local/devboxes/devbox_reaper.hpp"

#include <spdlog/spdlog.h>

namespace runagents::platform::local {

DevboxReaper::DevboxReaper(std::chrono::milliseconds interval, DevboxRows& rows,
                           DevboxRuntimes& runtimes, IdleAction on_idle,
                           std::function<void()> after_round)
    : interval_(interval),
      rows_(rows),
      runtimes_(runtimes),
      on_idle_(std::move(on_idle)),
      after_round_(std::move(after_round)) {
  thread_ = std::thread([this] { loop(); });
}

DevboxReaper::~DevboxReaper() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DevboxReaper::loop() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    try {
      reap_once();
    } catch (const std::exception& e) {
      spdlog::warn("devbox idle check failed: {}", e.what());
    }
    after_round_();
    lock.lock();
  }
}

void DevboxReaper::reap_once() {
  const auto now = now_ms();
  for (const auto& d : rows_.running()) {
    const auto& lp = d.launch_parameters;
    if (now - d.last_active_ms < lp.keep_alive_time_seconds * 1000) continue;
    if (runtimes_.busy(d.id)) {
      rows_.touch(d.id);
      continue;
    }
    spdlog::info("devbox {} idle for {} s: {}", d.id, lp.keep_alive_time_seconds, lp.on_idle);
    on_idle_(d.id, lp);
  }
}

}  // namespace runagents::platform::local
