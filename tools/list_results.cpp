#include "tools/list_results.hpp"

#include <string>

#include "tools/result_limits.hpp"

namespace runagents::tools {

mcp::json list_result(std::string_view key, mcp::json items, const LeftOut& left_out) {
  const std::size_t total = items.size();
  const std::size_t dropped = fit_items(items);
  mcp::json out = {{std::string(key), items}, {"count", items.size()}};
  if (dropped) {
    out["truncated"] = true;
    out["note"] = std::to_string(dropped) +
                  (left_out.of_total ? " of " + std::to_string(total) : std::string()) + " " +
                  std::string(left_out.what) + " not shown; " + std::string(left_out.hint);
  }
  return out;
}

}  // namespace runagents::tools
