// The state of one command, shared by its Execution handle and whoever runs it (a one-shot
// command's handler in sandbox.cpp, or a PersistentShell's shell). Internal to platform/local.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "platform/local/sandbox/command.hpp"
#include "platform/local/sandbox/output_capture.hpp"
#include "platform/local/sandbox/process_supervisor.hpp"

namespace runagents::platform::local::detail {

// A command's output files (CommandOptions::output_file); null: none.
struct OutputFiles {
  std::unique_ptr<OutputFile> out;
  std::unique_ptr<OutputFile> err;
};

// One command's state, shared by its Execution handle and whoever runs it. The captures and
// status are guarded by `mu`; the line splitters are used only by the supervising thread.
struct ExecState {
  // Makes `cancel`'s eventfd here, on the caller's thread (the supervisor polls it), so a
  // failure to make one is the caller's PlatformError.
  ExecState(std::size_t output_cap, LineCallback on_line, std::shared_ptr<ExecCancel> cancel,
            std::chrono::milliseconds timeout, OutputFiles files = {});

  // Marks it running and starts its clock.
  void set_running();
  // Captures output and delivers its complete lines to on_line (outside the lock).
  void append(OutputStream stream, std::string_view data);
  // Flushes the last lines, fills in output and duration, and wakes waiters. Once only.
  void complete(ExecResult result);

  // Asks whoever runs it to kill it; returns at once.
  void request_kill();

  const LineCallback on_line;
  const std::shared_ptr<ExecCancel> cancel;
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
  OutputFiles files;
  std::optional<ExecResult> result;
  std::function<void()> kill_fn;  // set by the owner; must not block
  // One-shot commands: their supervisor (stdin, signals). stdin_open while a stdin pipe
  // (ExecOptions::stdin_pipe) takes input: until close_input or completion.
  std::weak_ptr<Supervisor> supervisor;
  bool stdin_open = false;

 private:
  LineSplitter out_lines_;
  LineSplitter err_lines_;
};

}  // namespace runagents::platform::local::detail
