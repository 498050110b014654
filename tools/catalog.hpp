// The product's tools: every domain registers its tools here, in the order tools/list shows them.
#pragma once

#include "server/tool_registry.hpp"

namespace runagents::tools {

// The text the server sends as `instructions` on initialize: what the server is for and how a
// model should start.
extern const char* const kServerInstructions;

// Adds every product tool to `registry`. Tools reach the platform through the platform layer's
// interfaces; which face (local or remote) answers is decided by configuration, not here.
void register_product_tools(mcp::ToolRegistry& registry);

}  // namespace runagents::tools
