// Tools of the agents domain: list_agents, get_agent, deploy_agent.
#include <stdexcept>

#include "platform/project/agent_project.hpp"
#include "tools/domains.hpp"
#include "tools/list_results.hpp"
#include "tools/platform_json.hpp"
#include "tools/result_limits.hpp"
#include "tools/schema_files.hpp"

namespace runagents::tools {

mcp::ToolDefinition platform_tool(const std::string& name, const std::string& title,
                                  const std::string& toolset, const std::string& description,
                                  const platform::Platform& platform) {
  mcp::ToolDefinition tool;
  tool.name = name;
  tool.title = title;
  tool.toolset = toolset;
  tool.description = description;
  tool.input_schema = load_schema(name + ".input.json");
  tool.output_schema = load_schema(name + ".output.json");
  auto face = platform.faces.find(toolset);
  tool.annotations.open_world = face != platform.faces.end() && face->second.kind == "remote";
  return tool;
}

namespace {

// deploy_agent's request: the arguments, and with source_dir the project there (runagents.yaml
// and its files; what the arguments give wins).
platform::DeployRequest deploy_request_for_call(const json& args, const HostPathPolicy& paths,
                                                mcp::RequestContext& ctx) {
  using platform::ErrorKind;
  using platform::PlatformError;
  platform::DeployRequest req = deploy_request_from_args(args);
  if (!args.contains("source_dir")) {
    if (req.agent_name.empty())
      throw PlatformError(ErrorKind::invalid,
                          "agent_name is required (or give source_dir, a project directory whose "
                          "runagents.yaml names the agent)");
    return req;
  }
  if (args.contains("source_files"))
    throw PlatformError(ErrorKind::invalid,
                        "give source_files or source_dir, not both; nothing was deployed");
  const auto dir = allowed_host_path(paths, ctx, args.at("source_dir").get<std::string>());
  platform::DeployRequest project;
  try {
    project = platform::deploy_request_from_project(dir, {req.agent_name});
  } catch (const std::invalid_argument& e) {
    throw PlatformError(ErrorKind::invalid,
                        "source_dir " + dir.string() + ": " + e.what() + "; nothing was deployed");
  }
  req.agent_name = project.agent_name;
  req.source_files = std::move(project.source_files);
  if (req.system_prompt.empty()) req.system_prompt = project.system_prompt;
  if (req.required_tools.empty()) req.required_tools = project.required_tools;
  if (req.llm_configs.empty()) req.llm_configs = project.llm_configs;
  if (req.entry_point.empty()) req.entry_point = project.entry_point;
  if (req.vendored_paths.empty()) req.vendored_paths = project.vendored_paths;
  return req;
}

}  // namespace

void register_agent_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                          const HostPathPolicy& host_paths) {
  auto agents = platform.agents;
  const std::string configured_ns = platform.ns;

  auto list = platform_tool(
      "list_agents", "List agents", "agents",
      "List deployed agents with their status (Running, Pending, Failed), namespace and required "
      "tools. Use it to see what exists before deploying, or to find an agent's exact name. "
      "Returns agents ordered by namespace and name; pass namespace to narrow the list. Use "
      "get_agent for one agent's full spec.",
      platform);
  list.annotations.read_only = true;
  list.quiet = true;  // its handler sends the client nothing
  list.annotations.idempotent = true;
  list.handler = [agents](const json& args, mcp::RequestContext&) {
    json items = json::array();
    for (const auto& a : agents->list(args.value("namespace", "")))
      items.push_back(agent_summary_json(a));
    return mcp::ToolResult::structured(list_result(
        "agents", std::move(items),
        {"agents", "pass namespace to narrow the list, or get_agent for one agent", true}));
  };
  registry.add(std::move(list));

  auto get = platform_tool(
      "get_agent", "Get an agent", "agents",
      "Get one agent in detail: status phase and message (why it failed), system prompt, entry "
      "point, required tools, model configs, bound policies and the platform's full spec "
      "(locally also the source file names and the deploy analysis). Use it after deploy_agent "
      "to check an agent, or to see why it is Failed. namespace defaults to the configured one "
      "(" +
          configured_ns + ").",
      platform);
  get.annotations.read_only = true;
  get.quiet = true;  // its handler sends the client nothing
  get.annotations.idempotent = true;
  get.handler = [agents](const json& args, mcp::RequestContext&) {
    json out = agent_detail_json(agents->get(args.value("namespace", ""), args.at("name")));
    clip_strings(out, 8000);
    return mcp::ToolResult::structured(out);
  };
  registry.add(std::move(get));

  auto deploy = platform_tool(
      "deploy_agent", "Deploy an agent", "agents",
      "Deploy an agent from Python source, or update the agent of that name. Give the source as "
      "source_files, or as source_dir: a project directory on the server's machine (runagents.yaml "
      "and its files, as `runagents-mcp init` makes; readable only inside the client's roots on "
      "stdio, or --allow-path directories). The source is "
      "analyzed (entry point, handler signature, tools called, models, likely secrets, "
      "requirements) and checked: a syntax error or a missing handler leaves the agent Failed "
      "with the reason. Every required_tools entry must already be registered (list_tools) or "
      "be described in tools_to_create, else nothing is deployed and the error names the "
      "missing ones. policies bind rules to the agent, e.g. approval_required for a tool, so its "
      "calls wait for decide_approval. Set dry_run to analyze and validate without changing "
      "anything. Code the agent ships from third parties (a package with a *.dist-info, "
      "pyproject.toml or setup.py next to it, or vendored_paths) is not searched for tool calls. "
      "Returns status created, updated or validated, the phase, tools created, the analysis, "
      "warnings and notes.",
      platform);
  deploy.annotations.read_only = false;
  deploy.annotations.destructive = true;  // replaces an existing agent of the same name
  deploy.annotations.idempotent = true;
  deploy.handler = [agents, host_paths](const json& args, mcp::RequestContext& ctx) {
    platform::DeployRequest request = deploy_request_for_call(args, host_paths, ctx);
    ctx.progress(0, 1, request.dry_run ? "analyzing" : "analyzing and deploying");
    json out = deploy_result_json(agents->deploy(request));
    ctx.progress(1, 1, "done");
    clip_strings(out, 4000);
    fit_items(out["warnings"], 8000);
    fit_items(out["notes"], 4000);
    return mcp::ToolResult::structured(out);
  };
  deploy.long_running = true;  // analysis and a start-up check in a sandbox
  deploy.task_support = mcp::TaskSupport::optional;
  deploy.task_worthy = [](const json& args) { return !args.value("dry_run", false); };
  registry.add(std::move(deploy));
}

}  // namespace runagents::tools
