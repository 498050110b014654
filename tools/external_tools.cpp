// Tools of the tools domain (external APIs agents call): list_tools, create_tool.
#include "tools/domains.hpp"
#include "tools/list_results.hpp"
#include "tools/platform_json.hpp"

namespace runagents::tools {

void register_external_tool_tools(mcp::ToolRegistry& registry, const platform::Platform& platform) {
  auto tools = platform.tools;

  auto list = platform_tool(
      "list_tools", "List tools", "tools",
      "List the tools (external APIs) registered on the platform that agents may call: name, "
      "description, base URL, auth type, port, scheme and status. echo-tool is always there "
      "locally: it echoes each call back. Pass name to get one tool. Use it before deploy_agent "
      "to pick required_tools.",
      platform);
  list.annotations.read_only = true;
  list.quiet = true;  // its handler sends the client nothing
  list.annotations.idempotent = true;
  list.handler = [tools](const json& args, mcp::RequestContext&) {
    json items = json::array();
    if (args.contains("name")) {
      items.push_back(tool_json(tools->get(args["name"])));
    } else {
      for (const auto& t : tools->list()) items.push_back(tool_json(t));
    }
    return mcp::ToolResult::structured(list_result(
        "tools", std::move(items), {"tools", "pass name to get a specific tool", true}));
  };
  registry.add(std::move(list));

  auto create = platform_tool(
      "create_tool", "Register a tool", "tools",
      "Register an external API as a tool agents can call, or update the tool of that name. "
      "Agents reach it through the platform, which applies policy; list the tool in an agent's "
      "required_tools (deploy_agent) to allow its calls. Returns the tool and whether it was "
      "created or updated.",
      platform);
  create.annotations.read_only = false;
  create.annotations.destructive = true;  // overwrites an existing tool of the same name
  create.annotations.idempotent = true;
  create.handler = [tools](const json& args, mcp::RequestContext&) {
    platform::ToolRegistration reg;
    reg.name = args.at("name");
    reg.base_url = args.at("base_url");
    reg.description = args.value("description", "");
    reg.auth_type = args.value("auth_type", "None");
    // Defaults follow base_url: http:// means scheme HTTP and port 80 unless given.
    const bool plain_http = reg.base_url.rfind("http://", 0) == 0;
    reg.scheme = args.value("scheme", plain_http ? "HTTP" : "HTTPS");
    reg.port = args.value("port", reg.scheme == "HTTP" ? 80 : 443);
    auto result = tools->upsert(reg);
    return mcp::ToolResult::structured({{"tool", tool_json(result.tool)},
                                        {"created", result.created},
                                        {"status", result.created ? "created" : "updated"}});
  };
  registry.add(std::move(create));
}

}  // namespace runagents::tools
