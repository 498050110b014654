// `runagents-mcp platform serve`: the embedded local platform over HTTP with the RunAgents 1.2.1
// REST paths (platform/serve/runagents_routes.hpp), so the remote client, the RunAgents SDK and
// CLI (RUNAGENTS_ENDPOINT=http://127.0.0.1:8092) can use it.
//
// The command is defined here and only hooked into app/cli.cpp: add_platform_command() adds
// the `platform` command with its `serve` subcommand to the app; after parsing, when
// selected() is true, run() serves until SIGINT/SIGTERM and returns the exit status (0 after a
// clean stop, 1 when the platform or the socket could not be opened, with the reason on stderr).
// The global configuration flags (--data-dir, --namespace, --config before `platform`) apply;
// the same flags given after `serve` override them.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "platform/config/config.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::cli {

class PlatformCommand {
 public:
  bool selected() const;
  int run(const platform::ConfigFlags& global_flags);

 private:
  friend std::unique_ptr<PlatformCommand> add_platform_command(CLI::App& app);
  CLI::App* platform_ = nullptr;
  CLI::App* serve_ = nullptr;
  platform::serve::ServeOptions serve_options_;
  std::string data_dir_;
  std::string ns_;
  std::string config_file_;
  std::size_t max_devbox_executions_ = 0;       // --max-devbox-executions (0: none)
  std::int64_t max_object_bytes_ = 64ll << 20;  // --max-object-bytes (the body limit)
};

std::unique_ptr<PlatformCommand> add_platform_command(CLI::App& app);

}  // namespace runagents::cli
