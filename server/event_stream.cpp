#include "server/event_stream.hpp"

#include <charconv>

namespace runagents::mcp {

std::string format_sse_event(std::string_view id, std::string_view data) {
  std::string out;
  out.reserve(data.size() + id.size() + 32);
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  out += "event: message\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

std::optional<std::pair<long long, long long>> parse_event_id(std::string_view id) {
  auto sep = id.find('_');
  if (sep == std::string_view::npos || sep == 0 || sep + 1 >= id.size()) return std::nullopt;
  long long stream = 0, seq = 0;
  auto a = std::from_chars(id.data(), id.data() + sep, stream);
  auto b = std::from_chars(id.data() + sep + 1, id.data() + id.size(), seq);
  if (a.ec != std::errc() || a.ptr != id.data() + sep || b.ec != std::errc() ||
      b.ptr != id.data() + id.size()) {
    return std::nullopt;
  }
  return std::make_pair(stream, seq);
}

EventStream::EventStream(long long stream_id, size_t history_limit)
    : id_(stream_id), history_limit_(history_limit) {}

std::string EventStream::event_id(long long seq) const {
  return std::to_string(id_) + "_" + std::to_string(seq);
}

bool EventStream::push(std::string data, bool final) {
  {
    std::lock_guard lock(mu_);
    if (closed_ || finished_) return false;
    events_.push_back({next_seq_++, std::move(data), final});
    if (final) finished_ = true;
    while (events_.size() > history_limit_) events_.pop_front();
  }
  cv_.notify_all();
  return true;
}

bool EventStream::send(const json& message) { return push(serialize(message), false); }
bool EventStream::finish(const json& response) { return push(serialize(response), true); }

void EventStream::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

bool EventStream::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

std::optional<EventStream::Event> EventStream::next(long long after,
                                                    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto find = [&]() -> const Event* {
    for (const auto& e : events_) {
      if (e.seq > after) return &e;
    }
    return nullptr;
  };
  const Event* found = nullptr;
  cv_.wait_for(lock, timeout, [&] { return (found = find()) != nullptr || closed_; });
  if (!found) found = find();
  if (!found) return std::nullopt;
  return *found;
}

}  // namespace runagents::mcp
