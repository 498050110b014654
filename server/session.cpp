#include "server/session.hpp"

namespace runagents::mcp {

void PendingClientRequest::fulfil(Message response) {
  {
    std::lock_guard lock(mu_);
    response_ = std::move(response);
  }
  cv_.notify_all();
}

std::optional<Message> PendingClientRequest::wait(std::chrono::steady_clock::time_point deadline,
                                                  const Cancellation& cancellation) {
  // Wake periodically to notice cancellation without coupling the two condition variables.
  std::unique_lock lock(mu_);
  while (!response_) {
    if (cancellation.cancelled()) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::nullopt;
    cv_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(50)));
  }
  return std::move(response_);
}

Session::Session(std::string id)
    : id_(std::move(id)), last_activity_(std::chrono::steady_clock::now().time_since_epoch()) {}

bool Session::initialized() const {
  return initialized_.load(std::memory_order_acquire);
}

void Session::set_initialized(std::string version, json client_capabilities, json client_info) {
  std::lock_guard lock(mu_);
  if (initialized_.load(std::memory_order_relaxed)) return;  // the first initialize stands
  version_ = std::move(version);
  client_capabilities_ =
      client_capabilities.is_object() ? std::move(client_capabilities) : json::object();
  client_info_ = std::move(client_info);
  initialized_.store(true, std::memory_order_release);
}

std::string Session::protocol_version() const {
  // Written once, before `initialized_` turns true, and never again.
  if (initialized_.load(std::memory_order_acquire)) return version_;
  std::lock_guard lock(mu_);
  return version_;
}

json Session::client_info() const {
  std::lock_guard lock(mu_);
  return client_info_;
}

bool declares_capability(const json& capabilities, const std::string& name) {
  if (!capabilities.is_object()) return false;
  auto declared = [&](const json& map) {
    auto it = map.find(name);
    return it != map.end() && !it->is_null() && *it != false;
  };
  if (declared(capabilities)) return true;
  auto ext = capabilities.find("extensions");
  return ext != capabilities.end() && ext->is_object() && declared(*ext);
}

bool Session::client_has(const std::string& capability) const {
  std::lock_guard lock(mu_);
  return declares_capability(client_capabilities_, capability);
}

LogLevel Session::log_level() const {
  std::lock_guard lock(mu_);
  return log_level_;
}

void Session::set_log_level(LogLevel level) {
  std::lock_guard lock(mu_);
  log_level_ = level;
}

std::shared_ptr<Cancellation> Session::begin_request(const json& id) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = in_flight_.emplace(key(id), nullptr);
  if (!inserted) return nullptr;
  it->second = std::make_shared<Cancellation>();
  return it->second;
}

void Session::end_request(const json& id) {
  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key(id));
  }
  idle_cv_.notify_all();
}

bool Session::cancel_request(const json& id, const std::string& reason) {
  std::shared_ptr<Cancellation> c;
  {
    std::lock_guard lock(mu_);
    auto it = in_flight_.find(key(id));
    if (it == in_flight_.end()) return false;
    c = it->second;
  }
  c->cancel(reason);
  return true;
}

void Session::cancel_all(const std::string& reason) {
  std::vector<std::shared_ptr<Cancellation>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, c] : in_flight_) all.push_back(c);
  }
  for (auto& c : all) c->cancel(reason);
}

bool Session::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return in_flight_.empty(); });
}

size_t Session::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

json Session::next_outgoing_id() {
  return "srv-" + std::to_string(++next_outgoing_);
}

std::shared_ptr<PendingClientRequest> Session::expect_response(const json& id) {
  auto pending = std::make_shared<PendingClientRequest>();
  std::lock_guard lock(mu_);
  awaiting_[key(id)] = pending;
  return pending;
}

void Session::forget_response(const json& id) {
  std::lock_guard lock(mu_);
  awaiting_.erase(key(id));
}

bool Session::resolve(Message response) {
  std::shared_ptr<PendingClientRequest> pending;
  {
    std::lock_guard lock(mu_);
    auto it = awaiting_.find(key(response.id));
    if (it == awaiting_.end()) return false;
    pending = std::move(it->second);
    awaiting_.erase(it);
  }
  pending->fulfil(std::move(response));
  return true;
}

void Session::subscribe(const std::string& uri) {
  std::lock_guard lock(mu_);
  subscriptions_.insert(uri);
}

void Session::unsubscribe(const std::string& uri) {
  std::lock_guard lock(mu_);
  subscriptions_.erase(uri);
}

bool Session::subscribed(const std::string& uri) const {
  std::lock_guard lock(mu_);
  return subscriptions_.count(uri) > 0;
}

void Session::set_unsolicited_channel(std::shared_ptr<Outbound> channel) {
  std::lock_guard lock(mu_);
  unsolicited_ = std::move(channel);
}

bool Session::send_unsolicited(const json& message) {
  std::shared_ptr<Outbound> channel;
  {
    std::lock_guard lock(mu_);
    channel = unsolicited_;
  }
  return channel && channel->send(message);
}

void Session::touch() {
  last_activity_.store(std::chrono::steady_clock::now().time_since_epoch(),
                       std::memory_order_relaxed);
}

std::chrono::steady_clock::time_point Session::last_activity() const {
  return std::chrono::steady_clock::time_point(last_activity_.load(std::memory_order_relaxed));
}

void Session::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    unsolicited_.reset();
  }
  cancel_all("session ended");
}

bool Session::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace runagents::mcp
