// tools/call for both eras: argument checks, then the call runs now or becomes a task.
#include "server/mcp_server.hpp"

namespace runagents::mcp {

json McpServer::call_tool_request(const json& params, RequestContext& ctx) {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    throw RpcError(error_code::invalid_params, "tools/call needs params.name (a string)");
  }
  json arguments = params.value("arguments", json::object());
  if (arguments.is_null()) arguments = json::object();
  if (!arguments.is_object()) {
    throw RpcError(error_code::invalid_params, "tools/call: params.arguments must be an object");
  }
  const ToolDefinition* tool = tools_.find(name->get<std::string>());
  if (tool) {
    if (auto created = start_task(*tool, arguments, params, ctx)) return *created;
  }
  return call_tool(tools_, name->get<std::string>(), arguments, ctx).to_json();
}

}  // namespace runagents::mcp
