// The secret that seals MCP requestState (multi round-trip requests). Replicas that serve one
// client must share it, so it is not per process: RUNAGENTS_MCP_STATE_KEY when set (for replicas
// on several machines), else <data_dir>/mcp-state.key, created once with 32 random bytes, mode
// 0600. Replicas on one data dir therefore agree without configuration.
#pragma once

#include <filesystem>
#include <string>

namespace runagents::platform {

// The key; empty when no key can be read or created (the server then uses a per-process one
// and says so in the log).
std::string load_state_key(const std::filesystem::path& data_dir);

}  // namespace runagents::platform
