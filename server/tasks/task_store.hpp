// Durable records of tasks (long tool calls run in the background, polled by the client).
//
// One record per task, shared by every server process on the same store: the process that runs a
// task (its owner) writes status, progress and the result; any process answers tasks/get and
// records tasks/update answers and tasks/cancel requests, which the owner picks up by polling.
//
// An implementation provides five primitives (create, get, list, update, purge_expired); the
// transitions (finish, request_input, ...) are written once here on top of update(), so every
// store applies the same rules. Implementations are thread-safe and may be shared by several
// processes (the SQLite one is); every write is durable when the call returns. Failures to reach
// the store throw std::runtime_error (or a subclass) with a message that names the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

enum class TaskStatus { working, input_required, completed, failed, cancelled };

const char* to_string(TaskStatus status);
std::optional<TaskStatus> parse_task_status(const std::string& name);
inline bool is_terminal(TaskStatus s) {
  return s == TaskStatus::completed || s == TaskStatus::failed || s == TaskStatus::cancelled;
}

struct TaskRecord {
  std::string id;         // unguessable (128 random bits, hex)
  std::string era;        // "modern" (the 2026-07-28 extension) or "legacy" (2025-11-25); or
                          // "query": a run_query handle (tools/query_handles.hpp), which
                          // tasks/get and tasks/list do not show
  std::string tool;       // the tool the task runs
  std::string owner;      // the process running it: process_identity() of that process
  std::string principal;  // who may see it (a hash of the caller's credential; empty: anyone)
  TaskStatus status = TaskStatus::working;
  std::string status_message;
  std::int64_t created_ms = 0;  // Unix epoch milliseconds
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> ttl_ms;  // from creation; unset: kept until purged by hand
  std::int64_t poll_interval_ms = 1000;
  json result;           // the CallToolResult, exactly as tools/call would answer (completed, and
                         // legacy failed from an isError result); else null
  json error;            // failed by a JSON-RPC error: the error object {code, message, data?}
  json input_requests;   // input_required: outstanding {key: {method, params}}, else null
  json input_responses;  // answers received by tasks/update and not yet taken by the owner
  bool cancel_requested = false;

  // True when created_ms + ttl_ms has passed by `now_ms`.
  bool expired(std::int64_t now_ms) const { return ttl_ms && created_ms + *ttl_ms <= now_ms; }
  // Who may see and act on the task: the principal that created it; a task created without a
  // principal is visible to anyone.
  bool visible_to(const std::string& caller) const {
    return principal.empty() || principal == caller;
  }
};

class TaskStore {
 public:
  TaskStore() = default;
  virtual ~TaskStore() = default;
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // --- Primitives, one per implementation.

  // Stores a new record (its id must be new).
  virtual void create(const TaskRecord& record) = 0;
  // The record, or nullopt when there is none with that id (never created, or purged).
  virtual std::optional<TaskRecord> get(const std::string& id) = 0;
  // Records visible to `principal` (TaskRecord::visible_to), newest first, at most `limit`,
  // starting after the record `after_id` (empty: from the newest). Empty when `after_id` names
  // no record.
  virtual std::vector<TaskRecord> list(const std::string& principal, const std::string& after_id,
                                       size_t limit) = 0;
  // Atomically (also against other processes) reads the record `id`, calls `change` on it and,
  // when `change` returns true, writes it back. Returns false when there is no such record or
  // `change` returned false. `change` must not call into the store.
  virtual bool update(const std::string& id, const std::function<bool(TaskRecord&)>& change) = 0;
  // Removes records whose ttl has passed by `now_ms`; returns how many.
  virtual size_t purge_expired(std::int64_t now_ms) = 0;
  // How many records there are in each status (by to_string of it; absent: none), for metrics.
  virtual std::map<std::string, size_t> count_by_status() = 0;

  // --- Transitions, built on update(); each stamps updated_ms when it changes the record.

  // Sets the status message of a non-terminal task (progress). False when terminal or unknown.
  bool set_status_message(const std::string& id, const std::string& message);
  // Moves a non-terminal task to a terminal status with its result or error (and clears any
  // outstanding input). A terminal status never changes again: false when the task was already
  // terminal or is unknown.
  bool finish(const std::string& id, TaskStatus status, const json& result, const json& error,
              const std::string& message);
  // Publishes outstanding input requests ({key: {method, params}}) and moves the task to
  // input_required. False when terminal or unknown.
  bool request_input(const std::string& id, const json& input_requests);
  // tasks/update: keeps the answers whose keys are outstanding, drops the rest, and removes the
  // answered keys from input_requests, so the next get shows only what is still missing. Once no
  // key is outstanding the task is working again. False when terminal or unknown (answers to a
  // task that is not waiting are dropped and true is returned).
  bool add_input_responses(const std::string& id, const json& responses);
  // The owner takes the answers received so far ({key: response}, empty when none) and clears
  // them. Empty for an unknown task.
  json take_input_responses(const std::string& id);
  // tasks/cancel: marks the request; the owner sees it through get(). False when unknown.
  bool request_cancel(const std::string& id);
};

// Identifies this process on this machine over time: "pid:starttime:boot_id:pid_namespace"
// (starttime from /proc/<pid>/stat, in clock ticks since boot), so a reused pid is not mistaken
// for the owner. Computed once.
std::string process_identity();
// The identity of process `pid` as seen from this process; empty when there is no such process.
std::string process_identity(int pid);
// False when the process named by `identity` has exited (or is a zombie), or the machine has
// rebooted since. True when it runs, and also when this process cannot tell: another pid
// namespace (a container sharing the data dir), or an identity in another format.
bool process_alive(const std::string& identity);

std::int64_t now_epoch_ms();
// ISO 8601 UTC with milliseconds: 2026-11-27T17:07:05.123Z (common::format_timestamp_ms).
std::string iso8601(std::int64_t epoch_ms);

}  // namespace runagents::mcp
