// The shared state behind a Sandbox: its spec, container arguments, cgroups, network namespace
// and the supervisors and shells of its commands. Sandbox is a handle to it; Execution and
// PersistentShell handles keep it alive. Implemented in sandbox.cpp. Internal to platform/local.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/sandbox/cgroup.hpp"
#include "platform/local/sandbox/process_supervisor.hpp"
#include "platform/local/sandbox/sandbox_network.hpp"
#include "platform/local/sandbox/sandbox_spec.hpp"

namespace runagents::platform::local::detail {

struct ShellCore;
class ReadyHandler;

struct SandboxCore {
  SandboxSpec spec;                         // validated, home_dir canonical
  std::string bwrap;                        // resolved path
  std::vector<std::string> container_args;  // bwrap argv up to (not including) --chdir
  std::shared_ptr<SandboxCgroups> cgroups;
  // The network namespace every container joins; it lives as long as this core (the sandbox and
  // every handle of its commands).
  std::unique_ptr<SandboxNetwork> network;

  // Held while starting a container and while suspending, resuming or collecting for kill_all,
  // so that no container escapes a suspend. Order: ShellCore::mu, then lifecycle_mu, then mu.
  std::mutex lifecycle_mu;

  mutable std::mutex mu;
  std::vector<std::weak_ptr<Supervisor>> supervisors;
  std::vector<std::weak_ptr<ShellCore>> shells;
  bool suspended = false;
  bool closed = false;
  Clock::time_point suspended_since{};
  Clock::duration suspended_total{};

  // Total time spent suspended so far (the current suspension included).
  Clock::duration suspended_time() const;
  // Throws PlatformError(conflict) when suspended or destroyed. Takes mu.
  void check_can_start() const;
  // A container started ahead of the next one-shot command, waiting for it on stdin (sandbox.cpp,
  // "Ready containers"), and what forwards its events once a command is in it. Guarded by
  // lifecycle_mu.
  std::shared_ptr<Supervisor> ready;
  std::shared_ptr<ReadyHandler> ready_handler;

  // How to start a container running `argv` in `cwd` (a sandbox path) with `env` added.
  SpawnSpec spawn_spec(const std::vector<std::string>& argv, const std::string& cwd,
                       const std::map<std::string, std::string>& env, bool pipe_stdin) const;
  // How to start a ready container (sandbox.cpp), or nullopt when this server makes none.
  std::optional<SpawnSpec> ready_spec() const;
  // How to start a container whose first program is `command`.
  SpawnSpec container_spec(const std::vector<std::string>& command, const std::string& cwd,
                           std::vector<std::string> env, bool pipe_stdin) const;
  // The environment of a command: the base, the sandbox's variables, then `env`.
  std::vector<std::string> command_environment(const std::map<std::string, std::string>& env) const;
  void add(const std::shared_ptr<Supervisor>& sup);
  std::vector<std::shared_ptr<Supervisor>> live_supervisors() const;
};

}  // namespace runagents::platform::local::detail
