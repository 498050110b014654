#include "app/deploy_command.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "app/project_file.hpp"
#include "platform/open/open_platform.hpp"

namespace runagents::cli {

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read " + path.string());
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool skipped_name(const std::string& name, bool is_dir) {
  if (name.empty() || name.front() == '.') return true;
  if (is_dir)
    return name == "__pycache__" || name == "venv" || name == "node_modules" ||
           name == "site-packages";
  const auto ends = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".pyc") || ends(".md");
}

std::map<std::string, std::string> project_files(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  std::filesystem::recursive_directory_iterator it(dir), end;
  for (; it != end; ++it) {
    const auto& entry = *it;
    const bool is_dir = entry.is_directory();
    if (skipped_name(entry.path().filename().string(), is_dir)) {
      if (is_dir) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file()) continue;
    files[std::filesystem::relative(entry.path(), dir).generic_string()] = read_file(entry.path());
  }
  return files;
}

}  // namespace

platform::DeployRequest deploy_request_for(const DeployCommand& flags,
                                           const std::filesystem::path& dir) {
  ProjectFile project;
  const auto yaml = dir / "runagents.yaml";
  const bool has_yaml = std::filesystem::exists(yaml);
  if (has_yaml) project = parse_project_file(read_file(yaml));
  platform::DeployRequest req;
  req.agent_name = flags.name.empty() ? project.name : flags.name;
  if (req.agent_name.empty())
    throw std::invalid_argument(has_yaml ? "runagents.yaml names no agent: add 'name: my-agent' "
                                           "or give --name"
                                         : "no runagents.yaml in " + dir.string() +
                                               ": run this in a project made by `runagents-mcp "
                                               "init`, or give --name and --file");
  req.system_prompt = flags.system_prompt.empty() ? project.system_prompt : flags.system_prompt;
  req.required_tools = flags.tools.empty() ? project.tools : flags.tools;
  std::string provider = project.provider, model = project.model;
  if (!flags.model.empty()) {
    auto slash = flags.model.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == flags.model.size())
      throw std::invalid_argument("--model '" + flags.model +
                                  "': give provider/model, e.g. openai/gpt-4o-mini");
    provider = flags.model.substr(0, slash);
    model = flags.model.substr(slash + 1);
  }
  if (!model.empty()) req.llm_configs.push_back({provider, model, "default"});
  req.entry_point = project.entry_point;
  req.vendored_paths = project.vendored;
  if (flags.files.empty()) {
    req.source_files = project_files(dir);
  } else {
    for (const auto& f : flags.files) {
      const std::filesystem::path p = f;
      const auto rel = (p.is_absolute() ? p.lexically_relative(dir) : p.lexically_normal());
      if (rel.empty() || rel.generic_string().rfind("..", 0) == 0)
        throw std::invalid_argument("--file " + f + " is outside " + dir.string());
      req.source_files[rel.generic_string()] = read_file(dir / rel);
    }
  }
  if (req.source_files.empty())
    throw std::invalid_argument("no files to deploy in " + dir.string());
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
