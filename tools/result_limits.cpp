#include "tools/result_limits.hpp"

#include "platform/common/clip.hpp"

namespace runagents::tools {

std::size_t fit_items(mcp::json& items, std::size_t budget) {
  if (!items.is_array() || items.empty()) return 0;
  std::size_t used = 2, keep = 0;
  for (const auto& item : items) {
    used += mcp::serialize(item).size() + 1;  // the item as it goes out
    if (used > budget && keep > 0) break;
    ++keep;
  }
  const std::size_t dropped = items.size() - keep;
  if (dropped > 0) items.erase(items.begin() + static_cast<std::ptrdiff_t>(keep), items.end());
  return dropped;
}

void clip_strings(mcp::json& value, std::size_t max_chars) {
  if (value.is_string()) {
    auto& s = value.get_ref<std::string&>();
    if (s.size() > max_chars) s = common::clip_head(s, max_chars, "…[{n} more characters]");
  } else if (value.is_structured()) {
    for (auto& child : value) clip_strings(child, max_chars);
  }
}

}  // namespace runagents::tools
