// The product's tools: every domain registers its tools here, in the order tools/list shows them.
#pragma once

#include "platform/platform.hpp"
#include "server/resource_registry.hpp"
#include "server/tasks/task_store.hpp"
#include "server/tool_registry.hpp"
#include "tools/host_paths.hpp"

namespace runagents::tools {

// The text the server sends as `instructions` on initialize: what the server is for and how a
// model should start.
extern const char* const kServerInstructions;

// Adds every product tool to `registry`. Tools reach the platform through `platform`'s
// interfaces (kept alive by the tools); which face (local or remote) answers is decided by
// configuration, not here. `resources` (optional) receives run_query's artifacts; without it
// run_query is not registered. `task_store` (optional) keeps run_query's async handles, so every
// server process on that store answers for them; without it they live in this process only.
// `host_paths` says which of this machine's directories a client may name (deploy_agent's
// source_dir, create_devbox's source_path); the default allows none.
void register_product_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                            mcp::ResourceRegistry* resources = nullptr,
                            std::shared_ptr<mcp::TaskStore> task_store = nullptr,
                            const HostPathPolicy& host_paths = {});

}  // namespace runagents::tools
