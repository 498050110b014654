// Handles on run_query calls that go on in the background (run_query async: true), for clients
// that cut long tool calls off and do not speak Tasks: the call returns a query_id at once, and
// later calls wait on it (up to a bound), read its latest progress, fetch its final result or
// cancel it.
//
// QueryHandles is the contract, with two implementations:
//   - make_memory_query_handles(): the handles live in this process (each query on a thread of its
//     own, owned and joined by the registry) and do not survive a restart;
//   - make_durable_query_handles(): the same, and each handle is also a record in a task store
//     (the data dir's platform.db), so every server process on that store can wait on a query,
//     read its progress and result, and cancel it. The query itself still runs in the process
//     that started it; when that process is gone, a running query reads as ended with an error.
// A job only hands back a final ToolResult, which is what lets a store keep it.
//
// Thread-safety: every method may be called from any thread at once. Callbacks passed in run on
// the calling thread, never under the registry's lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "platform/devboxes.hpp"
#include "server/cancellation.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tool_registry.hpp"

namespace runagents::tools {

// How a background query ended, from its job.
struct QueryJobResult {
  mcp::ToolResult result;  // exactly what the synchronous call would have returned
  bool cancelled = false;  // the job stopped because it was cancelled
};

// The work of one query. `cancel` fires when the query is cancelled (run_query cancel, or the
// registry going away); `progress` records the latest progress line (any thread, quick).
using QueryJob =
    std::function<QueryJobResult(const std::shared_ptr<platform::ExecCancel>& cancel,
                                 const std::function<void(const std::string& line)>& progress)>;

// Where a handle's query stands. Not the Tasks store's TaskStatus (server/tasks/task_store.hpp):
// that one's words are the MCP Tasks wire's (working, input_required, failed), a handle never
// waits for input, and a failed query is a completed one whose result is an error. run_query
// writes its own status words from this (tools/queries.cpp).
enum class QueryState { running, completed, cancelled };

// What a caller sees of a handle.
struct QueryStatus {
  std::string query_id;
  QueryState state = QueryState::running;
  std::string last_progress;  // the latest progress line ("" before the first)
  std::chrono::milliseconds elapsed{0};
  std::uint64_t progress_seq = 0;         // how many progress lines there were so far
  std::optional<mcp::ToolResult> result;  // once completed (or cancelled, with what the job said)
};

struct QueryHandleOptions {
  std::size_t max_running = 32;              // start() refuses more
  std::chrono::seconds keep_finished{3600};  // a finished query stays fetchable this long
  std::size_t max_finished = 200;            // and at most this many (oldest dropped first)
  std::size_t recent_lines = 200;            // progress lines kept for waiters
};

class QueryHandles {
 public:
  QueryHandles() = default;
  QueryHandles(const QueryHandles&) = delete;
  QueryHandles& operator=(const QueryHandles&) = delete;
  // Cancels every running query and waits for each to end: nothing is left running.
  virtual ~QueryHandles() = default;

  // Starts `job` in the background under `query_id` (unique; the caller makes it) and returns at
  // once. Throws PlatformError(unavailable) when max_running queries are already running, and
  // PlatformError(conflict) for an id in use.
  virtual QueryStatus start(const std::string& query_id, QueryJob job) = 0;

  // Waits up to `wait` for the query to end, returning early when `stop` (the waiting request's
  // cancellation; may be null) fires. Each progress line recorded after `after_seq` is handed to
  // `on_line` as it arrives (null: none). Returns nullopt for an id this registry does not know
  // (never started here, expired, or from before a restart).
  virtual std::optional<QueryStatus> wait(
      const std::string& query_id, std::chrono::milliseconds wait, mcp::Cancellation* stop,
      std::uint64_t after_seq, const std::function<void(const std::string& line)>& on_line) = 0;

  // Cancels the query and waits up to `grace` for it to stop; returns its status then (state
  // cancelled once stopped; a query that had already ended keeps its result). nullopt for an
  // unknown id.
  virtual std::optional<QueryStatus> cancel(const std::string& query_id,
                                            std::chrono::milliseconds grace) = 0;

  // Queries running now.
  virtual std::size_t running() const = 0;
};

std::shared_ptr<QueryHandles> make_memory_query_handles(QueryHandleOptions options = {});

// Handles kept in `store` as well (records of era "query", tool run_query, the query id as the
// record id; TaskManager leaves them out of tasks/get and tasks/list). The process that starts a
// query runs it and writes its progress (at most once a second), its end and its result; another
// process waits by polling the record, and cancels by marking it, which the owner picks up within
// half a second. A store that cannot be written when a query starts leaves that query in this
// process only (logged).
std::shared_ptr<QueryHandles> make_durable_query_handles(std::shared_ptr<mcp::TaskStore> store,
                                                         QueryHandleOptions options = {});

}  // namespace runagents::tools
