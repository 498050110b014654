// Queries: hand a task to an agent and get its answer back (the run_query tool).
//
// QueryRunner is the one interface behind run_query. Three implementations, chosen by the tool
// from the request:
//   - RuntimeUse (platform/remote/runtimeuse/runtimeuse_client.hpp): an agent runtime that
//     speaks the RuntimeUse WebSocket protocol at request.runtime_url (ws:// or wss://);
//   - a deployed agent (platform/queries/agent_query.hpp): the query is an invocation of
//     request.agent_name and becomes a run;
//   - the embedded runtime (platform/local/queries/query_runtime.hpp): a fresh devbox (or
//     request.devbox_id), downloads, pre-commands, an agent step through the model gateway,
//     post-commands, artifacts.
//
// A run ends in one of three ways:
//   - an answer: result_type "text" (text) or "structured_output" (structured_output);
//   - a failure the caller should see: result_type "error" with `error` saying what failed (the
//     runtime's error_message, a failed pre-command, a timeout) and metadata;
//   - a cancel (request.cancel fired): cancelled is true and nothing else counts.
// Bad requests (a malformed URL, an unknown devbox or agent) throw PlatformError before anything
// starts; nothing is left running then.
//
// Secrets: runners pass request.secrets to whatever runs the query; the caller (tools/queries.cpp)
// redacts every string of the result and of each observed message again, so a runner that leaks
// one does not leak it to the client.
//
// Structured output: runners return what the agent answered; the caller validates it against
// request.output_schema (one place for the check).
//
// Commands: runners that run pre- and post-agent commands report each one in
// QueryResult::command_runs (exit code and the tail of its output, kept by CommandOutputTail,
// redacted), so a caller sees what a test run printed without reading progress messages.
//
// Thread-safety: run() may be called from several threads at once. Observer callbacks run on a
// thread of the runner, one at a time per query; they must return quickly.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/common/redact.hpp"
#include "platform/devboxes.hpp"

namespace runagents::platform {

// A shell command run before or after the agent step (RuntimeUse's Command).
struct QueryCommand {
  std::string command;
  std::string cwd;                         // "" = the runtime's working directory
  std::map<std::string, std::string> env;  // added to the command's environment
};

// A file fetched before the agent starts (RuntimeUse's RuntimeEnvironmentDownloadable). The
// file name is the URL path's last segment; .zip and tar archives are unpacked into working_dir.
struct QueryDownloadable {
  std::string download_url;  // http, https or file URL
  std::string working_dir;
};

struct QueryRequest {
  std::string prompt;  // required: the task
  std::string system_prompt;
  std::string model;  // "" = the runner's default
  // A JSON Schema object: the answer must be JSON valid against it.
  std::optional<nlohmann::json> output_schema;
  std::vector<QueryDownloadable> downloadables;
  std::vector<QueryCommand> pre_commands;
  std::vector<QueryCommand> post_commands;
  std::string artifacts_dir;          // "" = none collected
  std::vector<std::string> secrets;   // never to appear in anything returned or logged
  std::chrono::seconds timeout{600};  // hard limit; the query is cancelled when reached

  // Targets (the tool picks the runner from these).
  std::string runtime_url;  // RuntimeUse
  std::string agent_name;   // deployed agent
  std::string agent_ns;     // "" = the configured namespace
  std::string devbox_id;    // embedded runtime: use this devbox instead of a fresh one

  // Fired on an MCP cancel. Optional.
  std::shared_ptr<ExecCancel> cancel;
};

// One pre- or post-agent command as it ran.
struct QueryCommandRun {
  std::string phase;  // "pre-agent" or "post-agent"
  std::string command;
  // Unset when the runner cannot tell (RuntimeUse reports an exit code only for the command
  // that failed, and not which one it was; see runtimeuse_client.hpp) or the command never ran.
  std::optional<int> exit_code;
  // true: it ran; false: it never ran (the query ended before it); unset: the runner cannot tell.
  std::optional<bool> ran = true;
  std::string output_tail;  // the last lines it printed (stdout and stderr as they came; stderr
                            // lines marked "[stderr] "), redacted, valid UTF-8
  bool output_truncated = false;  // earlier output was dropped from output_tail
};

// The tail of one command's output: the last `max_lines` lines and at most `max_bytes` bytes,
// stdout and stderr interleaved as they arrive (chunks need not end at line breaks). Each line is
// redacted with `secrets` when it is complete, before anything is dropped, so a secret is never
// cut in half by the truncation. Not thread-safe: one writer.
class CommandOutputTail {
 public:
  static constexpr std::size_t kMaxBytes = 4096;
  static constexpr std::size_t kMaxLines = 50;

  explicit CommandOutputTail(std::vector<std::string> secrets, std::size_t max_bytes = kMaxBytes,
                             std::size_t max_lines = kMaxLines);
  void append(std::string_view stream, std::string_view chunk);
  bool empty() const;
  // The tail as text (partial last lines included), valid UTF-8; and whether output was dropped.
  std::string text() const;
  bool truncated() const;

 private:
  void add_line(std::string line);
  CommandOutputTail flushed() const;  // a copy with the partial lines added

  std::vector<std::string> secrets_;
  std::size_t max_bytes_;
  std::size_t max_lines_;
  std::deque<std::string> lines_;
  std::size_t bytes_ = 0;
  bool truncated_ = false;
  std::map<std::string, std::string, std::less<>> partial_;  // per stream
};

// A file the agent left in artifacts_dir.
struct QueryArtifact {
  std::string name;       // file name as the runtime gave it (basename)
  std::string path;       // where it was in the runtime
  std::string mime_type;  // from the runtime's content type or the extension
  std::string data;       // the bytes
};

struct QueryResult {
  std::string result_type;  // text | structured_output | error
  std::string text;
  nlohmann::json structured_output;
  nlohmann::json metadata = nlohmann::json::object();  // usage and what the runtime reported
  std::string error;  // result_type error: what failed, in words a model can act on
  bool timed_out = false;
  bool cancelled = false;
  std::vector<QueryArtifact> artifacts;
  // Pre- then post-agent commands, in the order they were given (see QueryCommandRun).
  std::vector<QueryCommandRun> command_runs;
  // Deployed-agent targets.
  std::string run_id;
  std::string run_status;           // COMPLETED, FAILED, PAUSED_APPROVAL, RUNNING
  std::string approval_request_id;  // set when the run waits for decide_approval
};

struct QueryObserver {
  // Each assistant message (text blocks joined by newlines).
  std::function<void(const std::string& text)> on_assistant_message;
  // A chunk of command output ("stdout" or "stderr"); `command` is the command that printed it.
  std::function<void(std::string_view stream, std::string_view text, const std::string& command)>
      on_command_output;
  // A step of the query (connecting, creating a devbox, downloading, ...).
  std::function<void(const std::string& message)> on_status;
};

class QueryRunner {
 public:
  QueryRunner() = default;
  QueryRunner(const QueryRunner&) = delete;
  QueryRunner& operator=(const QueryRunner&) = delete;
  virtual ~QueryRunner() = default;

  // Runs the query to its end (answer, error, timeout or cancel). Throws PlatformError only for
  // a request that could not start (see above).
  virtual QueryResult run(const QueryRequest& request, const QueryObserver& observer) = 0;
};

// A query to a deployed agent held as a handle on its run, for tasks that any replica answers
// (issue 9 §3; run_query on the RunAgents face, tools/query_run_task.hpp). The run is made first
// (RunService::create) and invoked in the background; from then on anything that reads the run
// says how the query stands. Implemented by platform/queries/agent_runs.hpp.
struct AgentRunStart {
  std::string run_id;
  std::string ns;
  std::string who;          // "ns/name"
  nlohmann::json metadata;  // what the final answer carries (runtime, agent, run_id, note)
};

struct AgentRunReading {
  enum class State { running, ended, cancelled };
  State state = State::running;
  std::string message;  // running: how it stands; cancelled: what happened
  QueryResult result;   // ended: run_query's answer, as the synchronous call gives it
};

class AgentRunQueries {
 public:
  AgentRunQueries() = default;
  AgentRunQueries(const AgentRunQueries&) = delete;
  AgentRunQueries& operator=(const AgentRunQueries&) = delete;
  virtual ~AgentRunQueries() = default;

  // Checks the agent (not_found; conflict when not Running, as invoke would), makes the run and
  // invokes it in the background with request.prompt. Throws PlatformError before anything runs.
  virtual AgentRunStart start(const QueryRequest& request) = 0;
  // How run `run_id` of `who` stands, `elapsed` after start; past `timeout` a running run is set
  // FAILED by this call. `request` gives output_schema; `metadata` is AgentRunStart::metadata.
  // Throws PlatformError when the service cannot be read (not_found: it has no such run).
  virtual AgentRunReading read(const std::string& run_id, const std::string& who,
                               std::chrono::milliseconds elapsed, std::chrono::seconds timeout,
                               const QueryRequest& request, const nlohmann::json& metadata) = 0;
  // Stops the run unless it has ended (a paused run's query has answered already).
  virtual void cancel(const std::string& run_id) = 0;
};

// `value` with every occurrence of each non-empty secret replaced by "[REDACTED]", in every
// string (object keys included): redact_secrets (platform/common/redact.hpp) on each of them.
// The string form is declared beside it, so one name covers both.
void redact_secrets(nlohmann::json& value, const std::vector<std::string>& secrets);
using common::redact_secrets;

// The MIME type for a file name, by extension ("application/octet-stream" when unknown).
std::string mime_type_for(std::string_view filename);

}  // namespace runagents::platform
