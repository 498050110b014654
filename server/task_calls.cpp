#include "server/mcp_server.hpp"

namespace runagents::mcp {

std::optional<json> McpServer::start_task(const ToolDefinition&, const json&, const json&,
                                          RequestContext&) {
  return std::nullopt;
}

json McpServer::task_method(const std::string& method, const json&, RequestContext&) {
  throw RpcError(error_code::method_not_found, "Method not found: " + method);
}

}  // namespace runagents::mcp
