// Registration of the platform tools, one function per domain (tools/<domain>.cpp), each adding
// its tools' definitions and handlers. Handlers reach the platform only through `platform`'s
// interfaces and report failures by throwing PlatformError, whose message becomes the isError
// text.
#pragma once

#include <string>

#include "platform/platform.hpp"
#include "server/resource_registry.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tool_registry.hpp"
#include "tools/host_paths.hpp"

namespace runagents::tools {

// deploy_agent reads a project directory (source_dir) only where `host_paths` allows.
void register_agent_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                          const HostPathPolicy& host_paths = {});
void register_external_tool_tools(mcp::ToolRegistry& registry, const platform::Platform& platform);
void register_run_tools(mcp::ToolRegistry& registry, const platform::Platform& platform);
void register_approval_tools(mcp::ToolRegistry& registry, const platform::Platform& platform);
void register_workspace_tools(mcp::ToolRegistry& registry, const platform::Platform& platform);
// create_devbox, devbox_exec, manage_devbox (tools/devboxes.cpp); none when platform.devboxes is
// unset. create_devbox reads a project directory (source_path) only where `host_paths` allows.
void register_devbox_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                           const HostPathPolicy& host_paths = {});
// run_query (tools/queries.cpp); none when platform.queries is unset. Its artifacts become
// resources of `resources`; its async handles are kept in `task_store` when given (else in this
// process only).
void register_query_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                          mcp::ResourceRegistry& resources,
                          std::shared_ptr<mcp::TaskStore> task_store);

// A definition with schemas/<name>.input.json and .output.json, and openWorldHint true when the
// domain's face is remote.
mcp::ToolDefinition platform_tool(const std::string& name, const std::string& title,
                                  const std::string& toolset, const std::string& description,
                                  const platform::Platform& platform);

}  // namespace runagents::tools
