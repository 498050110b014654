#include "tools/list_results.hpp"

#include <string>

#include "tools/result_limits.hpp"

namespace runagents::tools {

mcp::json list_result(std::string_view key, mcp::json items, const LeftOut& left_out) {
  const std::size_t total = items.size();
  const std::size_t dropped = fit_items(items);
  const std::size_t count = items.size();
  mcp::json out = mcp::json::object();
  out[std::string(key)] = std::move(items);  // moved: an initializer list would copy each item
  out["count"] = count;
  if (dropped) {
    out["truncated"] = true;
    out["note"] = std::to_string(dropped) +
                  (left_out.of_total ? " of " + std::to_string(total) : std::string()) + " " +
                  std::string(left_out.what) + " not shown; " + std::string(left_out.hint);
  }
  return out;
}

void put_page(mcp::json& out, const char* key, mcp::json items, bool has_more) {
  const std::size_t dropped = fit_items(items);
  has_more = has_more || dropped > 0;
  if (!items.empty() && has_more) out["next_starting_after"] = items.back()["id"];
  out[key] = std::move(items);
  out["has_more"] = has_more;
}

std::map<std::string, std::string> string_map_arg(const mcp::json& args, const char* key) {
  std::map<std::string, std::string> out;
  if (auto it = args.find(key); it != args.end() && it->is_object())
    for (const auto& [k, v] : it->items()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace runagents::tools
