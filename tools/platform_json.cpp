#include "tools/platform_json.hpp"

#include "platform/wire/analysis_json.hpp"
#include "platform/wire/runagents_json.hpp"

namespace runagents::tools {

using namespace runagents::platform;

namespace {

// An object built member by member. The list tools make one per row on every call; nlohmann's
// initializer lists copy each value twice and check the shape of every pair, about four times
// the instructions of this (callgrind, issue 15).
class Fields {
 public:
  template <typename T>
  Fields& add(const char* key, T&& value) {
    object_.get_ref<json::object_t&>().emplace(key, std::forward<T>(value));
    return *this;
  }
  json take() { return std::move(object_); }

 private:
  json object_ = json::object();
};

}  // namespace

json agent_summary_json(const Agent& a) {
  return Fields()
      .add("name", a.name)
      .add("namespace", a.ns)
      .add("status", a.phase)
      .add("message", a.message)
      .add("required_tools", a.required_tools)
      .add("created_at", a.created_at)
      .add("updated_at", a.updated_at)
      .take();
}

json agent_detail_json(const Agent& a) {
  json llm = json::array();
  for (const auto& c : a.llm_configs)
    llm.push_back({{"provider", c.provider}, {"model", c.model}, {"role", c.role}});
  return {{"name", a.name},
          {"namespace", a.ns},
          {"status", {{"phase", a.phase}, {"message", a.message}}},
          {"system_prompt", a.system_prompt},
          {"entry_point", a.entry_point},
          {"required_tools", a.required_tools},
          {"llm_configs", llm},
          {"policies", a.policies},
          {"image", a.image},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at},
          {"spec", a.spec.is_object() ? a.spec : json::object()}};
}

json tool_json(const Tool& t) {
  return Fields()
      .add("name", t.name)
      .add("description", t.description)
      .add("base_url", t.base_url)
      .add("auth_type", t.auth_type)
      .add("port", t.port)
      .add("scheme", t.scheme)
      .add("status", t.status)
      .add("created_at", t.created_at)
      .add("updated_at", t.updated_at)
      .take();
}

json run_json(const Run& r) {
  return Fields()
      .add("id", r.id)
      .add("agent", r.agent)
      .add("namespace", r.ns)
      .add("status", r.status)
      .add("blocked_action_id", r.blocked_action_id)
      .add("user_id", r.user_id)
      .add("created_at", r.created_at)
      .add("updated_at", r.updated_at)
      .take();
}

json event_json(const RunEvent& e) {
  return {{"seq", e.seq},
          {"type", e.type},
          {"actor", e.actor},
          {"timestamp", e.timestamp},
          {"data", e.data.is_object() ? e.data : json{{"value", e.data}}}};
}

json access_request_json(const AccessRequest& a) {
  return {{"id", a.id},
          {"agent", a.agent},
          {"tool", a.tool},
          {"run_id", a.run_id},
          {"action_id", a.action_id},
          {"status", a.status},
          {"scope", a.scope},
          {"duration", a.duration},
          {"subject", a.subject},
          {"approver_id", a.approver_id},
          {"reason", a.reason},
          {"payload_hash", a.payload_hash},
          {"created_at", a.created_at},
          {"expires_at", a.expires_at}};
}

json model_provider_json(const ModelProvider& m) {
  return {{"name", m.name},
          {"provider", m.provider},
          {"base_url", m.base_url},
          {"models", m.models},
          {"status", m.status}};
}

json policy_json(const Policy& p) {
  json rules = json::array();
  for (const auto& r : p.rules)
    rules.push_back(
        {{"permission", r.permission}, {"resource", r.resource}, {"operations", r.operations}});
  return {
      {"name", p.name}, {"namespace", p.ns}, {"rules", rules}, {"bound_agents", p.bound_agents}};
}

json deploy_result_json(const DeployResult& r) {
  return deploy_result_fields(r, analysis_to_json(r.analysis));
}

DeployRequest deploy_request_from_args(const json& args) {
  DeployRequest req;
  req.agent_name = args.value("agent_name", "");
  req.ns = args.value("namespace", "");
  req.source_files =
      args.value("source_files", json::object()).get<std::map<std::string, std::string>>();
  req.image = args.value("image", "");
  req.system_prompt = args.value("system_prompt", "");
  req.required_tools = args.value("required_tools", std::vector<std::string>{});
  for (const auto& t : args.value("tools_to_create", json::array())) {
    ToolRegistration reg;
    reg.name = t.value("name", "");
    reg.base_url = t.value("base_url", "");
    reg.description = t.value("description", "");
    reg.auth_type = t.value("auth_type", "None");
    reg.port = t.value("port", 443);
    reg.scheme = t.value("scheme", "");
    req.tools_to_create.push_back(reg);
  }
  for (const auto& c : args.value("llm_configs", json::array()))
    req.llm_configs.push_back(
        {c.value("provider", ""), c.value("model", ""), c.value("role", "default")});
  req.requirements = args.value("requirements", "");
  req.entry_point = args.value("entry_point", "");
  req.vendored_paths = args.value("vendored_paths", std::vector<std::string>{});
  const json policies = args.value("policies", json::array());
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const json& p = policies[i];
    if (p.is_string()) {
      req.policy_names.push_back(p.get<std::string>());
      continue;
    }
    PolicyRule rule;
    rule.permission = p.value("permission", "");
    rule.resource = p.value("resource", p.value("tool", ""));
    rule.operations = p.value("operations", std::vector<std::string>{});
    if (p.contains("tool") && p.contains("resource"))
      throw PlatformError(ErrorKind::invalid, "policies[" + std::to_string(i) +
                                                  "] gives both tool and resource; give one");
    if (rule.resource.empty())
      throw PlatformError(ErrorKind::invalid,
                          "policies[" + std::to_string(i) +
                              "] names no tool: add \"tool\": \"<tool name>\" (or \"*\"), or a "
                              "URL pattern as \"resource\"");
    req.policy_rules.push_back(rule);
  }
  req.dry_run = args.value("dry_run", false);
  return req;
}

}  // namespace runagents::tools
