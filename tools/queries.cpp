// Tool of the queries domain: run_query. It reaches runtimes only through
// platform::QueryRunner (the router picks RuntimeUse, a deployed agent or the embedded runtime);
// here are the parts every target shares: argument reading, the output-schema check, redaction
// of the listed secrets in everything sent back, progress and log messages, artifacts as
// resources, the commands' output tails, and handles (async: true, query_id) on queries that go
// on in the background (tools/query_handles.hpp).
#include "platform/queries.hpp"

#include <atomic>
#include <mutex>
#include <sstream>

#include "platform/common/clip.hpp"
#include "platform/common/random_hex.hpp"
#include "platform/common/utf8.hpp"
#include "platform/wire/devbox_json.hpp"
#include "server/schema_validator.hpp"
#include "tools/domains.hpp"
#include "tools/query_artifacts.hpp"
#include "tools/query_handles.hpp"
#include "tools/query_result.hpp"
#include "tools/query_run_task.hpp"
#include "tools/request_cancel.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

// Lines of command output sent as progress (and log) messages per query; the rest are counted.
constexpr std::size_t kMaxOutputMessages = 2000;
constexpr std::size_t kMaxMessageChars = 1000;
// A waiting call sends a heartbeat progress notification when no line came for this long.
constexpr auto kWaitHeartbeat = std::chrono::seconds(10);
// How long run_query cancel waits for the query to stop before answering.
constexpr auto kCancelGrace = std::chrono::seconds(20);
constexpr int kMaxWaitSeconds = 50;

// A handle a client holds on to and may pass between sessions: unguessable (96 random bits).
std::string new_query_id() {
  return "q_" + common::random_hex(12);
}

// Where a query's messages go: progress lines (a synchronous call's progress notifications, or a
// background query's latest status) and log messages (null: none).
struct QueryOutlet {
  std::function<void(const std::string& line)> progress;
  std::function<void(const json& data)> log;
};

// Sends what the runtime reports as progress lines and log messages, redacted. Command output
// arrives in chunks: it is cut into lines here.
class QueryReporter {
 public:
  QueryReporter(QueryOutlet outlet, const std::vector<std::string>& secrets)
      : outlet_(std::move(outlet)), secrets_(secrets) {}

  platform::QueryObserver observer() {
    platform::QueryObserver o;
    o.on_assistant_message = [this](const std::string& text) { send("assistant", text, true); };
    o.on_command_output = [this](std::string_view stream, std::string_view chunk,
                                 const std::string&) { output(stream, chunk); };
    o.on_status = [this](const std::string& message) { send("status", message, false); };
    return o;
  }

  void finish() {
    std::lock_guard lock(mu_);
    for (auto& [stream, partial] : partial_)
      if (!partial.empty()) line_locked(stream, std::exchange(partial, {}));
    if (dropped_)
      emit_locked("output", std::to_string(dropped_) + " more output lines were not sent", false);
  }

 private:
  void output(std::string_view stream, std::string_view chunk) {
    std::lock_guard lock(mu_);
    std::string& partial = partial_[std::string(stream)];
    partial.append(chunk);
    for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      line_locked(std::string(stream), partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
    if (partial.size() > 64 * 1024) line_locked(std::string(stream), std::exchange(partial, {}));
  }

  void line_locked(const std::string& stream, const std::string& line) {
    if (++output_lines_ > kMaxOutputMessages) {
      ++dropped_;
      return;
    }
    emit_locked(stream, line, true);
  }

  void send(const char* kind, const std::string& text, bool log) {
    std::lock_guard lock(mu_);
    emit_locked(kind, text, log);
  }

  void emit_locked(const std::string& kind, const std::string& text, bool log) {
    std::string message = platform::redact_secrets(text, secrets_);
    message = common::clip_head(message, kMaxMessageChars, "…");
    message = common::to_valid_utf8(message);
    const std::string shown = kind == "stdout" ? message : "[" + kind + "] " + message;
    if (outlet_.progress) outlet_.progress(shown);
    if (log && outlet_.log) outlet_.log(json{{"kind", kind}, {"text", message}});
  }

  QueryOutlet outlet_;
  const std::vector<std::string>& secrets_;
  std::mutex mu_;
  std::map<std::string, std::string> partial_;
  std::size_t output_lines_ = 0;
  std::size_t dropped_ = 0;
};

// Everything one query needs once its arguments are read; shared by the synchronous call and a
// background query.
struct QueryJobSpec {
  std::shared_ptr<platform::QueryRunner> queries;
  std::shared_ptr<QueryArtifactStore> store;
  std::shared_ptr<mcp::SchemaValidator> validator;  // null without output_schema
  platform::QueryRequest request;
  std::string query_id;
};

// Runs the query to its end and builds the tool result.
QueryJobResult run_query_job(const QueryJobSpec& spec,
                             const std::shared_ptr<platform::ExecCancel>& cancel,
                             QueryOutlet outlet) {
  platform::QueryRequest request = spec.request;
  request.cancel = cancel;
  QueryReporter reporter(std::move(outlet), request.secrets);
  platform::QueryResult out = spec.queries->run(request, reporter.observer());
  reporter.finish();
  if (out.cancelled || cancel->cancelled()) {
    json v = {{"query_id", spec.query_id}, {"status", "cancelled"}};
    auto r = mcp::ToolResult::structured(
        v, "the query was cancelled (" + spec.query_id + "); nothing of it is left running");
    r.is_error = true;
    return {std::move(r), true};
  }

  return {
      query_tool_result(request, std::move(out), spec.query_id, spec.validator.get(), *spec.store),
      false};
}

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 500) / 1000) + " s";
}

// A running query as run_query returns it.
mcp::ToolResult running_result(const QueryStatus& s) {
  json v = {{"query_id", s.query_id},
            {"status", "running"},
            {"elapsed_seconds", static_cast<double>(s.elapsed.count()) / 1000.0}};
  if (!s.last_progress.empty()) v["progress"] = s.last_progress;
  std::string t = "Query " + s.query_id + " is running (" + seconds_text(s.elapsed) + " so far).";
  if (!s.last_progress.empty()) t += "\nLatest: " + s.last_progress;
  t += "\nWait for its result with run_query {\"query_id\": \"" + s.query_id +
       "\", \"wait_seconds\": 50} (call again while it says running), or stop it with "
       "run_query {\"query_id\": \"" +
       s.query_id + "\", \"cancel\": true}.";
  return mcp::ToolResult::structured(v, t);
}

// The final result, or the status while it runs.
mcp::ToolResult status_result(const QueryStatus& s) {
  if (s.state != QueryState::running && s.result) return *s.result;
  return running_result(s);
}

mcp::ToolResult unknown_query(const std::string& id) {
  return mcp::ToolResult::error(
      "no query " + id +
      ": query ids are kept for an hour after the query ends, by the server processes on the data "
      "dir that started it (check the id, and that this server uses the same --data-dir). Start "
      "the query again with run_query {\"prompt\": ..., \"async\": true}.");
}

// Waits on a handle up to `wait`, forwarding its progress lines as progress notifications (with
// a heartbeat when none come) and returning early when the request is cancelled.
std::optional<QueryStatus> wait_on(QueryHandles& handles, const std::string& id,
                                   std::chrono::seconds wait, mcp::RequestContext& ctx,
                                   std::uint64_t after_seq) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  const bool report = ctx.has_progress_token();
  double n = 0;
  std::optional<QueryStatus> s;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const auto slice = std::min<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now), kWaitHeartbeat);
    bool sent = false;
    s = handles.wait(id, std::max(slice, std::chrono::milliseconds(0)), &ctx.cancellation(),
                     after_seq, [&](const std::string& line) {
                       if (!report) return;
                       ctx.progress(++n, std::nullopt, line);
                       sent = true;
                     });
    if (!s || s->state != QueryState::running || ctx.cancelled() ||
        std::chrono::steady_clock::now() >= deadline)
      return s;
    after_seq = s->progress_seq;
    if (report && !sent)
      ctx.heartbeat("query " + id + " running (" + seconds_text(s->elapsed) + ")" +
                    (s->last_progress.empty() ? "" : ": " + s->last_progress));
  }
}

}  // namespace

void register_query_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                          mcp::ResourceRegistry& resources,
                          std::shared_ptr<mcp::TaskStore> task_store) {
  auto queries = platform.queries;
  if (!queries) return;
  auto store = QueryArtifactStore::create(resources, 256u << 20, task_store);
  std::shared_ptr<QueryHandles> handles =
      task_store ? make_durable_query_handles(std::move(task_store)) : make_memory_query_handles();

  auto tool = platform_tool(
      "run_query", "Ask an agent to do a task", "queries",
      "Hand a task to an agent and get its answer back, as text or as JSON valid against "
      "output_schema. Where it runs: with `agent` {name, namespace}, a deployed agent (the query "
      "becomes a run; when policy holds a call, the result says so and names the access request "
      "to decide with decide_approval); with `runtime_url` (or RUNTIMEUSE_WS_URL), a RuntimeUse "
      "agent runtime; otherwise the embedded runtime in a fresh devbox (or `devbox_id`), whose "
      "model is the deterministic playground-llm unless an OpenAI-compatible endpoint is "
      "configured and `model` names one of its models. Before the agent: "
      "pre_agent_downloadables (http/https/file URLs, object://ID storage objects; zip and tar "
      "unpacked) and "
      "pre_agent_commands; after it: post_agent_commands. Files left in artifacts_dir come back "
      "as resource links (read them with resources/read). Every listed secrets_to_redact string "
      "is replaced by [REDACTED] in everything returned. Assistant messages and command output "
      "stream as progress notifications; cancelling the request cancels the query; "
      "timeout_seconds (default 600) is a hard limit. Returns result_type (text, "
      "structured_output or error), the answer, metadata (token usage), artifacts, `commands` "
      "(each pre- and post-agent command with its exit code and the tail of what it printed), "
      "and for agents run_id and run_status.\n\n"
      "Long queries: for anything that may take over a minute (real agents, builds, test suites), "
      "pass async: true. It returns at once with a query_id and status running (give "
      "wait_seconds to wait a little first); the query goes on in the background. Then call "
      "run_query {query_id, wait_seconds: 50} until status is no longer running: each call "
      "waits up to wait_seconds (at most 50) and returns the latest progress, or the final "
      "result (the same shape as a synchronous call) once done. run_query {query_id, cancel: "
      "true} stops it. Results stay available for an hour after the query ends, to every server "
      "process on the same data dir (so also after a restart; a query whose server process exited "
      "reads as ended with an error).",
      platform);
  tool.annotations.read_only = false;
  tool.annotations.destructive = true;  // the agent may run any command where it runs
  tool.annotations.idempotent = false;
  tool.annotations.open_world = true;  // downloads, model endpoints, remote runtimes
  tool.handler = [queries, store, handles](const json& args,
                                           mcp::RequestContext& ctx) -> mcp::ToolResult {
    const bool async = args.value("async", false);
    const bool cancel = args.value("cancel", false);
    const auto wait =
        std::chrono::seconds(std::clamp(args.value("wait_seconds", 0), 0, kMaxWaitSeconds));

    if (args.contains("query_id")) {
      const std::string id = args["query_id"].get<std::string>();
      for (const auto& [key, value] : args.items())
        if (key != "query_id" && key != "wait_seconds" && key != "cancel" &&
            !(key == "async" && value == false))  // a default filled in by the client
          return mcp::ToolResult::error(
              "query_id names a query started earlier; with it give only wait_seconds (to wait "
              "for its result) or cancel: true (to stop it), not " +
              key + " (to start a new query, leave out query_id)");
      if (cancel) {
        if (wait.count() > 0)
          return mcp::ToolResult::error("give cancel or wait_seconds with query_id, not both");
        auto s = handles->cancel(id, kCancelGrace);
        if (!s) return unknown_query(id);
        if (s->state == QueryState::running)
          return mcp::ToolResult::error(
              "query " + id + " was told to stop but had not ended after " +
              seconds_text(kCancelGrace) + "; call run_query {\"query_id\": \"" + id +
              "\"} to see when it has");
        return status_result(*s);
      }
      auto s = wait_on(*handles, id, wait, ctx, 0);
      if (!s) return unknown_query(id);
      return status_result(*s);
    }

    if (cancel)
      return mcp::ToolResult::error(
          "cancel needs query_id: the query to stop (a synchronous call is cancelled by "
          "cancelling its request)");
    if (!args.contains("prompt"))
      return mcp::ToolResult::error(
          "prompt is required to start a query (the task for the agent); to wait for or cancel "
          "a query started with async: true, give its query_id instead");
    if (wait.count() > 0 && !async)
      return mcp::ToolResult::error(
          "wait_seconds applies to async: true (wait that long before returning the handle) or "
          "to query_id (wait for a running query); a synchronous call waits until the end");

    QueryJobSpec spec;
    spec.queries = queries;
    spec.store = store;
    spec.request = read_query_request(args);
    spec.query_id = new_query_id();
    if (spec.request.output_schema) {
      try {
        spec.validator = std::make_shared<mcp::SchemaValidator>(*spec.request.output_schema);
      } catch (const std::exception& e) {
        return mcp::ToolResult::error(std::string("output_schema is not a usable JSON Schema: ") +
                                      e.what());
      }
    }

    if (async) {
      // The query's cancel belongs to the handle, not to this request: it goes on after the
      // answer, and stops only by run_query cancel (or the server going away).
      auto job = [spec](const std::shared_ptr<platform::ExecCancel>& cancel,
                        const std::function<void(const std::string&)>& progress) {
        return run_query_job(spec, cancel, QueryOutlet{progress, nullptr});
      };
      QueryStatus started = handles->start(spec.query_id, std::move(job));
      if (wait.count() > 0) {
        if (auto s = wait_on(*handles, spec.query_id, wait, ctx, 0)) return status_result(*s);
      }
      return running_result(started);
    }

    RequestCancel stop(ctx.cancellation());
    double n = 0;
    QueryOutlet outlet{
        [&ctx, &n](const std::string& line) { ctx.progress(++n, std::nullopt, line); },
        [&ctx](const json& data) { ctx.log(mcp::LogLevel::info, data, "run_query"); }};
    QueryJobResult done = run_query_job(spec, stop.signal(), std::move(outlet));
    if (done.cancelled) return mcp::ToolResult::error("the query was cancelled");
    return std::move(done.result);
  };
  tool.long_running = true;
  tool.task_support = mcp::TaskSupport::optional;
  tool.task_worthy = [](const json& args) {
    return !args.value("async", false) && !args.contains("query_id");
  };
  // On the RunAgents face a task of a deployed-agent query is a handle on its run
  // (tools/query_run_task.hpp): any replica answers for it.
  if (auto face = platform.faces.find("agents");
      face != platform.faces.end() && face->second.kind == "remote" && platform.agent_runs)
    tool.remote_task = agent_run_task(platform, store);
  registry.add(std::move(tool));
}

}  // namespace runagents::tools
