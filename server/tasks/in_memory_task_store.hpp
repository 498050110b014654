// A TaskStore held in this process's memory: for the conformance fixture and tests. Records die
// with the process, so a second process sees none of them. Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "server/tasks/task_store.hpp"

namespace runagents::mcp {

class InMemoryTaskStore : public TaskStore {
 public:
  void create(const TaskRecord& record) override;
  std::optional<TaskRecord> get(const std::string& id) override;
  std::vector<TaskRecord> list(const std::string& principal, const std::string& after_id,
                               size_t limit) override;
  bool update(const std::string& id, const std::function<bool(TaskRecord&)>& change) override;
  size_t purge_expired(std::int64_t now_ms) override;
  std::map<std::string, size_t> count_by_status() override;

 private:
  std::mutex mu_;
  std::map<std::string, TaskRecord> records_;
};

}  // namespace runagents::mcp
