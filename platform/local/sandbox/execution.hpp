// Execution: the handle of one command that runs (or waits to run) in a sandbox.
//
// Thread-safety: safe for concurrent use from multiple threads; waiting and kill() may be called
// from any thread but the one that supervises the command (its ExecOptions::on_line callback).
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "platform/local/sandbox/command.hpp"

namespace runagents::platform::local {

namespace detail {
struct ExecState;
}  // namespace detail

// A command started asynchronously (Sandbox::start, PersistentShell::start).
//
// Destroying the last handle of a command that is still queued or running kills it and waits
// until its processes are gone.
class Execution {
 public:
  ~Execution();
  Execution(const Execution&) = delete;
  Execution& operator=(const Execution&) = delete;

  ExecStatus status() const;
  // Output captured so far (capped as the final result will be).
  ExecOutput output() const;
  // The result once completed, nullopt before.
  std::optional<ExecResult> result() const;
  // Waits until completed or `timeout` passes; returns whether it completed.
  bool wait_for(std::chrono::milliseconds timeout) const;
  // Waits until completed and returns the result.
  ExecResult wait() const;
  // Kills every process of the command (or drops it from its shell's queue) and waits until they
  // are gone; the result then has cancelled=true. Works on a suspended sandbox too (the command's
  // processes are released from the freezer to die; the others stay frozen); a shell command
  // killed while suspended takes its shell with it. No-op once completed.
  void kill();

  // Stdin of a command started with ExecOptions::stdin_pipe. write_input queues `data` for it;
  // close_input closes it (EOF) once what was queued is written. Both return false, doing
  // nothing, when the command has no stdin pipe, its stdin was closed, or it has completed.
  bool write_input(std::string data);
  bool close_input();
  // Sends SIGINT to every process of a one-shot command (as Ctrl-C would); the command decides
  // what to do with it. Returns false, doing nothing, once completed or for a shell command.
  bool interrupt();

 private:
  friend class Sandbox;
  friend class PersistentShell;
  explicit Execution(std::shared_ptr<detail::ExecState> state);
  std::shared_ptr<detail::ExecState> state_;
};

}  // namespace runagents::platform::local
