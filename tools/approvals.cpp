// Tools of the approvals domain: list_approvals, decide_approval.

#include "platform/common/clip.hpp"
#include "tools/domains.hpp"
#include "tools/list_results.hpp"
#include "tools/platform_json.hpp"
#include "tools/request_cancel.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

namespace {

// What the held call wants to do: the run's APPROVAL_REQUIRED (or TOOL_REQUEST) event for the
// request's action, clipped; empty when the run's events cannot be read.
std::string held_call(platform::RunService& runs, const platform::AccessRequest& request) {
  try {
    auto page = runs.events(request.run_id, 0, 500);
    for (auto it = page.events.rbegin(); it != page.events.rend(); ++it) {
      if (it->type != "APPROVAL_REQUIRED" && it->type != "TOOL_REQUEST") continue;
      if (!request.action_id.empty() &&
          it->data.dump().find(request.action_id) == std::string::npos) {
        continue;
      }
      json data = it->data;
      clip_strings(data, 300);
      return common::clip_head(data.dump(), 1500, "...");
    }
  } catch (const std::exception&) {
  }
  return {};
}

json approval_elicitation(const platform::AccessRequest& r, const std::string& call) {
  std::string message = "Agent " + r.agent + " wants to call tool " + r.tool +
                        (r.subject.empty() ? "" : " for " + r.subject) + " (run " + r.run_id +
                        ", request " + r.id + ").";
  if (!call.empty()) message += " The held call: " + call;
  message += " Approve or reject it.";
  json schema = {
      {"type", "object"},
      {"properties",
       {{"decision",
         {{"type", "string"},
          {"title", "Decision"},
          {"oneOf",
           {{{"const", "approve"}, {"title", "Approve: let the call through and resume the run"}},
            {{"const", "reject"}, {"title", "Reject: fail the run"}}}}}},
        {"scope",
         {{"type", "string"},
          {"title", "Scope of an approval"},
          {"oneOf",
           {{{"const", "once"}, {"title", "This call only"}},
            {{"const", "run"}, {"title", "Matching calls of this run"}},
            {{"const", "agent_user_ttl"}, {"title", "This agent, user and tool for a while"}}}},
          {"default", "once"}}},
        {"duration",
         {{"type", "string"},
          {"title", "How long (for 'a while')"},
          {"description", "e.g. 30m, 4h, 1h30m"},
          {"default", "1h"}}},
        {"reason", {{"type", "string"}, {"title", "Reason (recorded)"}}}}},
      {"required", {"decision"}}};
  return {{"message", message}, {"requestedSchema", schema}};
}

}  // namespace

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
  list.quiet = true;  // its handler sends the client nothing
  list.annotations.idempotent = true;
  list.handler = [approvals](const json& args, mcp::RequestContext&) {
    platform::ApprovalFilter filter;
    filter.status = args.value("status", "PENDING");
    if (filter.status == "ALL") filter.status.clear();
    filter.agent = args.value("agent", "");
    filter.limit = args.value("limit", 50);
    json items = json::array();
    for (const auto& a : approvals->list(filter)) items.push_back(access_request_json(a));
    return mcp::ToolResult::structured(list_result(
        "approvals", std::move(items), {"requests", "lower limit or filter by agent or status"}));
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
      "be decided again. Leave decision out to have the client ask the person (approve or reject, "
      "scope, duration), when the client supports elicitation.",
      platform);
  decide.annotations.read_only = false;
  decide.annotations.destructive = true;  // reject fails a run; approve lets a call through
  decide.annotations.idempotent = false;
  decide.task_support = mcp::TaskSupport::optional;  // resuming a run can take minutes
  decide.task_worthy = [](const json& args) { return args.value("decision", "") == "approve"; };
  decide.long_running = true;
  // Without a decision, ask the person through the client (elicitation): legacy clients get
  // elicitation/create, 2026-07-28 clients an input_required result, both before anything runs.
  auto runs = platform.runs;
  decide.prepare = [approvals, runs](const json& args, mcp::RequestContext& ctx) -> json {
    if (args.contains("decision")) return args;
    if (!ctx.client_has("elicitation")) {
      throw std::runtime_error(
          "decision is required: pass decision \"approve\" or \"reject\" (this client cannot "
          "ask the person: it did not declare the elicitation capability)");
    }
    const platform::AccessRequest request = approvals->get(args.at("request_id"));
    if (request.status != "PENDING") {
      throw std::runtime_error("access request " + request.id + " is " + request.status +
                               ", not PENDING; it cannot be decided again");
    }
    json answer = ctx.ask("decision", "elicitation/create",
                          approval_elicitation(request, held_call(*runs, request)));
    const std::string action = answer.value("action", "cancel");
    if (action != "accept") {
      throw std::runtime_error("The person did not decide (" + action + "); access request " +
                               request.id + " stays PENDING");
    }
    json decided = args;
    const json content = answer.value("content", json::object());
    for (const char* key : {"decision", "scope", "duration", "reason"}) {
      if (content.contains(key) && content[key].is_string() &&
          !content[key].get<std::string>().empty()) {
        decided[key] = content[key];
      }
    }
    if (!decided.contains("decision")) {
      throw std::runtime_error("The answer did not say approve or reject; access request " +
                               request.id + " stays PENDING");
    }
    if (decided.value("decision", "") == "reject" ||
        decided.value("scope", "") != "agent_user_ttl") {
      decided.erase("duration");
    }
    if (decided.value("decision", "") == "reject") decided.erase("scope");
    return decided;
  };
  decide.handler = [approvals](const json& args, mcp::RequestContext& ctx) {
    platform::ApprovalDecision d;
    d.request_id = args.at("request_id");
    d.approve = args.at("decision") == "approve";
    d.scope = args.value("scope", "");
    d.duration = args.value("duration", "");
    d.reason = args.value("reason", "");
    // An MCP cancel stops the resumed handler (the run then ends FAILED, "cancelled").
    RequestCancel cancel(ctx.cancellation());
    d.cancel = cancel.signal();
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
