#include "server/tasks/task_store.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "platform/common/timestamps.hpp"

namespace runagents::mcp {

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::working:
      return "working";
    case TaskStatus::input_required:
      return "input_required";
    case TaskStatus::completed:
      return "completed";
    case TaskStatus::failed:
      return "failed";
    case TaskStatus::cancelled:
      return "cancelled";
  }
  return "working";
}

std::optional<TaskStatus> parse_task_status(const std::string& name) {
  for (auto s : {TaskStatus::working, TaskStatus::input_required, TaskStatus::completed,
                 TaskStatus::failed, TaskStatus::cancelled})
    if (name == to_string(s)) return s;
  return std::nullopt;
}

bool TaskStore::set_status_message(const std::string& id, const std::string& message) {
  return update(id, [&](TaskRecord& r) {
    if (is_terminal(r.status)) return false;
    if (r.status_message == message) return true;  // nothing changed: no write
    r.status_message = message;
    r.updated_ms = now_epoch_ms();
    return true;
  });
}

bool TaskStore::finish(const std::string& id, TaskStatus status, const json& result,
                       const json& error, const std::string& message) {
  return update(id, [&](TaskRecord& r) {
    if (is_terminal(r.status)) return false;
    r.status = status;
    r.result = result;
    r.error = error;
    r.status_message = message;
    r.input_requests = nullptr;
    r.input_responses = nullptr;
    r.updated_ms = now_epoch_ms();
    return true;
  });
}

bool TaskStore::request_input(const std::string& id, const json& input_requests) {
  return update(id, [&](TaskRecord& r) {
    if (is_terminal(r.status)) return false;
    r.status = TaskStatus::input_required;
    r.input_requests = input_requests;
    r.updated_ms = now_epoch_ms();
    return true;
  });
}

bool TaskStore::add_input_responses(const std::string& id, const json& responses) {
  bool found = false, terminal = false;
  update(id, [&](TaskRecord& r) {
    found = true;
    terminal = is_terminal(r.status);
    if (terminal || r.status != TaskStatus::input_required || !r.input_requests.is_object() ||
        !responses.is_object())
      return false;
    bool changed = false;
    for (auto it = responses.begin(); it != responses.end(); ++it) {
      // Only outstanding keys count: never issued, already answered or superseded are ignored.
      if (!r.input_requests.contains(it.key())) continue;
      if (!r.input_responses.is_object()) r.input_responses = json::object();
      r.input_responses[it.key()] = it.value();
      r.input_requests.erase(it.key());
      changed = true;
    }
    if (!changed) return false;
    if (r.input_requests.empty()) {
      r.status = TaskStatus::working;
      r.input_requests = nullptr;
    }
    r.updated_ms = now_epoch_ms();
    return true;
  });
  // update() also says false for "nothing to change"; only a missing or terminal task is false.
  return found && !terminal;
}

json TaskStore::take_input_responses(const std::string& id) {
  json taken = json::object();
  update(id, [&](TaskRecord& r) {
    if (!r.input_responses.is_object() || r.input_responses.empty()) return false;
    taken = std::move(r.input_responses);
    r.input_responses = nullptr;
    return true;
  });
  return taken;
}

bool TaskStore::request_cancel(const std::string& id) {
  bool found = false;
  update(id, [&](TaskRecord& r) {
    found = true;
    if (r.cancel_requested || is_terminal(r.status)) return false;
    r.cancel_requested = true;
    return true;
  });
  return found;
}

std::int64_t now_epoch_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso8601(std::int64_t epoch_ms) {
  return common::format_timestamp_ms(epoch_ms);
}

}  // namespace runagents::mcp
