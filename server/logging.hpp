// Process logging: spdlog to stderr only (stdout belongs to MCP on stdio).
#pragma once

#include <string>

namespace runagents::mcp {

// Sets up the stderr logger at `level` (trace, debug, info, warn, error, critical, off).
// Returns false, leaving the level unchanged, for an unknown name.
bool setup_logging(const std::string& level);

}  // namespace runagents::mcp
