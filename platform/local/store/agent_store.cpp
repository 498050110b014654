#include "platform/local/store/agent_store.hpp"

#include <algorithm>

#include "platform/local/store/row_reader.hpp"
#include "platform/local/store/timestamps.hpp"

namespace runagents::platform::local {

namespace {

constexpr const char* kSummaryColumns =
    "ns, name, phase, message, system_prompt, entry_point, required_tools, llm_configs, "
    "created_at, updated_at, handler_signature, requirements";

Agent agent_from_row(Database& db, const Row& r) {
  Agent a;
  RowReader(r).read(a.ns, a.name, a.phase, a.message, a.system_prompt, a.entry_point);
  a.required_tools = json_column_or(r, 6, json::array()).get<std::vector<std::string>>();
  for (const auto& c : json_column_or(r, 7, json::array()))
    a.llm_configs.push_back(
        {c.value("provider", ""), c.value("model", ""), c.value("role", "default")});
  RowReader(r, 8).read(a.created_at, a.updated_at);
  for (const auto& p : bound_policies(db, a.ns, a.name)) a.policies.push_back(p.name);
  json tools = json::array();
  for (const auto& t : a.required_tools) tools.push_back({{"name", t}});
  json llm = json::array();
  for (const auto& c : a.llm_configs)
    llm.push_back({{"provider", c.provider}, {"model", c.model}, {"role", c.role}});
  a.spec = {
      {"systemPrompt", a.system_prompt}, {"requiredTools", tools},    {"llmConfigs", llm},
      {"entryPoint", a.entry_point},     {"handler", r.text(10)},     {"requirements", r.text(11)},
      {"policies", a.policies},          {"runtime", "local-sandbox"}};
  return a;
}

Policy policy_from_row(const Row& r) {
  Policy p;
  RowReader(r).read(p.ns, p.name);
  p.rules = rules_from_json(json_column_or(r, 2, json::array()));
  RowReader(r, 3).read(p.created_at, p.updated_at);
  return p;
}

void add_bindings(Database& db, Policy& p) {
  for (const auto& row : db.query("SELECT agent FROM policy_bindings WHERE ns = ?1 AND policy = "
                                  "?2 ORDER BY agent",
                                  {p.ns, p.name}))
    p.bound_agents.push_back(row.text(0));
}

}  // namespace

json rules_to_json(const std::vector<PolicyRule>& rules) {
  json out = json::array();
  for (const auto& r : rules)
    out.push_back(
        {{"permission", r.permission}, {"resource", r.resource}, {"operations", r.operations}});
  return out;
}

std::vector<PolicyRule> rules_from_json(const json& j) {
  std::vector<PolicyRule> out;
  if (!j.is_array()) return out;
  for (const auto& r : j)
    out.push_back({r.value("permission", ""), r.value("resource", ""),
                   r.value("operations", std::vector<std::string>{})});
  return out;
}

void throw_agent_not_found(const std::string& ns, const std::string& name) {
  throw PlatformError(ErrorKind::not_found, "agent " + ns + "/" + name +
                                                " not found; list_agents lists deployed agents, "
                                                "deploy_agent deploys one");
}

std::optional<AgentRecord> find_agent(Database& db, const std::string& ns,
                                      const std::string& name) {
  auto rows = db.query(std::string("SELECT ") + kSummaryColumns +
                           ", source_files, analysis FROM agents WHERE ns = ?1 AND name = ?2",
                       {ns, name});
  if (rows.empty()) return std::nullopt;
  AgentRecord rec;
  rec.agent = agent_from_row(db, rows[0]);
  rec.handler_signature = rows[0].text(10);
  rec.requirements = rows[0].text(11);
  rec.source_files =
      json_column_or(rows[0], 12, json::object()).get<std::map<std::string, std::string>>();
  rec.analysis = json_column_or(rows[0], 13, json::object());
  return rec;
}

std::vector<Agent> list_agent_summaries(Database& db, const std::string& ns) {
  std::vector<Agent> out;
  std::string sql = std::string("SELECT ") + kSummaryColumns + " FROM agents";
  std::vector<SqlValue> params;
  if (!ns.empty()) {
    sql += " WHERE ns = ?1";
    params.emplace_back(ns);
  }
  sql += " ORDER BY ns, name";
  for (const auto& r : db.query(sql, params)) out.push_back(agent_from_row(db, r));
  return out;
}

bool store_agent(Database& db, const AgentRecord& rec) {
  const Agent& a = rec.agent;
  const std::string now = now_timestamp();
  bool created =
      db.query("SELECT 1 FROM agents WHERE ns = ?1 AND name = ?2", {a.ns, a.name}).empty();
  json llm = json::array();
  for (const auto& c : a.llm_configs)
    llm.push_back({{"provider", c.provider}, {"model", c.model}, {"role", c.role}});
  db.execute(
      "INSERT INTO agents (ns, name, phase, message, system_prompt, entry_point, "
      "handler_signature, required_tools, llm_configs, requirements, source_files, analysis, "
      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?13) ON CONFLICT (ns, name) DO UPDATE SET phase = ?3, message = ?4, system_prompt = ?5, "
      "entry_point = ?6, handler_signature = ?7, required_tools = ?8, llm_configs = ?9, "
      "requirements = ?10, source_files = ?11, analysis = ?12, updated_at = ?13",
      {a.ns, a.name, a.phase, a.message, a.system_prompt, a.entry_point, rec.handler_signature,
       json(a.required_tools).dump(), llm.dump(), rec.requirements, json(rec.source_files).dump(),
       rec.analysis.dump(), now});
  return created;
}

std::vector<Policy> bound_policies(Database& db, const std::string& ns, const std::string& agent) {
  std::vector<Policy> out;
  for (const auto& r : db.query(
           "SELECT p.ns, p.name, p.rules, p.created_at, p.updated_at FROM policies p JOIN "
           "policy_bindings b ON b.ns = p.ns AND b.policy = p.name WHERE b.ns = ?1 AND b.agent = "
           "?2 ORDER BY p.name",
           {ns, agent})) {
    out.push_back(policy_from_row(r));
    out.back().bound_agents.push_back(agent);
  }
  return out;
}

std::vector<Policy> list_policies(Database& db, const std::string& ns) {
  std::vector<Policy> out;
  std::string sql = "SELECT ns, name, rules, created_at, updated_at FROM policies";
  std::vector<SqlValue> params;
  if (!ns.empty()) {
    sql += " WHERE ns = ?1";
    params.emplace_back(ns);
  }
  for (const auto& r : db.query(sql + " ORDER BY ns, name", params)) {
    out.push_back(policy_from_row(r));
    add_bindings(db, out.back());
  }
  return out;
}

std::optional<Policy> find_policy(Database& db, const std::string& ns, const std::string& name) {
  auto rows = db.query(
      "SELECT ns, name, rules, created_at, updated_at FROM policies WHERE ns = ?1 AND name = ?2",
      {ns, name});
  if (rows.empty()) return std::nullopt;
  Policy p = policy_from_row(rows[0]);
  add_bindings(db, p);
  return p;
}

void bind_agent_policies(Database& db, const std::string& ns, const std::string& agent,
                         const std::vector<PolicyRule>& inline_rules,
                         std::vector<std::string> policy_names) {
  const std::string inline_name = agent + "-inline";
  const std::string now = now_timestamp();
  db.execute("DELETE FROM policy_bindings WHERE ns = ?1 AND agent = ?2", {ns, agent});
  const bool named =
      std::find(policy_names.begin(), policy_names.end(), inline_name) != policy_names.end();
  if (inline_rules.empty() && named) {
    // Bound by name: the policy was stored through the Policies API (as the remote client does
    // with a deploy's inline rules); keep it as it is.
  } else if (inline_rules.empty()) {
    db.execute("DELETE FROM policy_bindings WHERE ns = ?1 AND policy = ?2", {ns, inline_name});
    db.execute("DELETE FROM policies WHERE ns = ?1 AND name = ?2", {ns, inline_name});
  } else {
    db.execute(
        "INSERT INTO policies (ns, name, rules, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, "
        "?4) ON CONFLICT (ns, name) DO UPDATE SET rules = ?3, updated_at = ?4",
        {ns, inline_name, rules_to_json(inline_rules).dump(), now});
    policy_names.push_back(inline_name);
  }
  std::sort(policy_names.begin(), policy_names.end());
  policy_names.erase(std::unique(policy_names.begin(), policy_names.end()), policy_names.end());
  for (const auto& name : policy_names)
    db.execute("INSERT INTO policy_bindings (ns, policy, agent) VALUES (?1, ?2, ?3)",
               {ns, name, agent});
}

}  // namespace runagents::platform::local
