#include "app/init_command.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "platform/error.hpp"
#include "platform/names.hpp"

namespace runagents::cli {

namespace {

const char* const kAgentPy = R"PY("""{{NAME}}: a RunAgents agent.

The runtime calls handler(request, ctx) for every run: request["message"] is the user's message.
Agent() reads what the platform injects (SYSTEM_PROMPT, LLM_MODEL, LLM_GATEWAY_URL, TOOL_URL_*);
its tool and model calls go through the platform, which applies policy and records them.
"""

from runagents import Agent


def handler(request, ctx):
    agent = Agent()
    message = request["message"]
    echoed = agent.call_tool("echo-tool", "/echo", {"text": message})
    reply = agent.chat(message)
    return {
        "response": reply["choices"][0]["message"]["content"],
        "echo": echoed.get("received"),
    }
)PY";

const char* const kYaml = R"(name: {{NAME}}
system_prompt: You are a helpful assistant.
tools:
  - echo-tool
model:
  provider: playground
  model: playground-llm
entry_point: agent.py
)";

const char* const kGuide = R"(# {{NAME}}: a RunAgents agent

This project is an agent for the RunAgents platform. `agent.py` holds `handler(request, ctx)`,
which the runtime calls with the user's message in `request["message"]` and which returns a dict
with `response` (or a string). `runagents.yaml` names the agent, its tools, model, system prompt
and entry point. The agent imports `runagents` (the SDK 1.2.1 agent API: `Agent().call_tool(name,
path, payload, method)`, `Agent().chat(message, tools, history)`, `@tool`, `RunContext`); the
platform provides it, and the agent runs in a sandbox whose only way out is the platform, which
applies policy to every tool call.

The `runagents` MCP server (`.mcp.json`) gives you these fourteen tools:

- `list_agents`, `get_agent`: what is deployed, its status (Running, Failed and why), its spec.
- `deploy_agent`: deploy this project: `{"source_dir": "<this directory's absolute path>"}` reads
  runagents.yaml and the project's files on the server's machine (it may read the client's roots,
  or the directory it was started in). Or pass `agent_name` ({{NAME}}), `source_files` (file name
  -> content), `required_tools`, `system_prompt`, `llm_configs` ([{provider, model}]),
  `entry_point` yourself. Use `dry_run: true` first to
  see the analysis and warnings (tools the code calls but does not declare, likely secrets,
  missing imports). Redeploy after every change.
- `list_tools`, `create_tool`: the registered tools (echo-tool answers locally); register a new
  tool (name, base_url) before the agent can call it.
- `run_query`: run the agent: `{"prompt": "...", "agent": {"name": "{{NAME}}"}}`. Without `agent`
  it runs the prompt in a devbox instead.
- `list_runs`, `get_run_events`: the runs and each run's timeline (tool requests, policy
  decisions, responses, the answer, failures with the traceback). Read them when a run fails.
- `list_approvals`, `decide_approval`: a tool call under an `approval_required` policy pauses the
  run (PAUSED_APPROVAL); approve or reject the access request and the run resumes.
- `export_context`: everything in the workspace (agents, tools, policies, models) in one answer.
- `create_devbox`, `devbox_exec`, `manage_devbox`: sandboxes to try code and commands in.

A typical loop: edit agent.py, `deploy_agent` with `dry_run`, fix warnings, `deploy_agent`,
`run_query`, then `get_run_events` on the run. Add policies to `deploy_agent` (`policies: [{
"permission": "approval_required", "tool": "echo-tool" }]`) to hold calls for a person.
Keep secrets out of the code: read them from the environment.
)";

const char* const kGitignore =
    "__pycache__/\n*.pyc\n.venv/\n.env\n.runagents/\n";  // .runagents/: dev's platform

std::string fill(std::string text, const std::string& name) {
  const std::string key = "{{NAME}}";
  for (auto pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + name.size()))
    text.replace(pos, key.size(), name);
  return text;
}

// The absolute path of this executable, symlinks resolved.
std::string self_path() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "runagents-mcp";
  return exe.string();
}

}  // namespace

std::map<std::string, std::string> init_files(const std::string& name, const std::string& binary) {
  nlohmann::json mcp = {{"mcpServers",
                         {{"runagents",
                           {{"command", binary},
                            {"args", nlohmann::json::array()},
                            {"env", nlohmann::json::object()}}}}}};
  const std::string guide = fill(kGuide, name);
  return {{"agent.py", fill(kAgentPy, name)},
          {"runagents.yaml", fill(kYaml, name)},
          {"requirements.txt", "runagents>=1.2.1\n"},
          {"CLAUDE.md", guide},
          {"AGENTS.md", guide},
          {".cursorrules", guide},
          {".gitignore", kGitignore},
          {".mcp.json", mcp.dump(2) + "\n"}};
}

int run_init(const std::string& name, const std::filesystem::path& parent) {
  try {
    platform::require_dns_label(name, "the agent name");
  } catch (const platform::PlatformError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const auto dir = parent / name;
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(dir, ec))) {
    std::cerr << "error: " << dir.string()
              << " already exists; init creates a new project directory: choose another name "
                 "or remove it\n";
    return 1;
  }
  if (!std::filesystem::create_directory(dir, ec) || ec) {
    std::cerr << "error: cannot create " << dir.string() << ": "
              << (ec ? ec.message() : std::string("it already exists")) << "\n";
    return 1;
  }
  for (const auto& [file, text] : init_files(name, self_path())) {
    std::ofstream out(dir / file, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      const std::string why = std::strerror(errno);
      std::filesystem::remove_all(dir, ec);
      std::cerr << "error: cannot write " << (dir / file).string() << ": " << why << "\n";
      return 1;
    }
  }
  std::cout << "Created " << dir.string()
            << "/ with agent.py, runagents.yaml, requirements.txt, CLAUDE.md, AGENTS.md, "
               ".cursorrules, .gitignore and .mcp.json.\n"
               "Next: open it with your assistant (.mcp.json starts this runagents-mcp) and ask "
               "it to deploy the agent with deploy_agent and run it with run_query.\n";
  return 0;
}

void add_init_command(CLI::App& app, InitCommand& init) {
  init.command = app.add_subcommand(
      "init", "Create a new agent project in ./NAME (agent.py, runagents.yaml, assistant files)");
  init.command->add_option("name", init.name, "Agent name (a DNS label, e.g. my-agent)")
      ->required();
}

}  // namespace runagents::cli
