// Deployed agents and their policies in the local platform's database. Internal to
// platform/local.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/store/database.hpp"
#include "platform/platform.hpp"

namespace runagents::platform::local {

// An agent as stored: what Agent shows plus what running it needs.
struct AgentRecord {
  Agent agent;
  std::map<std::string, std::string> source_files;
  std::string requirements;
  std::string handler_signature;
  json analysis = json::object();
};

std::optional<AgentRecord> find_agent(Database& db, const std::string& ns, const std::string& name);
// Summaries (no sources) in `ns`, or all namespaces when empty; by namespace then name.
std::vector<Agent> list_agent_summaries(Database& db, const std::string& ns);
// Inserts or replaces the agent; returns true when it was created. Call inside a transaction.
bool store_agent(Database& db, const AgentRecord& record);

// Throws PlatformError(not_found) "agent <ns>/<name> not found; list_agents ...".
[[noreturn]] void throw_agent_not_found(const std::string& ns, const std::string& name);

// Policies bound to the agent, by name.
std::vector<Policy> bound_policies(Database& db, const std::string& ns, const std::string& agent);
std::vector<Policy> list_policies(Database& db, const std::string& ns);
std::optional<Policy> find_policy(Database& db, const std::string& ns, const std::string& name);
// Makes the agent's bindings exactly `policy_names` (all must exist), after storing
// `inline_rules` as the policy "<agent>-inline" (or, when there are none, deleting it unless
// `policy_names` binds it by name).
// Call inside a transaction.
void bind_agent_policies(Database& db, const std::string& ns, const std::string& agent,
                         const std::vector<PolicyRule>& inline_rules,
                         std::vector<std::string> policy_names);

json rules_to_json(const std::vector<PolicyRule>& rules);
std::vector<PolicyRule> rules_from_json(const json& j);

}  // namespace runagents::platform::local
