// The result of a list tool (list_agents, list_tools, list_runs, list_approvals): the items under
// their key and their count, cut to the result budget (result_limits.hpp), and, when the cut left
// some out, `truncated: true` and a note that says how many and how to see them. One shape for
// every list tool, so a model reads them all the same way.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "server/json_rpc.hpp"

namespace runagents::tools {

// How a list result's note names what the cut left out: "<dropped> <what> not shown; <hint>",
// or with `of_total`, "<dropped> of <total> <what> not shown; <hint>" (total: the items before
// the cut; for lists the caller did not limit).
struct LeftOut {
  std::string_view what;
  std::string_view hint;
  bool of_total = false;
};

// {key: items (cut by fit_items), count: the items kept, [truncated: true, note]}.
mcp::json list_result(std::string_view key, mcp::json items, const LeftOut& left_out);

// One page of a cursor list (devboxes, snapshots, blueprints) into `out`: `items` under `key`
// (cut to fit a result), has_more, and next_starting_after (the last item's id) when there is
// more.
void put_page(mcp::json& out, const char* key, mcp::json items, bool has_more);

// The {string: string} argument `key` of a tool's `args` ({} when absent; the input schema has
// checked its shape).
std::map<std::string, std::string> string_map_arg(const mcp::json& args, const char* key);

}  // namespace runagents::tools
