#include "tools/catalog.hpp"

#include "tools/domains.hpp"

namespace runagents::tools {

const char* const kServerInstructions =
    "runagents-mcp runs an agent platform for you: deploy agents from source, register the "
    "external tools they call, watch their runs, approve what policy holds back, create sandboxes "
    "(devboxes) and run commands in them, and hand a task to an agent. With no account configured "
    "everything runs on an embedded local platform on this machine. Start with export_context (or "
    "list_agents) to see what exists. Tool results that could be large are truncated with a "
    "marker that says how to read the rest.";

void register_product_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                            mcp::ResourceRegistry* resources,
                            std::shared_ptr<mcp::TaskStore> task_store,
                            const HostPathPolicy& host_paths) {
  register_agent_tools(registry, platform, host_paths);
  register_external_tool_tools(registry, platform);
  register_run_tools(registry, platform);
  register_approval_tools(registry, platform);
  register_workspace_tools(registry, platform);
  register_devbox_tools(registry, platform, host_paths);
  if (resources) register_query_tools(registry, platform, *resources, std::move(task_store));
}

}  // namespace runagents::tools
