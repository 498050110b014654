#include "server/pagination.hpp"

#include <charconv>

#include "server/base64.hpp"

namespace runagents::mcp {

std::string make_cursor(const std::string& list, size_t offset) {
  return base64_encode(list + ":" + std::to_string(offset));
}

size_t cursor_offset(const json& params, const std::string& list) {
  if (!params.is_object() || !params.contains("cursor") || params["cursor"].is_null()) return 0;
  const json& cursor = params["cursor"];
  auto invalid = [&] {
    return RpcError(error_code::invalid_params,
                    "Invalid cursor: pass the nextCursor from the previous " + list + " result",
                    {{"cursor", cursor}});
  };
  if (!cursor.is_string()) throw invalid();
  auto decoded = base64_decode(cursor.get<std::string>());
  std::string prefix = list + ":";
  if (!decoded || decoded->rfind(prefix, 0) != 0) throw invalid();
  size_t offset = 0;
  const char* begin = decoded->data() + prefix.size();
  const char* end = decoded->data() + decoded->size();
  auto [ptr, ec] = std::from_chars(begin, end, offset);
  if (ec != std::errc() || ptr != end || begin == end) throw invalid();
  return offset;
}

}  // namespace runagents::mcp
