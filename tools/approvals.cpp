// Tools of the approvals domain: list_approvals, decide_approval.
#include "tools/domains.hpp"
#include "tools/platform_json.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

void register_approval_tools(mcp::ToolRegistry& registry, const platform::Platform& platform) {
  auto approvals = platform.approvals;

  auto list = platform_tool(
      "list_approvals", "List access requests", "approvals",
      "List access requests: tool calls that policy held for approval (approval_required). "
      "Each has the agent, tool, run, action id, status (PENDING, APPROVED, REJECTED, EXPIRED), "
      "scope, duration and expiry. Defaults to PENDING requests, newest first; pass status ALL "
      "for every request. Decide one with decide_approval.",
      platform);
  list.annotations.read_only = true;
  list.annotations.idempotent = true;
  list.handler = [approvals](const json& args, mcp::RequestContext&) {
    platform::ApprovalFilter filter;
    filter.status = args.value("status", "PENDING");
    if (filter.status == "ALL") filter.status.clear();
    filter.agent = args.value("agent", "");
    filter.limit = args.value("limit", 50);
    json items = json::array();
    for (const auto& a : approvals->list(filter)) items.push_back(access_request_json(a));
    const std::size_t dropped = fit_items(items);
    json out = {{"approvals", items}, {"count", items.size()}};
    if (dropped) {
      out["truncated"] = true;
      out["note"] =
          std::to_string(dropped) + " requests not shown; lower limit or filter by agent or status";
    }
    return mcp::ToolResult::structured(out);
  };
  registry.add(std::move(list));

  auto decide = platform_tool(
      "decide_approval", "Approve or reject an access request", "approvals",
      "Approve or reject a PENDING access request (from list_approvals). approve lets the held "
      "tool call through with a scope: once (that call only, the default), run (matching calls "
      "of the same run) or agent_user_ttl (the same agent, user and tool for duration, e.g. "
      "4h); the paused run then resumes, and locally the agent's handler runs again before this "
      "returns. reject fails the run. Returns the request as it now stands and the run's new "
      "status (and, locally, the agent's answer). A request that is no longer PENDING cannot "
      "be decided again.",
      platform);
  decide.annotations.read_only = false;
  decide.annotations.destructive = true;  // reject fails a run; approve lets a call through
  decide.annotations.idempotent = false;
  decide.handler = [approvals](const json& args, mcp::RequestContext& ctx) {
    platform::ApprovalDecision d;
    d.request_id = args.at("request_id");
    d.approve = args.at("decision") == "approve";
    d.scope = args.value("scope", "");
    d.duration = args.value("duration", "");
    d.reason = args.value("reason", "");
    // An MCP cancel stops the resumed handler (the run then ends FAILED, "cancelled").
    d.cancel = std::make_shared<platform::ExecCancel>();
    mcp::CancelCallbackScope scope(ctx.cancellation(), [c = d.cancel] { c->cancel(); });
    ctx.progress(0, 1, d.approve ? "approving and resuming the run" : "rejecting");
    auto result = approvals->decide(d);
    ctx.progress(1, 1, "done");
    json response = result.response;
    clip_strings(response, 8000);
    return mcp::ToolResult::structured({{"request", access_request_json(result.request)},
                                        {"run_status", result.run_status},
                                        {"response", response}});
  };
  registry.add(std::move(decide));
}

}  // namespace runagents::tools
