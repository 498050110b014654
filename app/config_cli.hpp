// The command-line surface of the configuration: the global flags (--endpoint, --api-key,
// --namespace, --data-dir, --config) and the `config get|set|list` and `doctor` commands.
#pragma once

#include <string>

#include "platform/config/config.hpp"

namespace CLI {
class App;
}

namespace runagents::cli {

// Adds the configuration flags to `app`; values given land in `flags`.
void add_config_flags(CLI::App& app, platform::ConfigFlags& flags);

struct ConfigCommands {
  CLI::App* config = nullptr;
  CLI::App* get = nullptr;
  CLI::App* set = nullptr;
  CLI::App* list = nullptr;
  CLI::App* doctor = nullptr;
  std::string key;
  std::string value;
};

// Adds `config get KEY`, `config set KEY VALUE`, `config list` and `doctor` to `app`. The
// returned struct must outlive parsing (CLI11 writes into it).
void add_config_commands(CLI::App& app, ConfigCommands& commands);

// Runs the command that was selected; returns its exit status, or -1 when none of them was.
int run_config_commands(const ConfigCommands& commands, const platform::ConfigFlags& flags);

}  // namespace runagents::cli
