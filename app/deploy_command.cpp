#include "app/deploy_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "platform/open/open_platform.hpp"
#include "platform/project/agent_project.hpp"

namespace runagents::cli {

platform::DeployRequest deploy_request_for(const DeployCommand& flags,
                                           const std::filesystem::path& dir) {
  platform::ProjectOverrides o{flags.name, flags.files, flags.tools, flags.model,
                               flags.system_prompt};
  auto req = platform::deploy_request_from_project(dir, o);
  req.dry_run = flags.dry_run;
  return req;
}

int run_deploy(const DeployCommand& flags, const platform::ConfigFlags& config_flags) {
  platform::DeployRequest req;
  try {
    req = deploy_request_for(flags, std::filesystem::current_path());
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  platform::DeployResult r;
  try {
    auto p = platform::open_platform(platform::load_config(config_flags));
    r = p.agents->deploy(req);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout << r.ns << "/" << r.agent << ": " << r.status
            << (r.phase.empty() ? "" : ", phase " + r.phase) << "\n";
  if (!r.message.empty()) std::cout << "  " << r.message << "\n";
  for (const auto& t : r.tools_created) std::cout << "tool created: " << t << "\n";
  for (const auto& w : r.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& n : r.notes) std::cout << "note: " << n << "\n";
  return r.phase == "Failed" ? 1 : 0;
}

void add_deploy_command(CLI::App& app, DeployCommand& deploy) {
  deploy.command = app.add_subcommand(
      "deploy",
      "Deploy the agent project in the current directory (runagents.yaml) as deploy_agent does");
  deploy.command->add_option("--name", deploy.name, "Agent name (default: runagents.yaml name)");
  deploy.command->add_option("--file", deploy.files,
                             "A file to deploy (repeatable; default: the project's files)");
  deploy.command->add_option("--tool", deploy.tools,
                             "A required tool (repeatable; default: runagents.yaml tools)");
  deploy.command->add_option("--model", deploy.model, "provider/model, e.g. openai/gpt-4o-mini");
  deploy.command->add_option("--system-prompt", deploy.system_prompt, "The system prompt");
  deploy.command->add_flag("--dry-run", deploy.dry_run, "Analyze and validate; change nothing");
}

}  // namespace runagents::cli
