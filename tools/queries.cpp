// Tool of the queries domain: run_query. It reaches runtimes only through
// platform::QueryRunner (the router picks RuntimeUse, a deployed agent or the embedded runtime);
// here are the parts every target shares: argument reading, the output-schema check, redaction
// of the listed secrets in everything sent back, progress and log messages, and artifacts as
// resources.
#include "platform/queries.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <sstream>

#include "platform/devbox_json.hpp"
#include "server/schema_validator.hpp"
#include "tools/domains.hpp"
#include "tools/query_artifacts.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

// Lines of command output sent as progress (and log) messages per query; the rest are counted.
constexpr std::size_t kMaxOutputMessages = 2000;
constexpr std::size_t kMaxMessageChars = 1000;
constexpr std::size_t kTextBudget = 30000;

std::string new_query_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream out;
  out << "q_" << std::hex << (rng() & 0xffffffffffffULL);
  return out.str();
}

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
  r.prompt = args.at("prompt").get<std::string>();
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

// Sends what the runtime reports as progress notifications and log messages, redacted. Command
// output arrives in chunks: it is cut into lines here.
class QueryReporter {
 public:
  QueryReporter(mcp::RequestContext& ctx, const std::vector<std::string>& secrets)
      : ctx_(ctx), secrets_(secrets) {}

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
    if (message.size() > kMaxMessageChars) message = message.substr(0, kMaxMessageChars) + "…";
    message = platform::to_valid_utf8(message);
    const std::string shown = kind == "stdout" ? message : "[" + kind + "] " + message;
    ctx_.progress(static_cast<double>(++count_), std::nullopt, shown);
    if (log) ctx_.log(mcp::LogLevel::info, json{{"kind", kind}, {"text", message}}, "run_query");
  }

  mcp::RequestContext& ctx_;
  const std::vector<std::string>& secrets_;
  std::mutex mu_;
  std::map<std::string, std::string> partial_;
  std::size_t count_ = 0;
  std::size_t output_lines_ = 0;
  std::size_t dropped_ = 0;
};

std::string target_of(const platform::QueryRequest& r, const platform::QueryResult& out) {
  if (!r.agent_name.empty()) return "agent";
  if (out.metadata.value("runtime", "") == "embedded") return "embedded";
  return "runtimeuse";
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
  if (v.contains("artifacts") && !v["artifacts"].empty()) {
    t += "\n\nartifacts (resources/read returns each):";
    for (const auto& a : v["artifacts"])
      t += "\n- " + a["name"].get<std::string>() + " " + a["uri"].get<std::string>();
  }
  return t;
}

}  // namespace

void register_query_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                          mcp::ResourceRegistry& resources) {
  auto queries = platform.queries;
  if (!queries) return;
  auto store = QueryArtifactStore::create(resources);

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
      "structured_output or error), the answer, metadata (token usage, commands run), artifacts, "
      "and for agents run_id and run_status.",
      platform);
  tool.annotations.read_only = false;
  tool.annotations.destructive = true;  // the agent may run any command where it runs
  tool.annotations.idempotent = false;
  tool.annotations.open_world = true;  // downloads, model endpoints, remote runtimes
  tool.handler = [queries, store](const json& args, mcp::RequestContext& ctx) {
    platform::QueryRequest request = read_request(args);
    std::unique_ptr<mcp::SchemaValidator> validator;
    if (request.output_schema) {
      try {
        validator = std::make_unique<mcp::SchemaValidator>(*request.output_schema);
      } catch (const std::exception& e) {
        return mcp::ToolResult::error(std::string("output_schema is not a usable JSON Schema: ") +
                                      e.what());
      }
    }
    request.cancel = std::make_shared<platform::ExecCancel>();
    mcp::CancelCallbackScope scope(ctx.cancellation(), [c = request.cancel] { c->cancel(); });
    QueryReporter reporter(ctx, request.secrets);
    platform::QueryResult out = queries->run(request, reporter.observer());
    reporter.finish();
    if (out.cancelled || ctx.cancelled()) return mcp::ToolResult::error("the query was cancelled");

    const std::string query_id = new_query_id();
    json v = {{"result_type", out.result_type}, {"target", target_of(request, out)}};
    if (out.result_type == "structured_output") {
      v["structured_output"] = out.structured_output;
      if (validator) {
        auto problems = validator->validate(out.structured_output);
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
    if (!out.artifacts.empty()) v["artifacts"] = store->add(query_id, std::move(out.artifacts));

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
    return result;
  };
  tool.long_running = true;
  tool.task_support = mcp::TaskSupport::optional;
  tool.task_worthy = [](const json& args) {
    return !args.value("async", false) && !args.contains("query_id");
  };
  registry.add(std::move(tool));
}

}  // namespace runagents::tools
