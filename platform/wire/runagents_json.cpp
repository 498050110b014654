#include "platform/wire/runagents_json.hpp"

#include <algorithm>
#include <string_view>

#include "platform/names.hpp"
#include "platform/wire/analysis_json.hpp"

namespace runagents::platform {

namespace {

// ---------------------------------------------------------------------------------------------
// Tolerant readers

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return "";
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = field_at(j, path);
  return v && !v->is_structured() ? text_of(*v) : "";
}

std::int64_t int_of(const json& v, std::int64_t fallback = 0) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number()) return static_cast<std::int64_t>(v.get<double>());
  if (v.is_string()) {
    try {
      return std::stoll(v.get<std::string>());
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

std::int64_t int_field(const json& j, std::initializer_list<const char*> keys,
                       std::int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && !it->is_null()) return int_of(*it, fallback);
  }
  return fallback;
}

// Epoch seconds or milliseconds as RFC 3339 UTC; strings pass through.
std::string timestamp(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return "";
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it == j.end() || it->is_null()) continue;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) {
      double v = it->get<double>();
      if (v > 1e11) v /= 1000.0;  // milliseconds
      std::time_t t = static_cast<std::time_t>(v);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      return buf;
    }
  }
  return "";
}

// Strings, or objects carrying `name`.
std::vector<std::string> names(const json* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : *v) {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    } else if (e.is_object() && e.contains("name")) {
      out.push_back(text_of(e["name"]));
    }
  }
  return out;
}

std::vector<std::string> strings(const json* v) {
  std::vector<std::string> out;
  if (!v || !v->is_array()) return out;
  for (const auto& e : *v) {
    if (!e.is_structured() && !e.is_null()) out.push_back(text_of(e));
  }
  return out;
}

// `status` as a string or as {phase, message}.
std::string phase_of(const json& j) {
  const json* s = field_at(j, {"status"});
  if (!s) return text_field(j, {"phase"});
  if (s->is_object()) return text_field(*s, {"phase", "state", "status"});
  return text_of(*s);
}

LlmConfig llm_config_from_json(const json& j) {
  LlmConfig c;
  c.provider = text_field(j, {"provider"});
  c.model = text_field(j, {"model"});
  std::string role = text_field(j, {"role"});
  if (!role.empty()) c.role = role;
  return c;
}

json llm_config_to_json(const LlmConfig& c) {
  return {{"provider", c.provider}, {"model", c.model}, {"role", c.role}};
}

[[noreturn]] void bad_field(const std::string& field, const std::string& expected) {
  throw PlatformError(ErrorKind::invalid, "field '" + field + "' must be " + expected);
}

std::string want_string(const json& j, const char* key, const std::string& where = "") {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (!it->is_string()) bad_field(where + key, "a string");
  return it->get<std::string>();
}

std::vector<std::string> want_strings(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) bad_field(key, "an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *it) {
    if (!e.is_string()) bad_field(key, "an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

const json* field_at(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string text_field(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return "";
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && !it->is_null() && !it->is_structured()) return text_of(*it);
  }
  return "";
}

json list_items(const json& body, std::initializer_list<const char*> keys, const char* what) {
  if (body.is_array()) return body;
  if (body.is_object()) {
    for (const char* k : keys) {
      auto it = body.find(k);
      if (it != body.end() && it->is_array()) return *it;
    }
    for (const char* k : {"items", "data", "results"}) {
      auto it = body.find(k);
      if (it != body.end() && it->is_array()) return *it;
    }
  }
  if (body.is_null()) return json::array();
  throw PlatformError(ErrorKind::internal, std::string("RunAgents answered a ") + what +
                                               " request with something that is not a list: " +
                                               body.dump().substr(0, 200));
}

// ---------------------------------------------------------------------------------------------
// JSON forms

Agent agent_from_json(const json& j) {
  Agent a;
  a.name = text_field(j, {"name"});
  if (a.name.empty()) a.name = str_at(j, {"metadata", "name"});
  a.ns = text_field(j, {"namespace"});
  if (a.ns.empty()) a.ns = str_at(j, {"metadata", "namespace"});
  a.phase = phase_of(j);
  a.message = str_at(j, {"status", "message"});
  if (a.message.empty()) a.message = text_field(j, {"message"});
  const json* spec = field_at(j, {"spec"});
  if (spec && spec->is_object()) a.spec = *spec;
  const json& s = a.spec;
  a.image = text_field(s, {"image"});
  if (a.image.empty()) a.image = text_field(j, {"image"});
  a.system_prompt = text_field(s, {"systemPrompt", "system_prompt"});
  if (a.system_prompt.empty()) a.system_prompt = text_field(j, {"system_prompt"});
  a.entry_point = text_field(s, {"entryPoint", "entry_point"});
  if (a.entry_point.empty()) a.entry_point = text_field(j, {"entry_point"});
  a.required_tools = field_at(s, {"requiredTools"}) ? names(field_at(s, {"requiredTools"}))
                                                    : names(field_at(j, {"required_tools"}));
  if (const json* l = field_at(j, {"llm_configs"}); l && l->is_array()) {
    for (const auto& e : *l) a.llm_configs.push_back(llm_config_from_json(e));
  } else if (const json* l2 = field_at(s, {"llmConfigs"}); l2 && l2->is_array()) {
    for (const auto& e : *l2) a.llm_configs.push_back(llm_config_from_json(e));
  } else if (const json* one = field_at(s, {"llmConfig"}); one && one->is_object()) {
    a.llm_configs.push_back(llm_config_from_json(*one));
  }
  a.policies = field_at(j, {"policies"}) ? names(field_at(j, {"policies"}))
                                         : names(field_at(s, {"policies"}));
  a.created_at = timestamp(j, {"created_at", "createdAt"});
  if (a.created_at.empty()) a.created_at = str_at(j, {"metadata", "creationTimestamp"});
  a.updated_at = timestamp(j, {"updated_at", "updatedAt"});
  return a;
}

json agent_to_json(const Agent& a) {
  json spec = a.spec.is_object() ? a.spec : json::object();
  auto put = [&](const char* key, json value) {
    if (!spec.contains(key)) spec[key] = std::move(value);
  };
  if (!a.image.empty()) put("image", a.image);
  put("systemPrompt", a.system_prompt);
  if (!a.entry_point.empty()) put("entryPoint", a.entry_point);
  json required = json::array();
  for (const auto& t : a.required_tools) required.push_back({{"name", t}});
  put("requiredTools", required);
  json llms = json::array();
  for (const auto& c : a.llm_configs) llms.push_back(llm_config_to_json(c));
  if (!llms.empty()) put("llmConfig", llms.front());
  put("llmConfigs", llms);
  put("policies", a.policies);
  return {{"name", a.name},
          {"namespace", a.ns},
          {"status", {{"phase", a.phase}, {"message", a.message}}},
          {"spec", spec},
          {"image", a.image},
          {"system_prompt", a.system_prompt},
          {"entry_point", a.entry_point},
          {"required_tools", a.required_tools},
          {"llm_configs", llms},
          {"policies", a.policies},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at}};
}

Tool tool_from_json(const json& j) {
  Tool t;
  t.name = text_field(j, {"name"});
  if (t.name.empty()) t.name = str_at(j, {"metadata", "name"});
  t.description = text_field(j, {"description"});
  if (t.description.empty()) t.description = str_at(j, {"spec", "description"});
  t.base_url = text_field(j, {"base_url", "baseUrl"});
  if (t.base_url.empty()) t.base_url = str_at(j, {"spec", "connection", "baseUrl"});
  t.auth_type = text_field(j, {"auth_type", "authType"});
  if (t.auth_type.empty()) {
    t.auth_type = str_at(j, {"spec", "connection", "authentication", "type"});
  }
  t.port = static_cast<int>(int_field(j, {"port"}, 0));
  if (t.port == 0) {
    if (const json* p = field_at(j, {"spec", "connection", "port"})) t.port = int_of(*p, 0);
  }
  t.scheme = text_field(j, {"scheme"});
  if (t.scheme.empty()) t.scheme = str_at(j, {"spec", "connection", "scheme"});
  t.status = phase_of(j);
  t.created_at = timestamp(j, {"created_at", "createdAt"});
  if (t.created_at.empty()) t.created_at = str_at(j, {"metadata", "creationTimestamp"});
  t.updated_at = timestamp(j, {"updated_at", "updatedAt"});
  return t;
}

json tool_to_json(const Tool& t) {
  return {{"name", t.name},
          {"description", t.description},
          {"base_url", t.base_url},
          {"auth_type", t.auth_type},
          {"port", t.port},
          {"scheme", t.scheme},
          {"status", {{"phase", t.status}}},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at},
          {"spec",
           {{"description", t.description},
            {"connection",
             {{"topology", "External"},
              {"baseUrl", t.base_url},
              {"port", t.port},
              {"scheme", t.scheme},
              {"authentication", {{"type", t.auth_type}}}}}}}};
}

ToolRegistration tool_registration_from_json(const json& j) {
  if (!j.is_object()) bad_field("tool", "an object");
  Tool parsed = tool_from_json(j);
  ToolRegistration r;
  r.name = parsed.name;
  r.base_url = parsed.base_url;
  r.description = parsed.description;
  if (!parsed.auth_type.empty()) r.auth_type = parsed.auth_type;
  if (parsed.port != 0) r.port = parsed.port;
  if (!parsed.scheme.empty()) r.scheme = parsed.scheme;
  return r;
}

json tool_registration_to_json(const ToolRegistration& t) {
  return {{"name", t.name},           {"base_url", t.base_url}, {"description", t.description},
          {"auth_type", t.auth_type}, {"port", t.port},         {"scheme", t.scheme}};
}

ModelProvider model_provider_from_json(const json& j) {
  ModelProvider m;
  m.name = text_field(j, {"name"});
  if (m.name.empty()) m.name = str_at(j, {"metadata", "name"});
  m.provider = text_field(j, {"provider", "type"});
  if (m.provider.empty()) m.provider = str_at(j, {"spec", "provider"});
  m.base_url = text_field(j, {"base_url", "baseUrl", "endpoint"});
  if (m.base_url.empty()) m.base_url = str_at(j, {"spec", "baseUrl"});
  const json* models = field_at(j, {"models"});
  if (!models) models = field_at(j, {"spec", "models"});
  m.models = names(models);
  m.status = phase_of(j);
  return m;
}

json model_provider_to_json(const ModelProvider& m) {
  return {{"name", m.name},
          {"provider", m.provider},
          {"base_url", m.base_url},
          {"models", m.models},
          {"status", {{"phase", m.status}}}};
}

PolicyRule policy_rule_from_json(const json& j) {
  if (!j.is_object()) bad_field("policies[]", "a policy name or a rule object");
  PolicyRule r;
  r.permission = want_string(j, "permission", "rule.");
  r.resource = want_string(j, "resource", "rule.");
  r.operations = want_strings(j, "operations");
  return r;
}

json policy_rule_to_json(const PolicyRule& r) {
  return {{"permission", r.permission}, {"resource", r.resource}, {"operations", r.operations}};
}

Policy policy_from_json(const json& j) {
  Policy p;
  p.name = text_field(j, {"name"});
  if (p.name.empty()) p.name = str_at(j, {"metadata", "name"});
  p.ns = text_field(j, {"namespace"});
  const json* rules = field_at(j, {"spec", "policies"});
  if (!rules) rules = field_at(j, {"rules"});
  if (rules && rules->is_array()) {
    for (const auto& r : *rules) {
      if (!r.is_object()) continue;
      PolicyRule rule;
      rule.permission = text_field(r, {"permission"});
      rule.resource = text_field(r, {"resource"});
      rule.operations = strings(field_at(r, {"operations"}));
      p.rules.push_back(std::move(rule));
    }
  }
  p.bound_agents = names(field_at(j, {"used_by"}));
  if (p.bound_agents.empty()) p.bound_agents = names(field_at(j, {"bound_agents"}));
  p.created_at = timestamp(j, {"created_at"});
  p.updated_at = timestamp(j, {"updated_at"});
  return p;
}

json policy_to_json(const Policy& p) {
  json rules = json::array();
  for (const auto& r : p.rules) rules.push_back(policy_rule_to_json(r));
  json used_by = json::array();
  for (const auto& a : p.bound_agents) used_by.push_back({{"name", a}, {"namespace", p.ns}});
  return {{"name", p.name},
          {"namespace", p.ns},
          {"spec", {{"policies", rules}, {"approvals", json::array()}}},
          {"status", {{"ready", true}, {"message", ""}}},
          {"used_by", used_by},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

Run run_from_json(const json& j) {
  Run r;
  r.id = text_field(j, {"id", "run_id"});
  r.agent = text_field(j, {"agent", "agent_id", "agent_name"});
  r.ns = text_field(j, {"namespace"});
  r.status = phase_of(j);
  r.blocked_action_id = text_field(j, {"blocked_action_id"});
  r.user_id = text_field(j, {"user_id"});
  r.initial_message = text_field(j, {"initial_message", "message"});
  r.created_at = timestamp(j, {"created_at"});
  r.updated_at = timestamp(j, {"updated_at"});
  return r;
}

json run_to_json(const Run& r) {
  return {{"id", r.id},
          {"agent_id", r.agent},
          {"agent", r.agent},
          {"namespace", r.ns},
          {"status", r.status},
          {"blocked_action_id", r.blocked_action_id},
          {"user_id", r.user_id},
          {"initial_message", r.initial_message},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at}};
}

RunEvent run_event_from_json(const json& j) {
  RunEvent e;
  e.id = text_field(j, {"event_id", "id"});
  e.run_id = text_field(j, {"run_id"});
  e.seq = int_field(j, {"seq", "sequence"}, 0);
  e.type = text_field(j, {"type"});
  e.actor = text_field(j, {"actor"});
  e.timestamp = timestamp(j, {"timestamp", "created_at"});
  const json* data = field_at(j, {"data"});
  e.data = data ? *data : json::object();
  return e;
}

json run_event_to_json(const RunEvent& e) {
  return {{"event_id", e.id},          {"id", e.id},
          {"run_id", e.run_id},        {"seq", e.seq},
          {"sequence", e.seq},         {"type", e.type},
          {"actor", e.actor},          {"timestamp", e.timestamp},
          {"created_at", e.timestamp}, {"data", e.data}};
}

AccessRequest access_request_from_json(const json& j) {
  AccessRequest a;
  a.id = text_field(j, {"id", "request_id"});
  a.subject = text_field(j, {"subject", "user_id"});
  a.agent = text_field(j, {"agent_id", "agent"});
  a.tool = text_field(j, {"tool_id", "tool"});
  a.run_id = text_field(j, {"run_id"});
  a.action_id = text_field(j, {"action_id"});
  a.payload_hash = text_field(j, {"payload_hash"});
  a.status = text_field(j, {"status"});
  a.scope = text_field(j, {"scope"});
  a.duration = text_field(j, {"duration"});
  a.approver_id = text_field(j, {"approver_id", "approver"});
  a.reason = text_field(j, {"reason"});
  a.created_at = timestamp(j, {"created_at"});
  a.updated_at = timestamp(j, {"updated_at"});
  a.expires_at = timestamp(j, {"expires_at"});
  return a;
}

json access_request_to_json(const AccessRequest& a) {
  return {{"id", a.id},
          {"subject", a.subject},
          {"agent_id", a.agent},
          {"agent", a.agent},
          {"tool_id", a.tool},
          {"tool", a.tool},
          {"run_id", a.run_id},
          {"action_id", a.action_id},
          {"payload_hash", a.payload_hash},
          {"status", a.status},
          {"scope", a.scope},
          {"duration", a.duration},
          {"approver_id", a.approver_id},
          {"reason", a.reason},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at},
          {"expires_at", a.expires_at}};
}

Analysis analysis_from_json(const json& j) {
  Analysis a;
  a.entry_point = text_field(j, {"entry_point"});
  if (const json* h = field_at(j, {"has_handler"}); h && h->is_boolean()) a.has_handler = *h;
  a.handler_signature = text_field(j, {"handler_signature"});
  a.framework = text_field(j, {"framework"});
  if (const json* tools = field_at(j, {"tools"}); tools && tools->is_array()) {
    for (const auto& t : *tools) {
      if (t.is_string()) {
        a.tools.push_back({t.get<std::string>(), "", "", 0});
        continue;
      }
      a.tools.push_back({text_field(t, {"name"}), text_field(t, {"base_url", "baseUrl"}),
                         text_field(t, {"file"}), static_cast<int>(int_field(t, {"line"}))});
    }
  }
  a.llm_libraries = strings(field_at(j, {"llm_libraries"}));
  const json* models = field_at(j, {"models"});
  if (!models) models = field_at(j, {"model_providers"});
  if (models && models->is_array()) {
    for (const auto& m : *models) {
      a.models.push_back({text_field(m, {"provider"}), text_field(m, {"model"}),
                          text_field(m, {"file"}), static_cast<int>(int_field(m, {"line"}))});
    }
  }
  if (const json* secrets = field_at(j, {"secrets"}); secrets && secrets->is_array()) {
    for (const auto& s : *secrets) {
      a.secrets.push_back({text_field(s, {"type"}), text_field(s, {"file"}),
                           static_cast<int>(int_field(s, {"line"})), text_field(s, {"severity"})});
    }
  }
  const json* reqs = field_at(j, {"requirements"});
  if (!reqs) reqs = field_at(j, {"detected_requirements"});
  a.requirements = strings(reqs);
  a.outbound_destinations = strings(field_at(j, {"outbound_destinations"}));
  return a;
}

json analysis_to_wire(const Analysis& a) {
  // The tools' shape, plus the API's other spellings: `models` carries what the tools call
  // model_providers (with file and line), the API's `model_providers` only provider and model,
  // and the requirements stand under both names.
  json j = platform::analysis_to_json(a);
  j["models"] = std::move(j["model_providers"]);
  json providers = json::array();
  for (const auto& m : a.models)
    providers.push_back({{"provider", m.provider}, {"model", m.model}});
  j["model_providers"] = std::move(providers);
  j["requirements"] = a.requirements;
  return j;
}

json deploy_request_to_json(const DeployRequest& r) {
  json body = {{"agent_name", r.agent_name}};
  if (!r.source_files.empty()) body["source_files"] = r.source_files;
  if (!r.image.empty()) body["image"] = r.image;
  if (!r.system_prompt.empty()) body["system_prompt"] = r.system_prompt;
  if (!r.required_tools.empty()) body["required_tools"] = r.required_tools;
  if (!r.tools_to_create.empty()) {
    json tools = json::array();
    for (const auto& t : r.tools_to_create) tools.push_back(tool_registration_to_json(t));
    body["tools_to_create"] = tools;
  }
  if (!r.llm_configs.empty()) {
    json llms = json::array();
    for (const auto& c : r.llm_configs) llms.push_back(llm_config_to_json(c));
    body["llm_configs"] = llms;
  }
  if (!r.requirements.empty()) body["requirements"] = r.requirements;
  if (!r.entry_point.empty()) body["entry_point"] = r.entry_point;
  // Names only: a RunAgents server binds policies by name (reference §2.3). Inline rules are
  // stored as a named policy by RunAgentsAgents::deploy before the deploy is sent.
  if (!r.policy_names.empty()) body["policies"] = r.policy_names;
  return body;
}

std::string inline_policy_name(const std::string& agent_name) {
  static constexpr std::string_view kSuffix = "-inline";
  std::string base = agent_name.substr(0, 63 - kSuffix.size());
  while (!base.empty() && base.back() == '-') base.pop_back();
  return base + std::string(kSuffix);
}

DeployRequest deploy_request_from_json(const json& j) {
  if (!j.is_object()) bad_field("body", "a JSON object");
  DeployRequest r;
  r.agent_name = want_string(j, "agent_name");
  if (r.agent_name.empty()) r.agent_name = want_string(j, "name");
  r.ns = want_string(j, "namespace");
  if (auto it = j.find("source_files"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) bad_field("source_files", "an object of file name to source text");
    for (const auto& [file, text] : it->items()) {
      if (!text.is_string()) bad_field("source_files." + file, "a string");
      r.source_files[file] = text.get<std::string>();
    }
  }
  r.image = want_string(j, "image");
  r.system_prompt = want_string(j, "system_prompt");
  r.required_tools = want_strings(j, "required_tools");
  if (auto it = j.find("tools_to_create"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad_field("tools_to_create", "an array of tool objects");
    for (const auto& t : *it) r.tools_to_create.push_back(tool_registration_from_json(t));
  }
  if (auto it = j.find("llm_configs"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad_field("llm_configs", "an array of {provider, model, role}");
    for (const auto& c : *it) {
      if (!c.is_object()) bad_field("llm_configs[]", "an object {provider, model, role}");
      r.llm_configs.push_back(llm_config_from_json(c));
    }
  }
  r.requirements = want_string(j, "requirements");
  r.entry_point = want_string(j, "entry_point");
  if (auto it = j.find("policies"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad_field("policies", "an array of policy names or rule objects");
    for (const auto& p : *it) {
      if (p.is_string()) {
        r.policy_names.push_back(p.get<std::string>());
      } else {
        r.policy_rules.push_back(policy_rule_from_json(p));
      }
    }
  }
  if (auto it = j.find("dry_run"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) bad_field("dry_run", "a boolean");
    r.dry_run = it->get<bool>();
  }
  return r;
}

json deploy_result_fields(const DeployResult& r, json analysis) {
  return {{"agent", r.agent},
          {"namespace", r.ns},
          {"status", r.status},
          {"phase", r.phase},
          {"message", r.message},
          {"tools_created", r.tools_created},
          {"analysis", std::move(analysis)},
          {"warnings", r.warnings},
          {"notes", r.notes}};
}

json deploy_result_to_json(const DeployResult& r) {
  json out = deploy_result_fields(r, analysis_to_wire(r.analysis));
  out["agent_name"] = r.agent;
  return out;
}

DeployResult deploy_result_from_json(const json& j) {
  DeployResult r;
  r.agent = text_field(j, {"agent", "agent_name"});
  r.ns = text_field(j, {"namespace"});
  r.status = text_field(j, {"status"});
  r.phase = text_field(j, {"phase"});
  r.message = text_field(j, {"message", "decision_reason"});
  r.tools_created = names(field_at(j, {"tools_created"}));
  if (const json* a = field_at(j, {"analysis"}); a && a->is_object()) {
    r.analysis = analysis_from_json(*a);
  }
  r.warnings = strings(field_at(j, {"warnings"}));
  r.notes = strings(field_at(j, {"notes"}));
  return r;
}

json workspace_context_to_json(const WorkspaceContext& c) {
  json agents = json::array(), tools = json::array(), models = json::array(),
       policies = json::array(), approvals = json::array();
  for (const auto& a : c.agents) agents.push_back(agent_to_json(a));
  for (const auto& t : c.tools) tools.push_back(tool_to_json(t));
  for (const auto& m : c.model_providers) models.push_back(model_provider_to_json(m));
  for (const auto& p : c.policies) policies.push_back(policy_to_json(p));
  for (const auto& a : c.approvals) approvals.push_back(access_request_to_json(a));
  json meta = {{"agents_count", agents.size()},
               {"tools_count", tools.size()},
               {"model_providers_count", models.size()},
               {"policies_count", policies.size()},
               {"approvals_count", approvals.size()}};
  json out = {{"generated_at", c.generated_at},
              {"namespace", c.ns},
              {"resources",
               {{"agents", agents},
                {"tools", tools},
                {"model_providers", models},
                {"policies", policies},
                {"approvals", approvals}}},
              {"errors", c.errors},
              {"meta", meta}};
  if (!c.endpoint.empty()) out["endpoint"] = c.endpoint;
  return out;
}

WorkspaceContext workspace_context_from_json(const json& j) {
  WorkspaceContext c;
  c.generated_at = timestamp(j, {"generated_at"});
  c.ns = text_field(j, {"namespace"});
  c.endpoint = text_field(j, {"endpoint"});
  const json* res = field_at(j, {"resources"});
  const json& r = res && res->is_object() ? *res : j;
  auto each = [&](const char* key, auto&& fn) {
    if (const json* v = field_at(r, {key}); v && v->is_array()) {
      for (const auto& e : *v) fn(e);
    }
  };
  each("agents", [&](const json& e) { c.agents.push_back(agent_from_json(e)); });
  each("tools", [&](const json& e) { c.tools.push_back(tool_from_json(e)); });
  each("model_providers",
       [&](const json& e) { c.model_providers.push_back(model_provider_from_json(e)); });
  each("policies", [&](const json& e) { c.policies.push_back(policy_from_json(e)); });
  each("approvals", [&](const json& e) { c.approvals.push_back(access_request_from_json(e)); });
  if (const json* errors = field_at(j, {"errors"}); errors && errors->is_object()) {
    for (const auto& [k, v] : errors->items())
      c.errors[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return c;
}

}  // namespace runagents::platform
