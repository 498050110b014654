#include "server/heartbeats.hpp"

namespace runagents::mcp {

Heartbeats::Heartbeats(std::chrono::milliseconds after, std::chrono::milliseconds every)
    : after_(after), every_(every) {}

Heartbeats::~Heartbeats() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Heartbeats::Scope::~Scope() {
  if (!owner_) return;
  std::lock_guard lock(owner_->mu_);
  owner_->watched_.erase(handle_);
}

Heartbeats::Scope Heartbeats::watch(RequestContext& ctx) {
  if (!ctx.has_progress_token()) return Scope(nullptr, 0);
  std::lock_guard lock(mu_);
  int handle = next_++;
  watched_[handle] = Watched{&ctx, std::chrono::steady_clock::now()};
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  return Scope(this, handle);
}

void Heartbeats::run() {
  const auto tick = std::min<std::chrono::milliseconds>(std::chrono::seconds(1), every_ / 2);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, tick);
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    // Beats are sent under the lock: a Scope cannot end (and its context go away) meanwhile.
    // A beat is one non-blocking send.
    for (auto& [_, w] : watched_) {
      if (now - w.started < after_ || now - w.ctx->last_progress_at() < every_) continue;
      if (w.ctx->cancelled()) continue;
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(now - w.started).count();
      w.ctx->heartbeat("still running (" + std::to_string(secs) + " s)");
    }
  }
}

}  // namespace runagents::mcp
