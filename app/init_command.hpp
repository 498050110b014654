// `runagents-mcp init NAME`: scaffolds a RunAgents agent project in ./NAME, the way `runagents
// init` does: agent.py (a handler(request, ctx) calling echo-tool and the model), runagents.yaml,
// requirements.txt, the assistant context files (CLAUDE.md, AGENTS.md, .cursorrules: how to use
// this server's tools on the project), .gitignore and .mcp.json, which starts this runagents-mcp
// by its absolute installed path.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace CLI {
class App;
}

namespace runagents::cli {

struct InitCommand {
  CLI::App* command = nullptr;
  std::string name;
};

// Adds `init NAME` to `app`; the returned struct must outlive parsing.
void add_init_command(CLI::App& app, InitCommand& init);

// The files of a new project named `name` (a DNS label), relative path -> content. `binary` is
// the absolute path .mcp.json runs.
std::map<std::string, std::string> init_files(const std::string& name, const std::string& binary);

// Creates `parent`/`name` with init_files(). Returns 0, or 1 with the reason on stderr (a name
// that is not a DNS label, an existing path, a write failure), leaving nothing behind.
int run_init(const std::string& name, const std::filesystem::path& parent);

}  // namespace runagents::cli
