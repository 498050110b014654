#include "tools/catalog.hpp"

namespace runagents::tools {

const char* const kServerInstructions =
    "runagents-mcp runs an agent platform for you: deploy agents from source, register the "
    "external tools they call, watch their runs, approve what policy holds back, create sandboxes "
    "(devboxes) and run commands in them, and hand a task to an agent. With no account configured "
    "everything runs on an embedded local platform on this machine. Start with export_context (or "
    "list_agents) to see what exists. Tool results that could be large are truncated with a "
    "marker that says how to read the rest.";

void register_product_tools(mcp::ToolRegistry& registry) {
  // Domains add their registration calls here as they land (agents, tools, runs, approvals,
  // workspace, devboxes, queries).
  (void)registry;
}

}  // namespace runagents::tools
