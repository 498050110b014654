// Opaque cursors for the list methods. A cursor encodes the offset of the next page together with
// the list it belongs to; anything else is rejected with -32602.
#pragma once

#include <string>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

inline constexpr size_t kDefaultPageSize = 100;

std::string make_cursor(const std::string& list, size_t offset);
// Reads params.cursor (absent -> 0). Throws RpcError(-32602) for a cursor we did not issue.
size_t cursor_offset(const json& params, const std::string& list);

}  // namespace runagents::mcp
