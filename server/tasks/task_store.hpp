// Durable records of tasks (long tool calls run in the background, polled by the client).
//
// One record per task, shared by every server process on the same store: the process that runs a
// task (its owner) writes status, progress and the result; any process answers tasks/get and
// records tasks/update answers and tasks/cancel requests, which the owner picks up by polling.
// Implementations are thread-safe and may be shared by several processes (the SQLite one is);
// every write is durable when the call returns.
#pragma once

#include <cstdint>
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
  std::string era;        // "modern" (the 2026-07-28 extension) or "legacy" (2025-11-25)
  std::string tool;       // the tool the task runs
  std::string owner;      // the process running it: process_identity() of that process
  std::string principal;  // who may see it (a hash of the caller's credential; empty: anyone)
  TaskStatus status = TaskStatus::working;
  std::string status_message;
  std::int64_t created_ms = 0;  // Unix epoch milliseconds
  std::int64_t updated_ms = 0;
  std::optional<std::int64_t> ttl_ms;  // from creation; unset: kept until purged by hand
  std::int64_t poll_interval_ms = 1000;
  json result;           // completed: the CallToolResult, exactly as tools/call would answer
  json error;            // failed: the JSON-RPC error object {code, message, data?}
  json input_requests;   // input_required: outstanding {key: {method, params}}, else null
  json input_responses;  // answers received by tasks/update and not yet taken by the owner
  bool cancel_requested = false;
};

class TaskStore {
 public:
  virtual ~TaskStore() = default;

  // Stores a new record. Throws std::runtime_error when the store cannot be written.
  virtual void create(const TaskRecord& record) = 0;
  // The record, or nullopt when there is none with that id (never created, or purged).
  virtual std::optional<TaskRecord> get(const std::string& id) = 0;
  // Records of `principal`, newest first, at most `limit` after `after_id` (empty: from the top).
  virtual std::vector<TaskRecord> list(const std::string& principal, const std::string& after_id,
                                       size_t limit) = 0;

  // Sets the status message of a non-terminal task (progress). False when terminal or unknown.
  virtual bool set_status_message(const std::string& id, const std::string& message) = 0;
  // Moves a non-terminal task to a terminal status with its result or error. A terminal status
  // never changes again: false when the task was already terminal or is unknown.
  virtual bool finish(const std::string& id, TaskStatus status, const json& result,
                      const json& error, const std::string& message) = 0;
  // Publishes outstanding input requests and moves the task to input_required. False when
  // terminal or unknown.
  virtual bool request_input(const std::string& id, const json& input_requests) = 0;
  // tasks/update: keeps the answers whose keys are outstanding, drops the rest, and removes the
  // answered keys from input_requests (so the next get shows only what is still missing). False
  // when terminal or unknown.
  virtual bool add_input_responses(const std::string& id, const json& responses) = 0;
  // The owner takes the answers received so far (and clears them); once no request is
  // outstanding, the task is working again.
  virtual json take_input_responses(const std::string& id) = 0;
  // tasks/cancel: marks the request; the owner sees it through get(). False when unknown.
  virtual bool request_cancel(const std::string& id) = 0;
  // Removes records whose ttl has passed by `now_ms`; returns how many.
  virtual size_t purge_expired(std::int64_t now_ms) = 0;
};

// "pid:starttime" of this process: unique on one machine over time, checked by process_alive().
std::string process_identity();
// False when the process named by `identity` (from process_identity()) has exited.
bool process_alive(const std::string& identity);

std::int64_t now_epoch_ms();
// ISO 8601 UTC with milliseconds: 2026-11-27T17:07:05.123Z.
std::string iso8601(std::int64_t epoch_ms);

}  // namespace runagents::mcp
