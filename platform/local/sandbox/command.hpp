// What a sandbox runs (Command, ExecOptions) and what a command gives back (ExecResult, its
// captured output, its status). Plain values, shared by one-shot commands (Sandbox::start) and
// the commands of a PersistentShell.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/cancel.hpp"

namespace runagents::platform::local {

// What runs: an argv, executed inside the sandbox (argv[0] looked up on the sandbox's PATH).
struct Command {
  std::vector<std::string> argv;

  // `/bin/bash -c script`.
  static Command shell(std::string script) { return {{"/bin/bash", "-c", std::move(script)}}; }
  static Command exec(std::vector<std::string> argv) { return {std::move(argv)}; }
};

enum class OutputStream { stdout_stream, stderr_stream };
const char* to_string(OutputStream stream);  // "stdout" / "stderr"

// Called with each line of output (without its '\n') as it arrives; a last line without '\n' is
// delivered when the command ends; lines over 64 KiB are delivered in 64 KiB pieces.
using LineCallback = std::function<void(OutputStream, std::string_view line)>;

inline constexpr std::size_t kDefaultOutputCap = 1 << 20;
inline constexpr std::uint64_t kDefaultOutputFileCap = 64u << 20;

// What every command takes, one-shot (ExecOptions) or in a PersistentShell.
struct CommandOptions {
  // Relative to the home, or absolute under /home/user; empty is the home. Must be a directory
  // inside the home (see resolve_in_home). A PersistentShell changes to it (persistently) before
  // the command.
  std::string working_dir;
  // Active (not suspended) time after which the command is killed; zero means none.
  std::chrono::milliseconds timeout{0};
  // Bytes kept per stream (1 KiB .. 256 MiB): the first half and the last half of the output;
  // the middle is replaced by a marker line "[... N bytes omitted ...]".
  std::size_t output_cap = kDefaultOutputCap;
  // When set, a path in the home ("a/b/exe_1"): each stream is also written, as it arrives and
  // never held in memory, to "<output_file>.stdout" and "<output_file>.stderr" (created, parents
  // too, owned by the sandbox's user), up to output_file_cap bytes each; the rest is dropped
  // there (output_cap's tail still has it). CapturedOutput::file_error says why a file is short.
  std::string output_file;
  std::uint64_t output_file_cap = kDefaultOutputFileCap;
  LineCallback on_line;
  // Fired (from any thread) to kill the command; may be shared by several commands. A command
  // whose signal already fired is not started: it completes as cancelled. The sandbox polls its
  // fd(), which it makes when it takes the command.
  std::shared_ptr<ExecCancel> cancel;
};

// A one-shot command's options (Sandbox::run, Sandbox::start): CommandOptions plus its own
// environment and stdin.
struct ExecOptions : CommandOptions {
  // Added to the sandbox's environment for this command only.
  std::map<std::string, std::string> env;
  // Bytes written to the command's stdin, which is then closed (unless stdin_pipe); nullopt
  // means /dev/null (unless stdin_pipe).
  std::optional<std::string> stdin_data;
  // Keep the command's stdin open as a pipe fed by Execution::write_input until
  // Execution::close_input or the command completes (one-shot commands only: a PersistentShell's
  // commands always read /dev/null).
  bool stdin_pipe = false;
};

// Output of one stream: everything when it fit the cap, else head + marker + tail.
struct CapturedOutput {
  std::string data;
  bool truncated = false;
  std::uint64_t total_bytes = 0;  // bytes the command wrote to the stream
  // CommandOptions::output_file: bytes written to the stream's file, and why not all of them
  // when a write failed (empty when it was only the cap).
  std::uint64_t file_bytes = 0;
  std::string file_error;
};

struct ExecOutput {
  CapturedOutput out;
  CapturedOutput err;
};

enum class ExecStatus { queued, running, completed };
const char* to_string(ExecStatus status);

struct ExecResult {
  // Exit status of the command; 128+N when signal N ended it (as a shell reports it; 137 after a
  // timeout or cancel), -1 when it never ran (cancelled before it started or while queued, or
  // its shell could not start).
  int exit_code = -1;
  int signal = 0;          // signal that ended it, 0 if it exited
  bool timed_out = false;  // killed because ExecOptions::timeout passed
  bool cancelled = false;  // killed by kill(), kill_all() or the cancel signal
  // The kernel killed a process of the sandbox for memory while the command ran: the command
  // itself (signal 9), or one of its processes while the command went on (its shell reported
  // the child's 137). Memory cgroup only; under RLIMIT_AS allocations fail instead.
  bool memory_limit_hit = false;
  bool shell_restarted = false;  // PersistentShell only: ran in a new shell (state was reset)
  std::string note;              // one sentence on anything unusual, empty otherwise
  std::int64_t duration_ms = 0;
  CapturedOutput out;
  CapturedOutput err;
};

}  // namespace runagents::platform::local
