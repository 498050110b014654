// `runagents-mcp deploy`: deploys the agent project in the current directory (runagents.yaml,
// see platform/project/agent_project.hpp) and/or what the flags say (--name, --file, --tool,
// --model provider/model, --system-prompt, --dry-run) to the configured face, local or remote,
// through the same AgentService::deploy that the deploy_agent tool calls, and prints the status,
// the phase, warnings and notes.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "platform/config/config.hpp"
#include "platform/platform.hpp"

namespace CLI {
class App;
}

namespace runagents::cli {

struct DeployCommand {
  CLI::App* command = nullptr;
  std::string name;
  std::vector<std::string> files;
  std::vector<std::string> tools;
  std::string model;
  std::string system_prompt;
  bool dry_run = false;
};

// Adds `deploy` to `app`; the returned struct must outlive parsing.
void add_deploy_command(CLI::App& app, DeployCommand& deploy);

// The request for the project in `dir`: runagents.yaml when present, the flags over it. The
// files are `--file`s, else the project's files (not hidden ones, __pycache__, virtualenvs,
// node_modules, *.pyc or the assistant's *.md). Throws std::invalid_argument with what to fix.
platform::DeployRequest deploy_request_for(const DeployCommand& flags,
                                           const std::filesystem::path& dir);

// Runs the command: 0 when deployed (or validated) Running, 1 when Failed or refused (the
// reason on stderr), 2 for bad input (nothing is deployed).
int run_deploy(const DeployCommand& flags, const platform::ConfigFlags& config_flags);

}  // namespace runagents::cli
