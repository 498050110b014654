// The request headers of MCP 2026-07-28 over HTTP (SEP-2243): MCP-Protocol-Version, Mcp-Method,
// Mcp-Name and Mcp-Param-{Name} repeat parts of the body so intermediaries can route without
// parsing it. The server checks that they agree with the body; a missing or disagreeing header
// is answered 400 with -32020 (HeaderMismatch).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "server/json_rpc.hpp"
#include "server/tool_registry.hpp"

namespace runagents::mcp {

// Looks a header up by name, case-insensitively; nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string>(const std::string& name)>;

// A header value as sent: surrounding whitespace trimmed and "=?base64?...?=" decoded. nullopt
// when the base64 is invalid.
std::optional<std::string> decode_header_value(const std::string& raw);

// What disagrees between the headers and `request` (a message for the -32020 error), or nullopt.
// `tool` is the called tool for tools/call (its header_params are checked: a tool from the
// registry has them; see index_header_params), else null.
std::optional<std::string> header_mismatch(const Message& request, const HeaderLookup& header,
                                           const ToolDefinition* tool);

}  // namespace runagents::mcp
