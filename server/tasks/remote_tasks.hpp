// Remote tasks (server/tasks/remote_task.hpp): the task id is the tool's handle sealed with the
// server's state key (HMAC-SHA256, the same key and codec as requestState), with the tool's name,
// the creation time, the ttl and the poll interval. Nothing is stored: tasks/get and tasks/cancel
// open the id, check it (a forged, altered or expired id is "Task not found") and ask the tool's
// RemoteTaskOps. Ids start with "rt." so they never collide with the store's (hex) ids.
//
// Only the 2026-07-28 era creates remote tasks: legacy tasks belong to one session, which lives in
// one process anyway. No notifications/tasks are sent for them (their state changes in the
// service, where no server sees it happen): clients poll, as the extension requires them to.
//
// Thread-safe: holds nothing mutable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "server/json_rpc.hpp"
#include "server/request_state.hpp"
#include "server/tasks/remote_task.hpp"

namespace runagents::mcp {

class RemoteTasks {
 public:
  // The ops of the tool named, or nullptr when it has none (any more).
  using OpsLookup = std::function<const RemoteTaskOps*(const std::string& tool)>;

  // `codec` must outlive this object (the server's, so replicas sharing the key share tasks).
  RemoteTasks(const RequestStateCodec& codec, OpsLookup lookup, std::int64_t ttl_ms,
              std::int64_t poll_interval_ms);

  static bool is_remote_id(const std::string& task_id);

  // The CreateTaskResult for work `tool` started with `handle`.
  json create(const std::string& tool, const json& handle) const;
  // tasks/get: {resultType:"complete", ...DetailedTask}, the state read from the service now.
  json get(const std::string& task_id) const;
  // tasks/cancel: stops the work (unless it has ended) and acks {resultType:"complete"}.
  json cancel(const std::string& task_id) const;
  // tasks/update: remote work never waits for input; the answers are ignored and acked.
  json update(const std::string& task_id) const;

 private:
  struct Opened;
  Opened open(const std::string& task_id) const;

  const RequestStateCodec& codec_;
  OpsLookup lookup_;
  std::int64_t ttl_ms_;
  std::int64_t poll_interval_ms_;
};

}  // namespace runagents::mcp
