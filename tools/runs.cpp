// Tools of the runs domain: list_runs, get_run_events.
#include "tools/domains.hpp"
#include "tools/list_results.hpp"
#include "tools/platform_json.hpp"
#include "tools/result_limits.hpp"

namespace runagents::tools {

void register_run_tools(mcp::ToolRegistry& registry, const platform::Platform& platform) {
  auto runs = platform.runs;

  auto list = platform_tool(
      "list_runs", "List runs", "runs",
      "List agent runs, most recently updated first: id, agent, status (RUNNING, "
      "PAUSED_APPROVAL, COMPLETED, FAILED...), the blocked action while paused, and times. "
      "Filter by agent and status; PAUSED_APPROVAL runs wait for decide_approval. Use "
      "get_run_events with a run's id to see what it did.",
      platform);
  list.annotations.read_only = true;
  list.quiet = true;  // its handler sends the client nothing
  list.annotations.idempotent = true;
  list.handler = [runs](const json& args, mcp::RequestContext&) {
    platform::RunFilter filter;
    filter.agent = args.value("agent", "");
    filter.status = args.value("status", "");
    filter.limit = args.value("limit", 20);
    json items = json::array();
    for (const auto& r : runs->list(filter)) items.push_back(run_json(r));
    return mcp::ToolResult::structured(list_result(
        "runs", std::move(items), {"runs", "lower limit or filter by agent or status"}));
  };
  registry.add(std::move(list));

  auto events = platform_tool(
      "get_run_events", "Get a run's events", "runs",
      "Get a run's event timeline in order: RUN_CREATED, USER_MESSAGE, TOOL_REQUEST and "
      "TOOL_RESPONSE (each tool call, with the policy decision), APPROVAL_REQUIRED, APPROVED or "
      "REJECTED, RESUMED, AGENT_MESSAGE (the answer), COMPLETED or FAILED (with the error). Each "
      "event has seq, type, actor, timestamp and data. Returns up to limit events after "
      "after_seq; when more is true, call again with after_seq = next_after_seq. Also returns "
      "the run's current status.",
      platform);
  events.annotations.read_only = true;
  events.quiet = true;  // its handler sends the client nothing
  events.annotations.idempotent = true;
  events.handler = [runs](const json& args, mcp::RequestContext&) {
    const std::string run_id = args.at("run_id");
    const auto run = runs->get(run_id);
    const auto page =
        runs->events(run_id, args.value("after_seq", std::int64_t{0}), args.value("limit", 100));
    json items = json::array();
    for (const auto& e : page.events) items.push_back(event_json(e));
    clip_strings(items, 4000);
    const std::size_t dropped = fit_items(items);
    json out = {{"run_id", run_id},
                {"run_status", run.status},
                {"events", items},
                {"next_after_seq", page.next_after_seq},
                {"more", page.more}};
    if (dropped) {
      out["next_after_seq"] = items.back()["seq"];
      out["more"] = true;
      out["truncated"] = true;
      out["note"] = std::to_string(dropped) +
                    " events of this page not shown to keep the result small; call again with "
                    "after_seq = next_after_seq";
    }
    return mcp::ToolResult::structured(out);
  };
  registry.add(std::move(events));
}

}  // namespace runagents::tools
