// run_query's arguments and results, shared by the synchronous call, a background query and
// the 2026-07-28 task that is a handle on a RunAgents run (tools/query_run_task.cpp).
#include "tools/query_result.hpp"

#include <sstream>

#include "platform/common/clip.hpp"
#include "platform/common/utf8.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

constexpr std::size_t kTextBudget = 30000;
// Output tails of all commands together, in the structured result and in the text summary.
constexpr std::size_t kTailsBudget = 24000;
constexpr std::size_t kTextTailsBudget = 12000;
constexpr std::size_t kTextTailChars = 2000;

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

}  // namespace

platform::QueryRequest read_query_request(const json& args) {
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

namespace {

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

}  // namespace

mcp::ToolResult query_tool_result(const platform::QueryRequest& request, platform::QueryResult out,
                                  const std::string& query_id,
                                  const mcp::SchemaValidator* validator,
                                  QueryArtifactStore& store) {
  json v = {{"query_id", query_id},
            {"status", "completed"},
            {"result_type", out.result_type},
            {"target", target_of(request, out)}};
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
  if (!out.artifacts.empty()) v["artifacts"] = store.add(query_id, std::move(out.artifacts));
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
  return result;
}

}  // namespace runagents::tools
