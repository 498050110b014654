// Tools of the workspace domain: export_context.
#include "tools/domains.hpp"
#include "tools/platform_json.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

void register_workspace_tools(mcp::ToolRegistry& registry, const platform::Platform& platform) {
  auto context = platform.context;

  auto exp = platform_tool(
      "export_context", "Export the workspace context", "workspace",
      "Export a snapshot of the whole workspace in one call: agents, registered tools, model "
      "providers, policies (with the agents they bind) and access requests, with counts. Start "
      "here to learn what exists. Long lists are cut (see note); list_agents, list_tools and "
      "list_approvals give the rest.",
      platform);
  exp.annotations.read_only = true;
  exp.quiet = true;  // its handler sends the client nothing
  exp.annotations.idempotent = true;
  exp.handler = [context](const json&, mcp::RequestContext&) {
    const auto c = context->export_context();
    json agents = json::array(), tools = json::array(), models = json::array(),
         policies = json::array(), approvals = json::array();
    for (const auto& a : c.agents) agents.push_back(agent_summary_json(a));
    for (const auto& t : c.tools) tools.push_back(tool_json(t));
    for (const auto& m : c.model_providers) models.push_back(model_provider_json(m));
    for (const auto& p : c.policies) policies.push_back(policy_json(p));
    for (const auto& a : c.approvals) approvals.push_back(access_request_json(a));
    json counts = {{"agents", c.agents.size()},
                   {"tools", c.tools.size()},
                   {"model_providers", c.model_providers.size()},
                   {"policies", c.policies.size()},
                   {"approvals", c.approvals.size()}};
    std::string note;
    auto fit = [&](json& items, const char* what, const char* how) {
      if (std::size_t dropped = fit_items(items, kResultBudgetChars / 5))
        note += std::string(note.empty() ? "" : "; ") + std::to_string(dropped) + " " + what +
                " not shown (" + how + ")";
    };
    fit(agents, "agents", "list_agents");
    fit(tools, "tools", "list_tools");
    fit(models, "model providers", "list them on the platform");
    fit(policies, "policies", "get_agent shows an agent's policies");
    fit(approvals, "access requests", "list_approvals");
    json errors = json::object();
    for (const auto& [k, v] : c.errors) errors[k] = v;
    json out = {{"generated_at", c.generated_at},
                {"namespace", c.ns},
                {"endpoint", c.endpoint},
                {"counts", counts},
                {"agents", agents},
                {"tools", tools},
                {"model_providers", models},
                {"policies", policies},
                {"approvals", approvals},
                {"errors", errors}};
    if (!note.empty()) {
      out["truncated"] = true;
      out["note"] = note;
    }
    return mcp::ToolResult::structured(out);
  };
  registry.add(std::move(exp));
}

}  // namespace runagents::tools
