// The conformance fixture's 2026-07-28 tools and prompts: multi round-trip requests
// (input-required-result-*), the stateless scenario's probes, x-mcp-header parameters and the
// Tasks extension scenarios' tools (tasks-*). They use the same RequestContext::ask as the
// product's tools, so the legacy-era scenarios drive them too where they overlap.
#pragma once

#include "server/prompt_registry.hpp"
#include "server/tool_registry.hpp"

namespace runagents::mcp::fixture {

void register_modern_tools(ToolRegistry& tools);
void register_task_tools(ToolRegistry& tools);
void register_modern_prompts(PromptRegistry& prompts);

}  // namespace runagents::mcp::fixture
