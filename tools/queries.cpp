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
#include "tools/request_cancel.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

// Lines of command output sent as progress (and log) messages per query; the rest are counted.
constexpr std::size_t kMaxOutputMessages = 2000;
constexpr std::size_t kMaxMessageChars = 1000;
constexpr std::size_t kTextBudget = 30000;
// Output tails of all commands together, in the structured result and in the text summary.
constexpr std::size_t kTailsBudget = 24000;
constexpr std::size_t kTextTailsBudget = 12000;
constexpr std::size_t kTextTailChars = 2000;
// A waiting call sends a heartbeat progress notification when no line came for this long.
constexpr auto kWaitHeartbeat = std::chrono::seconds(10);
// How long run_query cancel waits for the query to stop before answering.
constexpr auto kCancelGrace = std::chrono::seconds(20);
constexpr int kMaxWaitSeconds = 50;

// A handle a client holds on to and may pass between sessions: unguessable (96 random bits).
std::string new_query_id() {
  return "q_" + common::random_hex(12);
}

// What stands before a command output tail that was cut (common::clip_tail).
constexpr std::string_view kEarlierCut = "[… {n} earlier bytes cut …]\n";

std::vector<platform::QueryCommand> commands(const json& args, const char* key) {
  std::vector<platform::QueryCommand> out;
  for (const auto& c : args.value(key, json::array())) {
    platform::QueryCommand cmd;
    cmd.command = c.at("command").get<std::string>();
    cmd.cwd = c.value("cwd", "");
    if (c.contains("env"))
      for (const auto& [k, v] : c["env"].items()) cmd.env[k] = v.get<std::string>();
    out.push_back(std::move(cmd));
  }
  return out;
}

platform::QueryRequest read_request(const json& args) {
  platform::QueryRequest r;
  r.prompt = args.value("prompt", "");
  r.system_prompt = args.value("system_prompt", "");
  r.model = args.value("model", "");
  r.runtime_url = args.value("runtime_url", "");
  if (args.contains("agent")) {
    r.agent_name = args["agent"].at("name").get<std::string>();
    r.agent_ns = args["agent"].value("namespace", "");
  }
  r.devbox_id = args.value("devbox_id", "");
  if (args.contains("output_schema")) r.output_schema = args["output_schema"];
  for (const auto& d : args.value("pre_agent_downloadables", json::array()))
    r.downloadables.push_back(
        {d.at("download_url").get<std::string>(), d.at("working_dir").get<std::string>()});
  r.pre_commands = commands(args, "pre_agent_commands");
  r.post_commands = commands(args, "post_agent_commands");
  r.artifacts_dir = args.value("artifacts_dir", "");
  r.secrets = args.value("secrets_to_redact", std::vector<std::string>{});
  r.timeout = std::chrono::seconds(args.value("timeout_seconds", 600));
  return r;
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

std::string target_of(const platform::QueryRequest& r, const platform::QueryResult& out) {
  if (!r.agent_name.empty()) return "agent";
  if (out.metadata.value("runtime", "") == "embedded") return "embedded";
  return "runtimeuse";
}

// The commands as the result carries them; tails of later commands (a post-agent test run) win
// when all of them together pass the budget.
json commands_json(const std::vector<platform::QueryCommandRun>& runs) {
  json out = json::array();
  std::size_t budget = kTailsBudget;
  std::vector<json> reversed;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    json c = {{"phase", it->phase}, {"command", it->command}};
    if (it->exit_code) c["exit_code"] = *it->exit_code;
    if (it->ran) c["ran"] = *it->ran;
    std::string tail = it->output_tail;
    bool truncated = it->output_truncated;
    if (tail.size() > budget) {
      tail = common::clip_tail(tail, budget, kEarlierCut);
      truncated = true;
    }
    budget -= std::min(budget, tail.size());
    c["output_tail"] = common::to_valid_utf8(tail);
    c["output_truncated"] = truncated;
    reversed.push_back(std::move(c));
  }
  for (auto it = reversed.rbegin(); it != reversed.rend(); ++it) out.push_back(std::move(*it));
  return out;
}

std::string commands_text(const json& commands) {
  std::string t = "\n\ncommands:";
  std::size_t budget = kTextTailsBudget;
  for (const auto& c : commands) {
    t += "\n- [" + c["phase"].get<std::string>() + "] " + c["command"].get<std::string>();
    if (c.contains("exit_code"))
      t += " -> exit code " + std::to_string(c["exit_code"].get<int>());
    else if (c.value("ran", true) == false)
      t += " -> not run";
    else
      t += " -> exit code unknown";
    const std::string tail = c.value("output_tail", std::string());
    const bool failed = c.value("exit_code", 0) != 0;
    if (tail.empty() || (!failed && c["phase"] != "post-agent")) continue;
    std::string shown = common::clip_tail(tail, std::min(kTextTailChars, budget), kEarlierCut);
    budget -= std::min(budget, shown.size());
    if (shown.empty()) continue;
    std::string indented;
    std::istringstream lines(shown);
    for (std::string line; std::getline(lines, line);) indented += "\n    " + line;
    t += indented;
  }
  return t;
}

std::string summary(const json& v) {
  std::string t;
  if (v["result_type"] == "error")
    t = "Query failed: " + v.value("error", std::string());
  else if (v["result_type"] == "structured_output")
    t = v["structured_output"].dump(2);
  else
    t = v.value("text", std::string());
  if (v.contains("run_id"))
    t += "\n\nrun " + v["run_id"].get<std::string>() + ": " + v.value("run_status", "");
  if (v.contains("commands") && !v["commands"].empty()) t += commands_text(v["commands"]);
  if (v.contains("artifacts") && !v["artifacts"].empty()) {
    t += "\n\nartifacts (resources/read returns each):";
    for (const auto& a : v["artifacts"])
      t += "\n- " + a["name"].get<std::string>() + " " + a["uri"].get<std::string>();
  }
  return t;
}

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

  const std::string& query_id = spec.query_id;
  json v = {{"query_id", query_id},
            {"status", "completed"},
            {"result_type", out.result_type},
            {"target", target_of(request, out)}};
  if (out.result_type == "structured_output") {
    v["structured_output"] = out.structured_output;
    if (spec.validator) {
      auto problems = spec.validator->validate(out.structured_output);
      if (!problems.empty()) {
        std::string why;
        for (const auto& p : problems) why += (why.empty() ? "" : "; ") + p;
        v["result_type"] = "error";
        v["error"] = "the answer does not match output_schema: " + why;
      }
    }
  } else if (out.result_type == "text" && request.output_schema) {
    v["result_type"] = "error";
    v["error"] = "an output_schema was given but the agent answered text, not JSON";
  }
  if (!out.text.empty()) v["text"] = out.text;
  if (out.result_type == "error") v["error"] = out.error;
  if (out.timed_out) v["timed_out"] = true;
  v["metadata"] = out.metadata;
  v["metadata"]["query_id"] = query_id;
  if (!out.command_runs.empty()) v["commands"] = commands_json(out.command_runs);
  if (!out.run_id.empty()) {
    v["run_id"] = out.run_id;
    v["run_status"] = out.run_status;
  }
  if (!out.approval_request_id.empty()) v["approval_request_id"] = out.approval_request_id;
  for (auto& a : out.artifacts) {
    a.data = platform::redact_secrets(std::move(a.data), request.secrets);
    a.name = platform::redact_secrets(a.name, request.secrets);
    a.path = platform::redact_secrets(a.path, request.secrets);
  }
  if (!out.artifacts.empty()) v["artifacts"] = spec.store->add(query_id, std::move(out.artifacts));
  if (v["result_type"] == "error") v["status"] = "failed";

  platform::redact_secrets(v, request.secrets);
  if (v.contains("text")) clip_strings(v["text"], kTextBudget);
  clip_strings(v["metadata"], 4000);

  auto result = mcp::ToolResult::structured(v, summary(v));
  result.is_error = v["result_type"] == "error";
  for (const auto& a : v.value("artifacts", json::array()))
    result.content.push_back({{"type", "resource_link"},
                              {"uri", a["uri"]},
                              {"name", a["name"]},
                              {"mimeType", a["mime_type"]},
                              {"size", a["size"]}});
  return {std::move(result), false};
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
  auto store = QueryArtifactStore::create(resources);
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
      "pre_agent_downloadables (http/https/file URLs; zip and tar unpacked) and "
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
    spec.request = read_request(args);
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
  registry.add(std::move(tool));
}

}  // namespace runagents::tools
