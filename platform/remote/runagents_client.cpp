#include "platform/remote/runagents_client.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <string_view>

#include "platform/names.hpp"

namespace runagents::platform::remote {

namespace {

// ---------------------------------------------------------------------------------------------
// Tolerant readers

const json* find(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return "";
}

// The first of `keys` present as a scalar.
std::string str(const json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return "";
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && !it->is_null() && !it->is_structured()) return text_of(*it);
  }
  return "";
}

std::string str_at(const json& j, std::initializer_list<const char*> path) {
  const json* v = find(j, path);
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
  const json* s = find(j, {"status"});
  if (!s) return str(j, {"phase"});
  if (s->is_object()) return str(*s, {"phase", "state", "status"});
  return text_of(*s);
}

LlmConfig llm_config_from_json(const json& j) {
  LlmConfig c;
  c.provider = str(j, {"provider"});
  c.model = str(j, {"model"});
  std::string role = str(j, {"role"});
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
  a.name = str(j, {"name"});
  if (a.name.empty()) a.name = str_at(j, {"metadata", "name"});
  a.ns = str(j, {"namespace"});
  if (a.ns.empty()) a.ns = str_at(j, {"metadata", "namespace"});
  a.phase = phase_of(j);
  a.message = str_at(j, {"status", "message"});
  if (a.message.empty()) a.message = str(j, {"message"});
  const json* spec = find(j, {"spec"});
  if (spec && spec->is_object()) a.spec = *spec;
  const json& s = a.spec;
  a.image = str(s, {"image"});
  if (a.image.empty()) a.image = str(j, {"image"});
  a.system_prompt = str(s, {"systemPrompt", "system_prompt"});
  if (a.system_prompt.empty()) a.system_prompt = str(j, {"system_prompt"});
  a.entry_point = str(s, {"entryPoint", "entry_point"});
  if (a.entry_point.empty()) a.entry_point = str(j, {"entry_point"});
  a.required_tools = find(s, {"requiredTools"}) ? names(find(s, {"requiredTools"}))
                                                : names(find(j, {"required_tools"}));
  if (const json* l = find(j, {"llm_configs"}); l && l->is_array()) {
    for (const auto& e : *l) a.llm_configs.push_back(llm_config_from_json(e));
  } else if (const json* l2 = find(s, {"llmConfigs"}); l2 && l2->is_array()) {
    for (const auto& e : *l2) a.llm_configs.push_back(llm_config_from_json(e));
  } else if (const json* one = find(s, {"llmConfig"}); one && one->is_object()) {
    a.llm_configs.push_back(llm_config_from_json(*one));
  }
  a.policies = find(j, {"policies"}) ? names(find(j, {"policies"})) : names(find(s, {"policies"}));
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
  t.name = str(j, {"name"});
  if (t.name.empty()) t.name = str_at(j, {"metadata", "name"});
  t.description = str(j, {"description"});
  if (t.description.empty()) t.description = str_at(j, {"spec", "description"});
  t.base_url = str(j, {"base_url", "baseUrl"});
  if (t.base_url.empty()) t.base_url = str_at(j, {"spec", "connection", "baseUrl"});
  t.auth_type = str(j, {"auth_type", "authType"});
  if (t.auth_type.empty()) {
    t.auth_type = str_at(j, {"spec", "connection", "authentication", "type"});
  }
  t.port = static_cast<int>(int_field(j, {"port"}, 0));
  if (t.port == 0) {
    if (const json* p = find(j, {"spec", "connection", "port"})) t.port = int_of(*p, 0);
  }
  t.scheme = str(j, {"scheme"});
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
  m.name = str(j, {"name"});
  if (m.name.empty()) m.name = str_at(j, {"metadata", "name"});
  m.provider = str(j, {"provider", "type"});
  if (m.provider.empty()) m.provider = str_at(j, {"spec", "provider"});
  m.base_url = str(j, {"base_url", "baseUrl", "endpoint"});
  if (m.base_url.empty()) m.base_url = str_at(j, {"spec", "baseUrl"});
  const json* models = find(j, {"models"});
  if (!models) models = find(j, {"spec", "models"});
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
  p.name = str(j, {"name"});
  if (p.name.empty()) p.name = str_at(j, {"metadata", "name"});
  p.ns = str(j, {"namespace"});
  const json* rules = find(j, {"spec", "policies"});
  if (!rules) rules = find(j, {"rules"});
  if (rules && rules->is_array()) {
    for (const auto& r : *rules) {
      if (!r.is_object()) continue;
      PolicyRule rule;
      rule.permission = str(r, {"permission"});
      rule.resource = str(r, {"resource"});
      rule.operations = strings(find(r, {"operations"}));
      p.rules.push_back(std::move(rule));
    }
  }
  p.bound_agents = names(find(j, {"used_by"}));
  if (p.bound_agents.empty()) p.bound_agents = names(find(j, {"bound_agents"}));
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
  r.id = str(j, {"id", "run_id"});
  r.agent = str(j, {"agent", "agent_id", "agent_name"});
  r.ns = str(j, {"namespace"});
  r.status = phase_of(j);
  r.blocked_action_id = str(j, {"blocked_action_id"});
  r.user_id = str(j, {"user_id"});
  r.initial_message = str(j, {"initial_message", "message"});
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
  e.id = str(j, {"event_id", "id"});
  e.run_id = str(j, {"run_id"});
  e.seq = int_field(j, {"seq", "sequence"}, 0);
  e.type = str(j, {"type"});
  e.actor = str(j, {"actor"});
  e.timestamp = timestamp(j, {"timestamp", "created_at"});
  const json* data = find(j, {"data"});
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
  a.id = str(j, {"id", "request_id"});
  a.subject = str(j, {"subject", "user_id"});
  a.agent = str(j, {"agent_id", "agent"});
  a.tool = str(j, {"tool_id", "tool"});
  a.run_id = str(j, {"run_id"});
  a.action_id = str(j, {"action_id"});
  a.payload_hash = str(j, {"payload_hash"});
  a.status = str(j, {"status"});
  a.scope = str(j, {"scope"});
  a.duration = str(j, {"duration"});
  a.approver_id = str(j, {"approver_id", "approver"});
  a.reason = str(j, {"reason"});
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
  a.entry_point = str(j, {"entry_point"});
  if (const json* h = find(j, {"has_handler"}); h && h->is_boolean()) a.has_handler = *h;
  a.handler_signature = str(j, {"handler_signature"});
  a.framework = str(j, {"framework"});
  if (const json* tools = find(j, {"tools"}); tools && tools->is_array()) {
    for (const auto& t : *tools) {
      if (t.is_string()) {
        a.tools.push_back({t.get<std::string>(), "", "", 0});
        continue;
      }
      a.tools.push_back({str(t, {"name"}), str(t, {"base_url", "baseUrl"}), str(t, {"file"}),
                         static_cast<int>(int_field(t, {"line"}))});
    }
  }
  a.llm_libraries = strings(find(j, {"llm_libraries"}));
  const json* models = find(j, {"models"});
  if (!models) models = find(j, {"model_providers"});
  if (models && models->is_array()) {
    for (const auto& m : *models) {
      a.models.push_back({str(m, {"provider"}), str(m, {"model"}), str(m, {"file"}),
                          static_cast<int>(int_field(m, {"line"}))});
    }
  }
  if (const json* secrets = find(j, {"secrets"}); secrets && secrets->is_array()) {
    for (const auto& s : *secrets) {
      a.secrets.push_back({str(s, {"type"}), str(s, {"file"}),
                           static_cast<int>(int_field(s, {"line"})), str(s, {"severity"})});
    }
  }
  const json* reqs = find(j, {"requirements"});
  if (!reqs) reqs = find(j, {"detected_requirements"});
  a.requirements = strings(reqs);
  a.outbound_destinations = strings(find(j, {"outbound_destinations"}));
  return a;
}

json analysis_to_wire(const Analysis& a) {
  json tools = json::array(), models = json::array(), providers = json::array(),
       secrets = json::array();
  for (const auto& t : a.tools) {
    tools.push_back(
        {{"name", t.name}, {"base_url", t.base_url}, {"file", t.file}, {"line", t.line}});
  }
  for (const auto& m : a.models) {
    models.push_back(
        {{"provider", m.provider}, {"model", m.model}, {"file", m.file}, {"line", m.line}});
    providers.push_back({{"provider", m.provider}, {"model", m.model}});
  }
  for (const auto& s : a.secrets) {
    secrets.push_back(
        {{"type", s.type}, {"file", s.file}, {"line", s.line}, {"severity", s.severity}});
  }
  return {{"entry_point", a.entry_point},
          {"has_handler", a.has_handler},
          {"handler_signature", a.handler_signature},
          {"framework", a.framework},
          {"tools", tools},
          {"llm_libraries", a.llm_libraries},
          {"models", models},
          {"model_providers", providers},
          {"secrets", secrets},
          {"requirements", a.requirements},
          {"detected_requirements", a.requirements},
          {"outbound_destinations", a.outbound_destinations}};
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

json deploy_result_to_json(const DeployResult& r) {
  return {{"agent", r.agent},
          {"agent_name", r.agent},
          {"namespace", r.ns},
          {"status", r.status},
          {"phase", r.phase},
          {"message", r.message},
          {"tools_created", r.tools_created},
          {"analysis", analysis_to_wire(r.analysis)},
          {"warnings", r.warnings}};
}

DeployResult deploy_result_from_json(const json& j) {
  DeployResult r;
  r.agent = str(j, {"agent", "agent_name"});
  r.ns = str(j, {"namespace"});
  r.status = str(j, {"status"});
  r.phase = str(j, {"phase"});
  r.message = str(j, {"message", "decision_reason"});
  r.tools_created = names(find(j, {"tools_created"}));
  if (const json* a = find(j, {"analysis"}); a && a->is_object()) {
    r.analysis = analysis_from_json(*a);
  }
  r.warnings = strings(find(j, {"warnings"}));
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
  c.ns = str(j, {"namespace"});
  c.endpoint = str(j, {"endpoint"});
  const json* res = find(j, {"resources"});
  const json& r = res && res->is_object() ? *res : j;
  auto each = [&](const char* key, auto&& fn) {
    if (const json* v = find(r, {key}); v && v->is_array()) {
      for (const auto& e : *v) fn(e);
    }
  };
  each("agents", [&](const json& e) { c.agents.push_back(agent_from_json(e)); });
  each("tools", [&](const json& e) { c.tools.push_back(tool_from_json(e)); });
  each("model_providers",
       [&](const json& e) { c.model_providers.push_back(model_provider_from_json(e)); });
  each("policies", [&](const json& e) { c.policies.push_back(policy_from_json(e)); });
  each("approvals", [&](const json& e) { c.approvals.push_back(access_request_from_json(e)); });
  if (const json* errors = find(j, {"errors"}); errors && errors->is_object()) {
    for (const auto& [k, v] : errors->items())
      c.errors[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Connection

RunAgentsOptions RunAgentsOptions::from_config(const Config& config) {
  RunAgentsOptions o;
  o.endpoint = config.endpoint;
  o.api_key = config.api_key;
  o.ns = config.ns;
  return o;
}

namespace {

HttpClientOptions http_options(const RunAgentsOptions& o) {
  HttpClientOptions h;
  h.base_url = o.endpoint;
  h.service = "RunAgents";
  h.base_url_setting = "RUNAGENTS_ENDPOINT";
  h.default_headers.emplace_back("Content-Type", "application/json");
  if (!o.ns.empty()) h.default_headers.emplace_back("X-Workspace-Namespace", o.ns);
  if (!o.api_key.empty()) {
    h.default_headers.emplace_back("Authorization", "Bearer " + o.api_key);
    if (o.api_key.rfind("ra_ws_", 0) == 0) {
      h.default_headers.emplace_back("X-RunAgents-API-Key", o.api_key);
    }
    h.secrets.push_back(o.api_key);
  }
  h.auth_hint = o.api_key.empty()
                    ? "the endpoint wants an API key: set RUNAGENTS_API_KEY or run "
                      "`runagents-mcp config set api_key <key>`"
                    : "the API key was refused: check RUNAGENTS_API_KEY (runagents-mcp config "
                      "get api_key) and the namespace";
  h.timeout = o.timeout;
  h.connect_timeout = o.connect_timeout;
  h.retry = o.retry;
  return h;
}

// Rethrows a not-found answer with the interface's message, keeping the server's detail.
[[noreturn]] void not_found(const RemoteError& e, const std::string& message) {
  throw RemoteError(ErrorKind::not_found, message + " (" + e.what() + ")", e.http_status(),
                    e.detail(), e.body());
}

std::string seg(const std::string& s) {
  return encode_path_segment(s);
}

}  // namespace

RunAgentsConnection::RunAgentsConnection(RunAgentsOptions options)
    : options_(std::move(options)), http_(http_options(options_)) {}

std::string RunAgentsConnection::ns_or_default(const std::string& ns) const {
  return ns.empty() ? options_.ns : ns;
}

Analysis RunAgentsConnection::analyze(const std::map<std::string, std::string>& files) const {
  json body = http_.send_json(HttpRequest::post("/ingestion/analyze", json{{"files", files}}));
  return analysis_from_json(body);
}

json RunAgentsConnection::seed_starter_kit() const {
  return http_.send_json(HttpRequest::post("/api/starter-kit"));
}

namespace {

using Conn = std::shared_ptr<RunAgentsConnection>;

// ---------------------------------------------------------------------------------------------
// Agents

class RunAgentsAgents final : public AgentService {
 public:
  explicit RunAgentsAgents(Conn c) : c_(std::move(c)) {}

  std::vector<Agent> list(const std::string& ns) override {
    json body = c_->http().send_json(HttpRequest::get("/api/agents"));
    std::vector<Agent> out;
    for (const auto& e : list_items(body, {"agents"}, "list agents")) {
      Agent a = agent_from_json(e);
      if (!ns.empty() && !a.ns.empty() && a.ns != ns) continue;
      out.push_back(std::move(a));
    }
    std::sort(out.begin(), out.end(), [](const Agent& a, const Agent& b) {
      return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
    });
    return out;
  }

  Agent get(const std::string& ns_in, const std::string& name) override {
    const std::string ns = c_->ns_or_default(ns_in);
    try {
      Agent a = agent_from_json(
          c_->http().send_json(HttpRequest::get("/api/agents/" + seg(ns) + "/" + seg(name))));
      if (a.ns.empty()) a.ns = ns;
      if (a.name.empty()) a.name = name;
      return a;
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "agent " + ns + "/" + name + " not found; list_agents lists deployed agents");
    }
  }

  DeployResult deploy(const DeployRequest& request) override {
    const std::string ns = c_->ns_or_default(request.ns);
    if (request.dry_run) return dry_run(request, ns);
    // The deploy's `policies` binds policies by name only (reference §2.3): inline rules are
    // first stored as the agent's own named policy through the Policies API (§4), then bound.
    DeployRequest wire = request;
    bool policy_created = false;
    if (!request.policy_rules.empty()) {
      require_dns_label(request.agent_name, "agent_name");
      const std::string name = inline_policy_name(request.agent_name);
      policy_created = upsert_policy(ns, name, request.policy_rules);
      wire.policy_rules.clear();
      if (std::find(wire.policy_names.begin(), wire.policy_names.end(), name) ==
          wire.policy_names.end()) {
        wire.policy_names.push_back(name);
      }
    }
    HttpRequest http = HttpRequest::post("/api/deploy", deploy_request_to_json(wire));
    if (ns != c_->ns()) http.with_header("X-Workspace-Namespace", ns);
    HttpResponse res;
    try {
      res = c_->http().send(http);
    } catch (const RemoteError& e) {
      // The server refused the deploy, so nothing is bound to a policy this call created: take
      // it back (best effort). Not on 5xx or transport errors, where the deploy may have landed.
      if (policy_created && e.http_status() >= 400 && e.http_status() < 500) {
        try {
          c_->http().send(
              in_ns(HttpRequest::make(
                        "DELETE", "/api/policies/" + seg(inline_policy_name(request.agent_name))),
                    ns));
        } catch (const PlatformError&) {
        }
      }
      throw;
    }
    json body = res.json_body();
    DeployResult r = deploy_result_from_json(body.is_object() ? body : json::object());
    if (r.agent.empty()) r.agent = request.agent_name;
    if (r.ns.empty()) r.ns = ns;
    if (r.status.empty()) r.status = res.status == 201 ? "created" : "updated";
    if (r.phase.empty()) {
      // The API does not say how the agent ended up; ask, but do not fail the deploy over it.
      try {
        Agent a = get(r.ns, r.agent);
        r.phase = a.phase;
        if (r.message.empty()) r.message = a.message;
      } catch (const PlatformError&) {
      }
    }
    return r;
  }

  InvokeResult invoke(const InvokeRequest& request) override {
    const std::string ns = c_->ns_or_default(request.ns);
    json body = {{"message", request.message}, {"history", request.history}};
    if (!request.user_id.empty()) body["user_id"] = request.user_id;
    HttpRequest http =
        HttpRequest::post("/api/agents/" + seg(ns) + "/" + seg(request.agent) + "/invoke", body)
            .with_timeout(c_->options().invoke_timeout);
    HttpResponse res;
    try {
      res = c_->http().send(http);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(
          e, "agent " + ns + "/" + request.agent + " not found; list_agents lists deployed agents");
    }
    json answer = res.json_body();
    if (!answer.is_object()) answer = json{{"response", answer}};
    InvokeResult r;
    r.run_id = res.header("X-Run-ID");
    r.status = res.header("X-Run-Status");
    if (!r.run_id.empty() && answer.value("run_id", json()) == r.run_id) answer.erase("run_id");
    if (!r.status.empty() && answer.value("run_status", json()) == r.status) {
      answer.erase("run_status");
    }
    if (r.run_id.empty()) r.run_id = str(answer, {"run_id"});
    if (r.status.empty()) r.status = str(answer, {"run_status"});
    if (r.status.empty() && !r.run_id.empty()) {
      try {
        r.status =
            run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(r.run_id)))).status;
      } catch (const PlatformError&) {
      }
    }
    if (r.status.empty()) {
      r.status = answer.contains("approval_required") ? "PAUSED_APPROVAL"
                 : answer.contains("error")           ? "FAILED"
                                                      : "COMPLETED";
    }
    r.response = std::move(answer);
    return r;
  }

 private:
  HttpRequest in_ns(HttpRequest http, const std::string& ns) const {
    if (ns != c_->ns()) http.with_header("X-Workspace-Namespace", ns);
    return http;
  }

  // Stores `rules` as the policy `name` in `ns`; true when it was created. The reference (§4)
  // gives PUT /api/policies/{name} for an existing policy and POST /api/policies for a new one,
  // so: PUT first (the redeploy case), and POST when the PUT answers 404 (no such policy) or
  // 405 (no PUT); a 409 to the POST (created meanwhile) means PUT again. Errors are the
  // RemoteErrors of the http client (status and the server's detail).
  bool upsert_policy(const std::string& ns, const std::string& name,
                     const std::vector<PolicyRule>& rules) {
    json spec_rules = json::array();
    for (const auto& r : rules) spec_rules.push_back(policy_rule_to_json(r));
    const json body = {{"name", name},
                       {"spec", {{"policies", spec_rules}, {"approvals", json::array()}}}};
    auto put = [&] {
      c_->http().send(
          in_ns(HttpRequest::make("PUT", "/api/policies/" + seg(name)).with_json(body), ns));
    };
    try {
      put();
      return false;
    } catch (const RemoteError& e) {
      if (e.http_status() != 404 && e.http_status() != 405) throw;
    }
    try {
      c_->http().send(in_ns(HttpRequest::post("/api/policies", body), ns));
      return true;
    } catch (const RemoteError& e) {
      if (e.http_status() != 409) throw;
    }
    put();
    return false;
  }

  DeployResult dry_run(const DeployRequest& request, const std::string& ns) {
    DeployResult r;
    r.agent = request.agent_name;
    r.ns = ns;
    r.status = "validated";
    // A dry run writes nothing: inline rules are only checked here; a deploy would store them
    // as the policy inline_policy_name(agent) and bind it.
    for (std::size_t i = 0; i < request.policy_rules.size(); ++i) {
      const PolicyRule& rule = request.policy_rules[i];
      const std::string where = "policies[" + std::to_string(i) + "]";
      if (rule.permission != "allow" && rule.permission != "deny" &&
          rule.permission != "approval_required") {
        r.warnings.push_back("would fail: " + where + ": permission '" + rule.permission +
                             "' is not allow, deny or approval_required");
      }
      if (rule.resource.empty()) {
        r.warnings.push_back("would fail: " + where +
                             ": resource is empty; give a tool name, \"*\" or a URL pattern");
      }
    }
    if (!request.policy_names.empty()) {
      // Named policies must exist; a server without the list is not a reason to fail.
      try {
        std::set<std::string> existing;
        json body = c_->http().send_json(HttpRequest::get("/api/policies"));
        for (const auto& e : list_items(body, {"policies"}, "list policies")) {
          Policy p = policy_from_json(e);
          if (p.ns.empty() || p.ns == ns) existing.insert(p.name);
        }
        const std::string own = inline_policy_name(request.agent_name);
        for (const auto& n : request.policy_names) {
          if (existing.count(n) || (n == own && !request.policy_rules.empty())) continue;
          r.warnings.push_back("would fail: policy '" + n + "' does not exist in namespace " + ns);
        }
      } catch (const PlatformError&) {
      }
    }
    if (request.source_files.empty()) {
      r.warnings.push_back(request.image.empty()
                               ? "no source_files or image given: nothing to deploy"
                               : "an image cannot be analyzed; only source_files are");
      return r;
    }
    r.analysis = c_->analyze(request.source_files);
    // Required tools must exist or be created by the deploy.
    std::set<std::string> known;
    for (const auto& t : request.tools_to_create) known.insert(t.name);
    std::vector<std::string> missing;
    if (!request.required_tools.empty()) {
      json tools = c_->http().send_json(HttpRequest::get("/api/tools"));
      for (const auto& e : list_items(tools, {"tools"}, "list tools")) {
        known.insert(tool_from_json(e).name);
      }
      for (const auto& t : request.required_tools) {
        if (!known.count(t)) missing.push_back(t);
      }
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      r.warnings.push_back("required tools not registered: " + list +
                           "; register them with create_tool or list them in tools_to_create");
    }
    return r;
  }

  Conn c_;
};

// ---------------------------------------------------------------------------------------------
// Tools, model providers, policies

class RunAgentsTools final : public ToolService {
 public:
  explicit RunAgentsTools(Conn c) : c_(std::move(c)) {}

  std::vector<Tool> list() override {
    json body = c_->http().send_json(HttpRequest::get("/api/tools"));
    std::vector<Tool> out;
    for (const auto& e : list_items(body, {"tools"}, "list tools")) {
      out.push_back(tool_from_json(e));
    }
    std::sort(out.begin(), out.end(), [](const Tool& a, const Tool& b) { return a.name < b.name; });
    return out;
  }

  Tool get(const std::string& name) override {
    try {
      return tool_from_json(c_->http().send_json(HttpRequest::get("/api/tools/" + seg(name))));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "tool \"" + name + "\" not found; list_tools lists registered tools");
    }
  }

  UpsertResult upsert(const ToolRegistration& tool) override {
    HttpResponse res =
        c_->http().send(HttpRequest::post("/api/tools", tool_registration_to_json(tool)));
    json body = res.json_body();
    if (body.is_object() && body.contains("tool") && body["tool"].is_object()) {
      bool created = body.value("created", res.status == 201);
      return {tool_from_json(body["tool"]), created};
    }
    UpsertResult r;
    r.tool = tool_from_json(body.is_object() ? body : json::object());
    if (r.tool.name.empty()) r.tool.name = tool.name;
    r.created = body.is_object() && body.contains("created") && body["created"].is_boolean()
                    ? body["created"].get<bool>()
                    : res.status == 201;
    return r;
  }

 private:
  Conn c_;
};

class RunAgentsModels final : public ModelProviderService {
 public:
  explicit RunAgentsModels(Conn c) : c_(std::move(c)) {}
  std::vector<ModelProvider> list() override {
    json body = c_->http().send_json(HttpRequest::get("/api/model-providers"));
    std::vector<ModelProvider> out;
    for (const auto& e :
         list_items(body, {"model_providers", "providers"}, "list model providers")) {
      out.push_back(model_provider_from_json(e));
    }
    std::sort(out.begin(), out.end(),
              [](const ModelProvider& a, const ModelProvider& b) { return a.name < b.name; });
    return out;
  }

 private:
  Conn c_;
};

class RunAgentsPolicies final : public PolicyService {
 public:
  explicit RunAgentsPolicies(Conn c) : c_(std::move(c)) {}
  std::vector<Policy> list(const std::string& ns) override {
    json body = c_->http().send_json(HttpRequest::get("/api/policies"));
    std::vector<Policy> out;
    for (const auto& e : list_items(body, {"policies"}, "list policies")) {
      Policy p = policy_from_json(e);
      if (!ns.empty() && !p.ns.empty() && p.ns != ns) continue;
      out.push_back(std::move(p));
    }
    std::sort(out.begin(), out.end(), [](const Policy& a, const Policy& b) {
      return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
    });
    return out;
  }

 private:
  Conn c_;
};

// ---------------------------------------------------------------------------------------------
// Runs

class RunAgentsRuns final : public RunService {
 public:
  explicit RunAgentsRuns(Conn c) : c_(std::move(c)) {}

  std::vector<Run> list(const RunFilter& filter) override {
    const int limit = std::clamp(filter.limit, 1, 200);
    HttpRequest req = HttpRequest::get("/runs");
    if (!filter.agent.empty()) {
      req.with_query("agent", filter.agent).with_query("agent_id", filter.agent);
    }
    if (!filter.status.empty()) req.with_query("status", filter.status);
    if (limit != 20) req.with_query("limit", std::to_string(limit));
    json body = c_->http().send_json(req);
    std::vector<Run> out;
    for (const auto& e : list_items(body, {"runs"}, "list runs")) {
      Run r = run_from_json(e);
      if (!filter.agent.empty() && r.agent != filter.agent) continue;
      if (!filter.status.empty() && r.status != filter.status) continue;
      out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Run& a, const Run& b) { return a.updated_at > b.updated_at; });
    if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }

  Run get(const std::string& run_id) override {
    try {
      return run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(run_id))));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
  }

  EventPage events(const std::string& run_id, std::int64_t after_seq, int limit_in) override {
    const int limit = std::clamp(limit_in, 1, 500);
    HttpRequest req = HttpRequest::get("/runs/" + seg(run_id) + "/events");
    if (after_seq > 0) req.with_query("after_seq", std::to_string(after_seq));
    req.with_query("limit", std::to_string(limit + 1));  // one more tells whether there is more
    HttpResponse res;
    try {
      res = c_->http().send(req);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
    json body = res.json_body();
    EventPage page;
    for (const auto& e : list_items(body, {"events"}, "run events")) {
      RunEvent ev = run_event_from_json(e);
      if (ev.seq <= after_seq) continue;
      if (ev.run_id.empty()) ev.run_id = run_id;
      page.events.push_back(std::move(ev));
    }
    std::stable_sort(page.events.begin(), page.events.end(),
                     [](const RunEvent& a, const RunEvent& b) { return a.seq < b.seq; });
    if (page.events.size() > static_cast<size_t>(limit)) {
      page.events.resize(limit);
      page.more = true;
    }
    // A server that caps the page below limit + 1 says there is more in this header.
    if (!res.header("X-Next-After-Seq").empty()) page.more = true;
    page.next_after_seq = page.events.empty() ? after_seq : page.events.back().seq;
    return page;
  }

 private:
  Conn c_;
};

// ---------------------------------------------------------------------------------------------
// Approvals

class RunAgentsApprovals final : public ApprovalService {
 public:
  explicit RunAgentsApprovals(Conn c) : c_(std::move(c)) {}

  std::vector<AccessRequest> list(const ApprovalFilter& filter) override {
    const int limit = std::clamp(filter.limit, 1, 200);
    HttpRequest req = HttpRequest::get("/governance/requests");
    if (!filter.status.empty()) req.with_query("status", filter.status);
    json body = c_->http().send_json(req);
    std::vector<AccessRequest> out;
    for (const auto& e : list_items(body, {"requests", "approvals"}, "list access requests")) {
      AccessRequest a = access_request_from_json(e);
      if (!filter.status.empty() && !a.status.empty() && a.status != filter.status) continue;
      if (!filter.agent.empty() && a.agent != filter.agent) continue;
      out.push_back(std::move(a));
    }
    std::stable_sort(out.begin(), out.end(), [](const AccessRequest& a, const AccessRequest& b) {
      return a.created_at > b.created_at;
    });
    if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }

  AccessRequest get(const std::string& request_id) override {
    // SDK 1.2.1 has no single-request call; ask for it, then look in the full list.
    try {
      json body = c_->http().send_json(HttpRequest::get("/governance/requests/" + seg(request_id)));
      AccessRequest a = access_request_from_json(body);
      if (a.id == request_id) return a;
    } catch (const RemoteError& e) {
      if (e.http_status() != 404 && e.http_status() != 405) throw;
    }
    ApprovalFilter all;
    all.status = "";
    all.limit = 200;
    for (auto& a : list(all)) {
      if (a.id == request_id) return a;
    }
    throw PlatformError(
        ErrorKind::not_found,
        "access request " + request_id + " not found; list_approvals lists pending requests", 404);
  }

  DecisionResult decide(const ApprovalDecision& d) override {
    std::string scope = d.scope;
    if (scope == "window" || scope == "ttl") scope = "agent_user_ttl";
    if (!d.approve && (!scope.empty() || !d.duration.empty())) {
      throw PlatformError(ErrorKind::invalid,
                          "scope and duration apply to approvals only; a rejection takes a "
                          "reason");
    }
    if (d.approve) {
      if (!scope.empty() && scope != "once" && scope != "run" && scope != "agent_user_ttl") {
        throw PlatformError(ErrorKind::invalid, "scope '" + d.scope +
                                                    "' is not valid; use once, run or "
                                                    "agent_user_ttl");
      }
      if (!d.duration.empty() && (scope == "once" || scope == "run")) {
        throw PlatformError(ErrorKind::invalid,
                            "a duration applies only to scope "
                            "agent_user_ttl, not " +
                                scope);
      }
      if (!d.duration.empty() && scope.empty()) scope = "agent_user_ttl";
    }
    json body = json::object();
    if (!scope.empty()) body["scope"] = scope;
    if (!d.duration.empty()) body["duration"] = d.duration;
    if (!d.reason.empty()) body["reason"] = d.reason;
    HttpRequest req = HttpRequest::post("/governance/requests/" + seg(d.request_id) +
                                        (d.approve ? "/approve" : "/reject"));
    if (!body.empty()) req.with_json(body);  // SDK 1.2.1 sends no body
    json answer;
    try {
      answer = c_->http().send_json(req);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "access request " + d.request_id +
                       " not found; list_approvals lists pending requests");
    }
    if (!answer.is_object()) answer = json::object();
    DecisionResult r;
    AccessRequest now = access_request_from_json(answer);
    if (now.agent.empty() || now.run_id.empty()) {
      // The answer is partial ({id, status, approver_id, ...}): fill in from the request.
      try {
        AccessRequest full = get(d.request_id);
        merge(full, now);
        now = std::move(full);
      } catch (const PlatformError&) {
      }
    }
    if (now.id.empty()) now.id = d.request_id;
    r.request = std::move(now);
    r.run_status = str(answer, {"run_status"});
    if (r.run_status.empty() && !r.request.run_id.empty()) {
      try {
        r.run_status =
            run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(r.request.run_id))))
                .status;
      } catch (const PlatformError&) {
      }
    }
    if (const json* resp = find(answer, {"agent_response"})) r.response = *resp;
    return r;
  }

 private:
  // Non-empty fields of `update` replace those of `base`.
  static void merge(AccessRequest& base, const AccessRequest& update) {
    auto take = [](std::string& to, const std::string& from) {
      if (!from.empty()) to = from;
    };
    take(base.id, update.id);
    take(base.subject, update.subject);
    take(base.agent, update.agent);
    take(base.tool, update.tool);
    take(base.run_id, update.run_id);
    take(base.action_id, update.action_id);
    take(base.payload_hash, update.payload_hash);
    take(base.status, update.status);
    take(base.scope, update.scope);
    take(base.duration, update.duration);
    take(base.approver_id, update.approver_id);
    take(base.reason, update.reason);
    take(base.created_at, update.created_at);
    take(base.updated_at, update.updated_at);
    take(base.expires_at, update.expires_at);
  }

  Conn c_;
};

// ---------------------------------------------------------------------------------------------
// Context

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class RunAgentsContext final : public ContextService {
 public:
  explicit RunAgentsContext(Conn c) : c_(std::move(c)) {}

  WorkspaceContext export_context() override {
    try {
      WorkspaceContext ctx = workspace_context_from_json(
          c_->http().send_json(HttpRequest::get("/api/context/export")));
      if (ctx.ns.empty()) ctx.ns = c_->ns();
      if (ctx.endpoint.empty()) ctx.endpoint = c_->http().base_url().to_string();
      if (ctx.generated_at.empty()) ctx.generated_at = now_rfc3339();
      return ctx;
    } catch (const RemoteError& e) {
      // Older servers lack the export: build it from the lists, as the Go CLI does.
      if (e.http_status() != 404 && e.http_status() != 405 && e.http_status() != 501) throw;
    }
    WorkspaceContext ctx;
    ctx.generated_at = now_rfc3339();
    ctx.ns = c_->ns();
    ctx.endpoint = c_->http().base_url().to_string();
    auto attempt = [&](const char* key, auto&& fn) {
      try {
        fn();
      } catch (const PlatformError& e) {
        ctx.errors[key] = e.what();
      }
    };
    attempt("agents", [&] { ctx.agents = RunAgentsAgents(c_).list(""); });
    attempt("tools", [&] { ctx.tools = RunAgentsTools(c_).list(); });
    attempt("model_providers", [&] { ctx.model_providers = RunAgentsModels(c_).list(); });
    attempt("policies", [&] { ctx.policies = RunAgentsPolicies(c_).list(""); });
    attempt("approvals", [&] {
      ApprovalFilter all;
      all.status = "";
      all.limit = 200;
      ctx.approvals = RunAgentsApprovals(c_).list(all);
    });
    return ctx;
  }

 private:
  Conn c_;
};

}  // namespace

std::shared_ptr<AgentService> make_runagents_agents(Conn c) {
  return std::make_shared<RunAgentsAgents>(std::move(c));
}
std::shared_ptr<ToolService> make_runagents_tools(Conn c) {
  return std::make_shared<RunAgentsTools>(std::move(c));
}
std::shared_ptr<ModelProviderService> make_runagents_models(Conn c) {
  return std::make_shared<RunAgentsModels>(std::move(c));
}
std::shared_ptr<PolicyService> make_runagents_policies(Conn c) {
  return std::make_shared<RunAgentsPolicies>(std::move(c));
}
std::shared_ptr<RunService> make_runagents_runs(Conn c) {
  return std::make_shared<RunAgentsRuns>(std::move(c));
}
std::shared_ptr<ApprovalService> make_runagents_approvals(Conn c) {
  return std::make_shared<RunAgentsApprovals>(std::move(c));
}
std::shared_ptr<ContextService> make_runagents_context(Conn c) {
  return std::make_shared<RunAgentsContext>(std::move(c));
}

Platform open_runagents_platform(const RunAgentsOptions& options) {
  auto c = std::make_shared<RunAgentsConnection>(options);
  Platform p;
  p.ns = options.ns;
  p.agents = make_runagents_agents(c);
  p.tools = make_runagents_tools(c);
  p.models = make_runagents_models(c);
  p.policies = make_runagents_policies(c);
  p.runs = make_runagents_runs(c);
  p.approvals = make_runagents_approvals(c);
  p.context = make_runagents_context(c);
  const std::string reason = "RunAgents endpoint " + c->http().base_url().to_string();
  for (const char* domain :
       {"agents", "tools", "models", "policies", "runs", "approvals", "context"}) {
    p.faces[domain] = Face{"remote", reason};
  }
  return p;
}

}  // namespace runagents::platform::remote
