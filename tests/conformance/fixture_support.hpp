// Helpers both halves of the conformance fixture use to define their tools.
#pragma once

#include <chrono>
#include <string>

#include "server/tool_registry.hpp"

namespace runagents::mcp::fixture {

inline json text(const std::string& t) {
  return {{"type", "text"}, {"text", t}};
}

inline ToolDefinition tool(std::string name, std::string description, ToolHandler handler,
                           json input_schema = {{"type", "object"}, {"properties", json::object()}},
                           bool quiet = false) {
  ToolDefinition t;
  t.quiet = quiet;
  t.name = std::move(name);
  t.description = std::move(description);
  t.toolset = "conformance";
  t.input_schema = std::move(input_schema);
  t.handler = std::move(handler);
  return t;
}

// Three info log messages about 50 ms apart, as the suite's logging scenarios expect (the
// legacy test_tool_with_logging and the stateless scenario's test_logging_tool).
inline ToolResult log_three_messages(const json&, RequestContext& ctx) {
  using namespace std::chrono_literals;
  ctx.log(LogLevel::info, "Tool execution started");
  ctx.sleep_for(50ms);
  ctx.log(LogLevel::info, "Tool processing data");
  ctx.sleep_for(50ms);
  ctx.log(LogLevel::info, "Tool execution completed");
  return ToolResult::text("Tool with logging executed successfully");
}

}  // namespace runagents::mcp::fixture
