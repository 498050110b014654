// Policy evaluation for the local platform's egress: may this agent make this tool call?
//
// Over every rule of the policies bound to the agent that matches the call:
// deny > approval_required > allow. With no matching rule, a tool the agent declared in
// required_tools is allowed; anything else is denied (deny by default). Pure functions; safe to
// call from any thread.
#pragma once

#include <string>
#include <vector>

#include "platform/platform.hpp"

namespace runagents::platform::local {

struct ToolCall {
  std::string tool;    // registered tool name
  std::string url;     // full URL the call goes to (tool base URL + path)
  std::string method;  // HTTP method, upper case
};

enum class Permission { allow, deny, approval_required };
const char* to_string(Permission permission);

struct PolicyDecision {
  Permission permission = Permission::deny;
  // Why, for events and the agent's error: "policy agent-x-inline: approval_required for
  // echo-tool", "echo-tool is a required tool of the agent", "no policy allows ...".
  std::string reason;
};

// Whether `rule` covers `call` (resource and operations).
bool rule_matches(const PolicyRule& rule, const ToolCall& call);

PolicyDecision evaluate_policy(const std::vector<Policy>& bound_policies,
                               const std::vector<std::string>& required_tools,
                               const ToolCall& call);

// Throws PlatformError(invalid) naming `where` (e.g. "policies[1]") for a rule whose permission
// is not allow/deny/approval_required, with an empty resource, or with an unknown HTTP method.
// Normalises operations to upper case.
void validate_rule(PolicyRule& rule, const std::string& where);

}  // namespace runagents::platform::local
