// PersistentShell: a persistent shell inside a sandbox (Sandbox::open_shell). Its commands take
// CommandOptions (command.hpp): they run in the shell's own context, so a working_dir, `cd` and
// `export` persist to the next command.
//
// Thread-safety: safe for concurrent use from multiple threads. Callbacks (on_line) run on the
// thread that supervises the shell; they must return quickly and must not call kill() or wait()
// of their own command (fire its CommandOptions::cancel to stop it from inside a callback).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "platform/local/sandbox/execution.hpp"

namespace runagents::platform::local {

namespace detail {
struct ShellCore;
}  // namespace detail

// A long-lived bash inside the sandbox that runs commands one after another, keeping its working
// directory, environment, functions and background jobs between them (as Runloop's named shells
// do). Commands get /dev/null as stdin. Each command's stdout and stderr are its own.
//
// Cancel or timeout of a command kills the processes that command started; if the shell itself is
// busy (a builtin loop) it is killed too. A shell that dies (killed, `exit`, kill_all()) is
// started again for the next command with a fresh state, and that command's result says so
// (shell_restarted, note). Commands started while one runs wait in a queue (status queued).
class PersistentShell {
 public:
  // Kills the shell and everything it runs; queued commands complete as cancelled.
  ~PersistentShell();
  PersistentShell(const PersistentShell&) = delete;
  PersistentShell& operator=(const PersistentShell&) = delete;

  // Runs `command` (bash source) and waits for its result. Throws PlatformError: invalid for a
  // bad option or a command containing a NUL byte, conflict when the session is closed or the
  // sandbox suspended, unavailable when the shell cannot be started.
  ExecResult run(std::string_view command, const CommandOptions& options = {});
  // Queues `command` and returns at once; errors as run().
  std::shared_ptr<Execution> start(std::string_view command, CommandOptions options = {});

  // Whether the shell process is alive now (it starts with the first command).
  bool alive() const;
  // How many times the shell died and was started again.
  std::uint64_t restarts() const;
  // As the destructor; later run()/start() throw conflict.
  void close();

 private:
  friend class Sandbox;
  explicit PersistentShell(std::shared_ptr<detail::ShellCore> core);
  std::shared_ptr<detail::ShellCore> core_;
};

}  // namespace runagents::platform::local
