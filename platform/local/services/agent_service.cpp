// AgentService of the local platform: list, get, deploy (analysis, checks, upsert) and invoke.
#include <algorithm>
#include <set>
#include <sstream>

#include "platform/local/agents/agent_runtime.hpp"
#include "platform/local/agents/policy.hpp"
#include "platform/local/agents/python_check.hpp"
#include "platform/local/agents/source_analysis.hpp"
#include "platform/local/services/local_services.hpp"
#include "platform/local/services/tool_catalog.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/run_store.hpp"
#include "platform/names.hpp"

namespace runagents::platform::local {

namespace {

constexpr std::size_t kMaxSourceBytes = 5 << 20;

void validate_file_names(const std::map<std::string, std::string>& files) {
  std::size_t total = 0;
  for (const auto& [name, text] : files) {
    total += text.size();
    bool ok = !name.empty() && name.size() <= 255 && name.front() != '/' &&
              name.find('\\') == std::string::npos && name.find('\0') == std::string::npos;
    if (ok) {
      for (std::size_t start = 0; start <= name.size();) {
        auto end = name.find('/', start);
        std::string part = name.substr(start, end == std::string::npos ? end : end - start);
        if (part.empty() || part == "." || part == "..") ok = false;
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
    if (!ok)
      throw PlatformError(ErrorKind::invalid,
                          "source_files: '" + name +
                              "' is not a valid file name; use relative paths such as agent.py "
                              "or pkg/util.py (no '..', no leading '/')");
  }
  if (total > kMaxSourceBytes)
    throw PlatformError(ErrorKind::invalid, "source_files total " + std::to_string(total) +
                                                " bytes, more than the 5 MiB the local platform "
                                                "accepts; leave out data files");
}

std::string join(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// Whether the pip requirements (requirements.txt among the files, and the requirements field)
// name the runagents package.
bool requires_runagents(const DeployRequest& req) {
  std::string text = req.requirements;
  if (auto it = req.source_files.find("requirements.txt"); it != req.source_files.end())
    text += "\n" + it->second;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = line.substr(0, line.find('#'));
    auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '-') continue;
    auto e = line.find_first_of(" \t\r<>=!~;[@", b);
    std::string name = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    for (auto& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    if (name == "runagents") return true;
  }
  return false;
}

// What deploy says about vendored code and the runagents requirement (notes, not warnings).
std::vector<std::string> deploy_notes(const DeployRequest& req,
                                      const std::vector<std::string>& vendored) {
  std::vector<std::string> notes;
  for (const auto& v : vendored)
    notes.push_back(v +
                    " is third-party code the agent ships (vendored): it is not searched for "
                    "tool calls, models, secrets or imports");
  if (requires_runagents(req)) {
    if (req.source_files.count("runagents/__init__.py"))
      notes.push_back(
          "the requirements name runagents and the agent ships its own copy (runagents/), which "
          "its code imports; its tool and model calls still go through the platform's egress "
          "(TOOL_URL_* and LLM_GATEWAY_URL point there), so policy applies");
    else
      notes.push_back(
          "the requirements name runagents: the platform provides it (its runagents shim, the "
          "SDK 1.2.1 agent API: Agent, call_tool, chat, @tool, RunContext); nothing to install");
  }
  return notes;
}

class LocalAgents : public AgentService {
 public:
  explicit LocalAgents(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<Agent> list(const std::string& ns) override {
    return list_agent_summaries(*state_->db, ns);
  }

  Agent get(const std::string& ns_in, const std::string& name) override {
    const std::string ns = ns_in.empty() ? state_->options.ns : ns_in;
    auto rec = find_agent(*state_->db, ns, name);
    if (!rec) throw_agent_not_found(ns, name);
    Agent a = rec->agent;
    json files = json::array();
    for (const auto& [file, text] : rec->source_files)
      files.push_back({{"name", file}, {"bytes", text.size()}});
    a.spec["sourceFiles"] = files;
    a.spec["analysis"] = rec->analysis;
    return a;
  }

  DeployResult deploy(const DeployRequest& request) override;
  InvokeResult invoke(const InvokeRequest& request) override;

 private:
  std::shared_ptr<LocalState> state_;
};

DeployResult LocalAgents::deploy(const DeployRequest& in) {
  Database& db = *state_->db;
  DeployRequest req = in;
  if (req.ns.empty()) req.ns = state_->options.ns;
  require_dns_label(req.agent_name, "agent_name");
  require_dns_label(req.ns, "namespace");
  if (!req.image.empty())
    throw PlatformError(ErrorKind::invalid,
                        "image is not supported by the local platform, which builds no "
                        "container images: give source_files (file name -> Python source with "
                        "a handler(request, ctx)) instead, or configure a RunAgents endpoint "
                        "(runagents-mcp config set endpoint URL) to deploy an image");
  if (req.source_files.empty())
    throw PlatformError(ErrorKind::invalid,
                        "source_files is required by the local platform: give a map of file "
                        "name to Python source, e.g. {\"agent.py\": \"def handler(request, ctx): "
                        "...\"}");
  validate_file_names(req.source_files);
  for (std::size_t i = 0; i < req.tools_to_create.size(); ++i)
    validate_registration(req.tools_to_create[i], "tools_to_create[" + std::to_string(i) + "]");
  for (std::size_t i = 0; i < req.policy_rules.size(); ++i)
    validate_rule(req.policy_rules[i], "policies[" + std::to_string(i) + "]");
  for (const auto& name : req.policy_names) {
    // The agent's own, replaced below by its inline rules (without rules it must exist).
    if (name == req.agent_name + "-inline" && !req.policy_rules.empty()) continue;
    if (!find_policy(db, req.ns, name))
      throw PlatformError(ErrorKind::invalid, "policy '" + name + "' does not exist in namespace " +
                                                  req.ns +
                                                  "; give its rules inline in policies instead "
                                                  "(export_context lists existing policies)");
  }
  for (auto& c : req.llm_configs)
    if (c.role.empty()) c.role = "default";

  // Tools the agent may use: registered ones plus those this deploy creates.
  std::vector<Tool> known = all_tools(db);
  for (const auto& t : req.tools_to_create)
    if (std::none_of(known.begin(), known.end(), [&](const Tool& k) { return k.name == t.name; }))
      known.push_back(
          {t.name, t.description, t.base_url, t.auth_type, t.port, t.scheme, "Pending", "", ""});
  std::vector<std::string> missing;
  for (const auto& name : req.required_tools)
    if (std::none_of(known.begin(), known.end(), [&](const Tool& k) { return k.name == name; }))
      missing.push_back(name);

  DeployResult result;
  result.agent = req.agent_name;
  result.ns = req.ns;
  if (!missing.empty()) {
    std::string message = "required_tools not registered: " + join(missing) +
                          "; register them with create_tool or describe them in "
                          "tools_to_create (list_tools lists registered tools)";
    if (!req.dry_run) throw PlatformError(ErrorKind::invalid, message);
    result.warnings.push_back("would fail: " + message);
  }

  const auto vendored = vendored_paths(req.source_files, req.vendored_paths);
  result.analysis = analyze_sources(req.source_files, req.entry_point, known, req.vendored_paths);
  const Analysis& a = result.analysis;
  auto check = check_python_sources(
      req.source_files, third_party_imports(req.source_files, vendored), state_->options.python);
  result.notes = deploy_notes(req, vendored);

  // Phase: Failed when the code cannot run, with the reason.
  std::string failure;
  if (!check.ran) {
    failure = check.problem;
  } else if (!check.errors.empty()) {
    const auto& e = check.errors.front();
    failure = e.message + " in " + e.file + " line " + std::to_string(e.line) +
              "; fix the source and deploy again";
  } else if (a.entry_point.empty()) {
    failure = "no Python file among source_files; the local runtime runs a .py entry point";
  } else if (!a.has_handler) {
    failure = "no top-level handler in " + a.entry_point +
              ": define def handler(request, ctx) (or handler(request), handler(message), "
              "handler()) returning a dict or a string; the runtime also takes an object named "
              "agent, chain, executor, graph or crew (with invoke, run or kickoff), or def main()";
  }
  result.phase = failure.empty() ? "Running" : "Failed";
  result.message = failure;

  // Warnings: things that will not stop the deploy but deserve attention.
  for (const auto& s : a.secrets)
    result.warnings.push_back(s.file + ":" + std::to_string(s.line) + ": a likely " + s.type +
                              " is written in the source (" + s.severity +
                              " severity); read it from the environment instead");
  for (const auto& t : a.tools) {
    bool declared = std::find(req.required_tools.begin(), req.required_tools.end(), t.name) !=
                    req.required_tools.end();
    if (!declared)
      result.warnings.push_back(t.file + ":" + std::to_string(t.line) + ": the code uses tool '" +
                                t.name +
                                "', which is not in required_tools: its calls are denied unless "
                                "a policy allows them");
  }
  if (!check.missing_modules.empty())
    result.warnings.push_back("imports " + join(check.missing_modules) + ", which " +
                              state_->options.python +
                              " lacks; the local runtime has no network to install "
                              "requirements, so the agent fails when it imports them");
  if (!a.models.empty() &&
      std::any_of(a.models.begin(), a.models.end(),
                  [](const ModelUse& m) { return m.model != kPlaygroundModel; }) &&
      state_->options.llm_base_url.empty())
    result.warnings.push_back(
        "the code names models other than playground-llm, and no "
        "OpenAI-compatible endpoint is configured (llm_base_url): the "
        "local gateway answers them with playground-llm");

  if (req.dry_run) {
    result.status = "validated";
    for (const auto& t : req.tools_to_create) result.tools_created.push_back(t.name);
    return result;
  }

  AgentRecord rec;
  rec.agent.name = req.agent_name;
  rec.agent.ns = req.ns;
  rec.agent.phase = result.phase;
  rec.agent.message = result.message;
  rec.agent.system_prompt = req.system_prompt;
  rec.agent.entry_point = a.entry_point;
  rec.agent.required_tools = req.required_tools;
  rec.agent.llm_configs = req.llm_configs;
  rec.source_files = req.source_files;
  rec.requirements = req.requirements;
  rec.handler_signature = a.handler_signature;
  rec.analysis = analysis_to_json(a);
  bool created = false;
  db.transaction([&] {
    for (const auto& t : req.tools_to_create) {
      store_tool(db, t);
      result.tools_created.push_back(t.name);
    }
    created = store_agent(db, rec);
    bind_agent_policies(db, req.ns, req.agent_name, req.policy_rules, req.policy_names);
  });
  result.status = created ? "created" : "updated";
  return result;
}

InvokeResult LocalAgents::invoke(const InvokeRequest& in) {
  const std::string ns = in.ns.empty() ? state_->options.ns : in.ns;
  if (in.message.empty())
    throw PlatformError(ErrorKind::invalid, "message is empty: give the agent something to do");
  auto rec = find_agent(*state_->db, ns, in.agent);
  if (!rec) throw_agent_not_found(ns, in.agent);
  if (rec->agent.phase != "Running")
    throw PlatformError(ErrorKind::conflict, "agent " + ns + "/" + in.agent + " is " +
                                                 rec->agent.phase + " (" + rec->agent.message +
                                                 "); fix it and deploy it again");
  require_agent_runtime(*state_);
  const json history = in.history.is_array() ? in.history : json::array();
  if (!in.run_id.empty()) {
    // A run made beforehand (RunService::create): this invocation is its first and only one.
    RunRecord run = start_created_run(*state_->db, in.run_id, ns, in.agent, in.message, history);
    return execute_run(state_, *rec, run, nullptr, in.cancel);
  }
  const std::string user = in.user_id.empty() ? "local-user" : in.user_id;
  Run run = create_run(*state_->db, ns, in.agent, user, in.message, history);
  return execute_run(state_, *rec, *find_run(*state_->db, run.id), nullptr, in.cancel);
}

}  // namespace

std::shared_ptr<AgentService> make_local_agents(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalAgents>(std::move(state));
}

}  // namespace runagents::platform::local
