#include "platform/local/agents/policy.hpp"

#include <algorithm>
#include <cctype>

namespace runagents::platform::local {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool resource_matches(const std::string& resource, const ToolCall& call) {
  if (resource == "*" || resource == call.tool) return true;
  if (resource.find("://") == std::string::npos) return false;
  if (!resource.empty() && resource.back() == '*')
    return call.url.rfind(resource.substr(0, resource.size() - 1), 0) == 0;
  return call.url == resource;
}

}  // namespace

const char* to_string(Permission permission) {
  switch (permission) {
    case Permission::allow:
      return "allow";
    case Permission::deny:
      return "deny";
    case Permission::approval_required:
      return "approval_required";
  }
  return "deny";
}

bool rule_matches(const PolicyRule& rule, const ToolCall& call) {
  if (!resource_matches(rule.resource, call)) return false;
  if (rule.operations.empty()) return true;
  const std::string method = upper(call.method);
  return std::any_of(rule.operations.begin(), rule.operations.end(),
                     [&](const std::string& op) { return upper(op) == method || op == "*"; });
}

PolicyDecision evaluate_policy(const std::vector<Policy>& bound_policies,
                               const std::vector<std::string>& required_tools,
                               const ToolCall& call) {
  const Policy* by[3] = {nullptr, nullptr, nullptr};  // deny, approval_required, allow
  for (const auto& policy : bound_policies) {
    for (const auto& rule : policy.rules) {
      if (!rule_matches(rule, call)) continue;
      int slot = rule.permission == "deny" ? 0 : rule.permission == "approval_required" ? 1 : 2;
      if (!by[slot]) by[slot] = &policy;
    }
  }
  const std::string what = call.method + " " + call.tool;
  if (by[0]) return {Permission::deny, "policy " + by[0]->name + " denies " + what};
  if (by[1])
    return {Permission::approval_required,
            "policy " + by[1]->name + " requires approval for " + what};
  if (by[2]) return {Permission::allow, "policy " + by[2]->name + " allows " + what};
  if (std::find(required_tools.begin(), required_tools.end(), call.tool) != required_tools.end())
    return {Permission::allow, call.tool + " is a required tool of the agent"};
  return {Permission::deny, "no policy allows " + what +
                                " and it is not among the agent's "
                                "required_tools (deny by default); redeploy the agent with it in "
                                "required_tools or add an allow policy"};
}

void validate_rule(PolicyRule& rule, const std::string& where) {
  if (rule.permission != "allow" && rule.permission != "deny" &&
      rule.permission != "approval_required")
    throw PlatformError(ErrorKind::invalid, where + ".permission '" + rule.permission +
                                                "' must be allow, deny or approval_required");
  if (rule.resource.empty())
    throw PlatformError(ErrorKind::invalid,
                        where +
                            ".resource is empty: give a tool name, \"*\" or a URL pattern "
                            "such as https://api.example.com/*");
  static const std::vector<std::string> kMethods = {"GET",    "POST", "PUT",     "PATCH",
                                                    "DELETE", "HEAD", "OPTIONS", "*"};
  for (auto& op : rule.operations) {
    op = upper(op);
    if (std::find(kMethods.begin(), kMethods.end(), op) == kMethods.end())
      throw PlatformError(ErrorKind::invalid,
                          where + ".operations: '" + op +
                              "' is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD, "
                              "OPTIONS)");
  }
}

}  // namespace runagents::platform::local
