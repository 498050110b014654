#include "server/tasks/in_memory_task_store.hpp"

#include <algorithm>
#include <stdexcept>

namespace runagents::mcp {

void InMemoryTaskStore::create(const TaskRecord& record) {
  std::lock_guard lock(mu_);
  if (!records_.emplace(record.id, record).second)
    throw std::runtime_error("task " + record.id + " already exists in the task store");
}

std::optional<TaskRecord> InMemoryTaskStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<TaskRecord> InMemoryTaskStore::list(const std::string& principal,
                                                const std::string& after_id, size_t limit) {
  std::lock_guard lock(mu_);
  std::vector<const TaskRecord*> visible;
  for (const auto& [id, r] : records_)
    if (r.visible_to(principal)) visible.push_back(&r);
  // Newest first; ties broken by id, descending, as the SQLite store orders them.
  std::sort(visible.begin(), visible.end(), [](const TaskRecord* a, const TaskRecord* b) {
    return a->created_ms != b->created_ms ? a->created_ms > b->created_ms : a->id > b->id;
  });
  auto from = visible.begin();
  if (!after_id.empty()) {
    auto anchor = records_.find(after_id);
    if (anchor == records_.end()) return {};
    const TaskRecord& a = anchor->second;
    from = std::find_if(visible.begin(), visible.end(), [&](const TaskRecord* r) {
      return r->created_ms < a.created_ms || (r->created_ms == a.created_ms && r->id < a.id);
    });
  }
  std::vector<TaskRecord> page;
  for (auto it = from; it != visible.end() && page.size() < limit; ++it) page.push_back(**it);
  return page;
}

bool InMemoryTaskStore::update(const std::string& id,
                               const std::function<bool(TaskRecord&)>& change) {
  std::lock_guard lock(mu_);
  auto it = records_.find(id);
  if (it == records_.end()) return false;
  TaskRecord copy = it->second;  // a change that declines leaves the record as it was
  if (!change(copy)) return false;
  it->second = std::move(copy);
  return true;
}

size_t InMemoryTaskStore::purge_expired(std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  return std::erase_if(records_, [&](const auto& entry) { return entry.second.expired(now_ms); });
}

std::map<std::string, size_t> InMemoryTaskStore::count_by_status() {
  std::lock_guard lock(mu_);
  std::map<std::string, size_t> counts;
  for (const auto& [id, record] : records_) ++counts[std::string(to_string(record.status))];
  return counts;
}

}  // namespace runagents::mcp
