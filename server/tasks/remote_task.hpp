// A task whose work lives in a remote service (a Runloop execution, say), for the 2026-07-28
// Tasks extension: the task is a handle on the service's own state, not a record in this
// server's store.
//
// A tool offers RemoteTaskOps when its domain is answered by a remote service. When a call
// becomes a task, start() begins the work in the service and returns a handle, the JSON that
// names it there ({devbox_id, execution_id, ...}); the server seals that handle into the task id
// (server/tasks/remote_tasks.hpp). From then on tasks/get asks the service through poll() and
// tasks/cancel through cancel(), so any replica that shares the state key answers for the task,
// on any machine, and no server process holds it: a replica may die without failing the task.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "server/json_rpc.hpp"
#include "server/request_context.hpp"
#include "server/tasks/task_store.hpp"

namespace runagents::mcp {

// What the service says of the work now.
struct RemoteTaskState {
  TaskStatus status = TaskStatus::working;  // never input_required: remote work asks nothing
  std::string message;                      // statusMessage
  json result;                              // completed: the CallToolResult tools/call would give
  json error;                               // failed: {code, message}
};

struct RemoteTaskOps {
  // Starts the work in the service and returns its handle, or nullopt when this call should run
  // as an in-process task instead. Throws as the tool's handler would (the call then answers
  // synchronously with the error).
  std::function<std::optional<json>(const json& arguments, RequestContext& ctx)> start;
  // Reads the work's state from the service. It may act on what it finds (a command past its
  // timeout is killed by whichever replica polls first). A service it cannot reach is a
  // `working` state whose message says so, not a failure: the next poll tries again.
  std::function<RemoteTaskState(const json& handle)> poll;
  // Stops the work in the service, so that later polls report `cancelled`. Quick; may throw.
  std::function<void(const json& handle)> cancel;
};

}  // namespace runagents::mcp
