// Runs tool calls as tasks and answers the task methods of both protocol eras from one store.
//
// start() persists a record, then runs the work on a thread of its own and returns at once; the
// work reports progress and asks for input through a TaskChannel, and its result (or RpcError)
// settles the record. Any manager on the same store (another process on the same data dir)
// answers tasks/get, tasks/update, tasks/cancel, tasks/list and tasks/result for it: requests
// that must reach the running work (cancel, input) go through the store, where the owner's
// watcher thread picks them up (every watch_interval) — at once when the owner is this manager.
//
// Wire forms: the 2026-07-28 extension io.modelcontextprotocol/tasks (Era::modern) and the
// 2025-11-25 experimental tasks (Era::legacy); see server/tasks/task_wire.hpp. They differ on
// outcome: a tool result with isError completes a modern task but fails a legacy one (with the
// error text as statusMessage, which is all VS Code shows). A JSON-RPC error (RpcError) fails
// either, with `error` {code, message, data?}.
//
// Failures: every method taking `params` throws RpcError(-32602) for a missing or malformed
// taskId, and "Failed to retrieve task: Task not found" for an id that is unknown, expired
// (purged on sight), or belongs to another principal. Store failures propagate as
// std::runtime_error (the dispatcher answers -32603).
//
// Liveness: a task whose owner process has exited (process_alive) is written `failed` ("the
// server process running this task exited") by the first lookup that notices, so no task stays
// working for ever. A task past its ttl is gone: its work is cancelled by its owner.
//
// Thread-safety: every method may be called from any thread. The destructor calls shutdown() if
// nobody did and joins every thread it started (a work that ignores its Cancellation delays it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/cancellation.hpp"
#include "server/json_rpc.hpp"
#include "server/request_context.hpp"
#include "server/tasks/task_store.hpp"

namespace runagents::mcp {

struct TaskStart {
  Era era = Era::modern;
  std::string tool;
  // Legacy: params.task.ttl as the client asked (clamped to the manager's bounds). Modern: the
  // server's choice; unset means the default.
  std::optional<std::int64_t> ttl_ms;
  std::string principal;  // who may see the task (empty: anyone)
  // Legacy: where notifications/tasks/status go (the session's channel), sent by this manager
  // whenever the task's status changes while it runs here; null: none.
  std::shared_ptr<Outbound> status_notifications;
};

// Runs the tool call; returns the CallToolResult JSON (isError results included) or throws
// RpcError for a protocol error (the task fails with that error). `channel` gives input
// (await_input) and status lines; `cancel` is cancelled by tasks/cancel (from any process), by
// expiry and by shutdown. Runs on the task's own thread; any other exception fails the task with
// -32603 and its what().
using TaskWork =
    std::function<json(TaskChannel& channel, const std::shared_ptr<Cancellation>& cancel)>;

// Legacy tasks/result: sends one request (elicitation/create, sampling/createMessage) to the
// client, on the stream of the tasks/result call, and returns the client's answer. Throws when it
// cannot (the error propagates out of result(); the request stays outstanding).
using InputRelay = std::function<json(const std::string& method, const json& params)>;

struct TaskManagerOptions {
  // ttlMs: the default, and the bounds a requested ttl is clamped to. An hour outlives the longest
  // tool call (devbox_exec, queries) with room for the client to fetch the result.
  std::int64_t default_ttl_ms = 60 * 60 * 1000;
  std::int64_t min_ttl_ms = 60 * 1000;
  std::int64_t max_ttl_ms = 24 * 60 * 60 * 1000;
  // pollIntervalMs suggested to clients. One second: our tasks run for tens of seconds to
  // minutes, and VS Code polls at exactly this rate.
  std::int64_t poll_interval_ms = 1000;
  // How often the owner looks in the store for cancel requests and flushes status lines.
  std::chrono::milliseconds watch_interval{200};
  // How often a task waiting for input (or a tasks/result call) looks in the store.
  std::chrono::milliseconds input_poll_interval{150};
  // Status lines reach the store at most this often (the latest one always does).
  std::chrono::milliseconds status_write_interval{250};
  // A cancelled work that has not returned after this long is recorded `cancelled` anyway, so
  // clients see a terminal state promptly (the work's late result is dropped).
  std::chrono::milliseconds cancel_grace{5000};
  // tasks/list page size.
  size_t list_page_size = 50;
};

class TaskManager {
 public:
  TaskManager(std::shared_ptr<TaskStore> store, std::string owner = process_identity(),
              TaskManagerOptions options = {});
  ~TaskManager();
  TaskManager(const TaskManager&) = delete;
  TaskManager& operator=(const TaskManager&) = delete;

  // Persists a new task (durable before this returns), starts `work` on its own thread, and
  // returns the CreateTaskResult in the era's form: modern {resultType:"task", taskId, status,
  // createdAt, lastUpdatedAt, ttlMs, pollIntervalMs}; legacy {task: Task}. Throws
  // RpcError(-32603) after shutdown().
  json start(const TaskStart& start, TaskWork work);

  // tasks/get. Modern: {resultType:"complete", ...DetailedTask} with result, error or
  // inputRequests inlined. Legacy: the bare Task.
  json get(Era era, const json& params, const std::string& principal);
  // Modern tasks/update {taskId, inputResponses}: applies the answers to outstanding keys (others
  // are ignored) before acking {resultType:"complete"}. -32602 when inputResponses is not an
  // object.
  json update(const json& params, const std::string& principal);
  // tasks/cancel. Modern: asks the owner to stop and acks {resultType:"complete"}, also for a
  // terminal task. Legacy: records `cancelled` before answering with the Task; -32602 when the
  // task is already terminal.
  json cancel(Era era, const json& params, const std::string& principal);
  // Legacy tasks/list {cursor?}: {tasks: [Task], nextCursor?}, newest first. -32602 for an
  // unknown cursor.
  json list(const json& params, const std::string& principal);
  // Legacy tasks/result: waits until the task is terminal, then returns its CallToolResult with
  // _meta["io.modelcontextprotocol/related-task"] = {taskId}, or throws the RpcError it failed
  // with (-32602 for a cancelled task, which has no result). While the task waits for input and
  // `relay` is set, each outstanding request is sent through it and its answer applied. Throws
  // RpcError(-32603) when `waiter` is cancelled first.
  json result(const json& params, const std::string& principal, const Cancellation& waiter,
              const InputRelay& relay = nullptr);

  // Called with the new record after each change this manager writes (status, status line,
  // input, outcome): for notifications/tasks (modern) and notifications/tasks/status (legacy).
  // Runs on the thread that made the change (a task's, the watcher's, or a caller's); it must be
  // quick and may call get(), but not shutdown(). Register before the first start().
  void on_change(std::function<void(const TaskRecord&)> listener);

  // Cancels the tasks this manager runs (reason "the server shut down"), waits up to `grace` for
  // them to return, then records the rest `failed`. Later start() calls throw. Idempotent.
  // Returns whether every task's work has returned (false: one ignored its cancellation).
  bool shutdown(std::chrono::milliseconds grace);

  const std::string& owner() const { return owner_; }
  const TaskManagerOptions& options() const { return options_; }

 private:
  struct Running;

  TaskRecord load(const std::string& id, const std::string& principal);
  void reconcile(TaskRecord& record);
  void run(const std::shared_ptr<Running>& task, const TaskWork& work);
  void watch();
  void watch_once();
  void notify(const std::string& id);
  std::shared_ptr<Running> find_running(const std::string& id);

  const std::shared_ptr<TaskStore> store_;
  const std::string owner_;
  const TaskManagerOptions options_;

  std::mutex mu_;
  std::condition_variable watch_cv_;
  // Tasks this manager started whose threads are not joined yet (the watcher joins finished ones,
  // the destructor the rest).
  std::map<std::string, std::shared_ptr<Running>> running_;
  bool stopping_ = false;          // no more start()
  bool watcher_stopping_ = false;  // the watcher's loop ends
  std::chrono::steady_clock::time_point last_purge_;

  std::mutex listeners_mu_;
  std::vector<std::function<void(const TaskRecord&)>> listeners_;

  std::thread watcher_;  // last: started once everything above exists
};

}  // namespace runagents::mcp
