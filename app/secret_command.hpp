// `runagents-mcp secret set NAME | list | delete NAME`: the local secret store
// (platform/local/secrets/secret_store.hpp) of the configured data dir, which local devboxes
// created with `secrets` read. `set` reads the value from stdin (without echo on a terminal), so
// it never shows in `ps` or a shell's history; nothing prints a value.
#pragma once

#include <string>

#include "platform/config/config.hpp"

namespace CLI {
class App;
}

namespace runagents::cli {

struct SecretCommand {
  CLI::App* command = nullptr;
  CLI::App* set = nullptr;
  CLI::App* list = nullptr;
  CLI::App* remove = nullptr;
  std::string name;
};

// Adds `secret` to `app`; the returned struct must outlive parsing.
void add_secret_command(CLI::App& app, SecretCommand& secret);

// Runs the selected subcommand: 0 when done, 1 when refused or failed (why on stderr), 2 for bad
// input (nothing stored).
int run_secret(const SecretCommand& secret, const platform::ConfigFlags& config_flags);

}  // namespace runagents::cli
