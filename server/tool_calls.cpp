// tools/call for both eras: argument checks, then the call runs now or becomes a task.
#include "server/mcp_server.hpp"

namespace runagents::mcp {

json McpServer::call_tool_request(const json& params, RequestContext& ctx) {
  const std::string& name = required_string(params, "name", "tools/call");
  json arguments = params.value("arguments", json::object());
  if (arguments.is_null()) arguments = json::object();
  if (!arguments.is_object()) {
    throw RpcError(error_code::invalid_params, "tools/call: params.arguments must be an object");
  }
  if (const ToolDefinition* tool = tools_.find(name)) {
    if (auto created = start_task(*tool, arguments, params, ctx)) return *created;
  }
  return call_tool(tools_, name, arguments, ctx).to_json();
}

}  // namespace runagents::mcp
