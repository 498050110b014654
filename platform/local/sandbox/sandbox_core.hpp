// Shared state behind Sandbox, Execution and ShellSession. Internal to platform/local.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/sandbox/cgroup.hpp"
#include "platform/local/sandbox/output_capture.hpp"
#include "platform/local/sandbox/process_supervisor.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/sandbox/sandbox_network.hpp"

namespace runagents::platform::local::detail {

// One command's state, shared by its Execution handle and whoever runs it. The captures and
// status are guarded by `mu`; the line splitters are used only by the supervising thread.
struct ExecState {
  ExecState(std::size_t output_cap, LineCallback on_line, std::shared_ptr<CancelToken> cancel,
            std::chrono::milliseconds timeout);

  // Marks it running and starts its clock.
  void set_running();
  // Captures output and delivers its complete lines to on_line (outside the lock).
  void append(OutputStream stream, std::string_view data);
  // Flushes the last lines, fills in output and duration, and wakes waiters. Once only.
  void complete(ExecResult result);

  // Asks whoever runs it to kill it; returns at once.
  void request_kill();

  const LineCallback on_line;
  const std::shared_ptr<CancelToken> cancel;
  const std::chrono::milliseconds timeout;
  std::atomic<bool> kill_requested{false};
  // Set by run() when bwrap itself failed (Sandbox::run turns that into an error).
  std::atomic<bool> sandbox_failed{false};

  mutable std::mutex mu;
  std::condition_variable cv;
  ExecStatus status = ExecStatus::queued;
  Clock::time_point started{};
  OutputCapture out;
  OutputCapture err;
  std::optional<ExecResult> result;
  std::function<void()> kill_fn;  // set by the owner; must not block

 private:
  LineSplitter out_lines_;
  LineSplitter err_lines_;
};

struct ShellCore;

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
  // How to start a container running `argv` in `cwd` (a sandbox path) with `env` added.
  SpawnSpec spawn_spec(const std::vector<std::string>& argv, const std::string& cwd,
                       const std::map<std::string, std::string>& env, bool pipe_stdin) const;
  void add(const std::shared_ptr<Supervisor>& sup);
  std::vector<std::shared_ptr<Supervisor>> live_supervisors() const;
};

// Completes every queued (not yet running) command of a shell as cancelled (for kill_all).
void cancel_queued_commands(ShellCore& shell);

// Validation shared by Sandbox and ShellSession; each throws PlatformError(invalid).
void validate_output_cap(std::size_t cap);
void validate_timeout(std::chrono::milliseconds timeout);
void validate_env(const std::map<std::string, std::string>& env, const char* field);
// Resolves an ExecOptions-style working_dir to a sandbox path; throws not_found/invalid/forbidden.
std::string resolve_working_dir(const std::filesystem::path& home, const std::string& dir);

// Fills exit_code and signal from a wait status (bwrap reports 128+N for a command killed by N).
void decode_exit(const ExitInfo& info, ExecResult& result);

// ExecResult::note for a command during which the kernel killed a process of the sandbox for
// memory: `command_killed` when the command itself died of it, else one of its processes.
std::string memory_limit_note(const SandboxCore& core, bool command_killed);

}  // namespace runagents::platform::local::detail
