// The state behind a PersistentShell: its shell process, the queue of its commands and the one that
// runs. PersistentShell is a handle to it; the sandbox keeps a weak list of them for kill_all.
// Internal to platform/local.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "platform/local/sandbox/exec_state.hpp"
#include "platform/local/sandbox/sandbox_core.hpp"

namespace runagents::platform::local::detail {

// A random hex token that ends a command's output in the shell's stream (unique per shell).
std::string random_token();
// The result of a command that never ran (cancelled=true and `note`).
ExecResult cancelled_result(std::string note);

struct ShellCommand {
  std::shared_ptr<ExecState> state;
  std::string text;
  std::string dir;                    // sandbox path, or "" to stay where the shell is
  const Supervisor* shell = nullptr;  // the shell it was sent to
  std::uint64_t seq = 0;
  std::set<std::pair<pid_t, std::uint64_t>> before;  // (pid, start time) alive before it
  bool new_shell = false;                            // first command of a restarted shell
  std::uint64_t oom_at_start = 0;                    // the sandbox's memory OOM kills then
};

struct ShellCore : std::enable_shared_from_this<ShellCore> {
  std::shared_ptr<SandboxCore> sandbox;
  const std::string token = random_token();

  std::mutex mu;
  std::shared_ptr<Supervisor> shell;
  std::uint64_t seq = 0;  // commands sent to the current shell
  std::deque<std::shared_ptr<ShellCommand>> queue;
  std::shared_ptr<ShellCommand> current;
  std::uint64_t restarts = 0;
  bool started_once = false;
  bool restart_pending_note = false;
  bool closed = false;

  // With mu held: sends the next queued command, starting a shell first if needed.
  // Throws PlatformError when no shell can be started.
  void pump_locked();
  // With mu held: pump_locked(), or on failure takes the queue out to be failed by the caller.
  std::vector<std::shared_ptr<ShellCommand>> pump_or_fail_locked(std::string& why);

 private:
  void start_shell_locked();
};

// Completes every queued (not yet running) command of a shell as cancelled (for kill_all).
void cancel_queued_commands(ShellCore& shell);

}  // namespace runagents::platform::local::detail
