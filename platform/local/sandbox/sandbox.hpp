// Local sandboxes: the engine behind local devboxes.
//
// A Sandbox is a host directory (its home) plus a policy. Commands run inside bubblewrap (bwrap):
//   - the home is mounted read-write at /home/user (HOME=/home/user, the default working dir);
//   - the host system (/usr, /etc, /bin, /lib*, /sbin) is mounted read-only; nothing else of
//     the host is visible: not /root, /home, /work...;
//   - /tmp is a private tmpfs, /proc and /dev are fresh, the root is read-only;
//   - every namespace is unshared; commands run as an unprivileged host uid (SandboxSpec::uid;
//     never the host's root) with no capabilities and no_new_privs, and the sandbox dies with the
//     thread that supervises it;
//   - the sandbox has one network namespace of its own, which all its commands share (one
//     loopback, one set of ports) for as long as it lives: only `lo`, or with
//     SandboxSpec::network outbound access through slirp4netns, never the host's loopback nor the
//     host's own addresses (sandbox_network.hpp says how);
//   - resource limits hold the whole sandbox (see ResourceLimits for how each is enforced).
//
// Every command (a one-shot Execution, or a ShellSession's shell) runs in its own bwrap container
// with its own pid namespace and its own session, supervised by a dedicated thread. Killing it
// kills the container's init, which makes the kernel kill every process of that pid namespace, so
// kill, cancel and timeout leave no process behind; when a command finishes, whatever it left in
// the background is killed the same way. Processes that must outlive one command belong in a
// ShellSession.
//
// This layer knows nothing of devbox ids, lifecycle states or storage: the devbox layer keeps
// those and uses a Sandbox for what runs. Errors are thrown as PlatformError with a message a
// person can act on.
//
// Thread-safety: Sandbox, Execution, ShellSession and CancelToken are safe for concurrent use from
// multiple threads. Callbacks (ExecOptions::on_line) run on the supervising thread of their
// command; they must return quickly and must not call kill() or wait() of their own command (use
// a CancelToken to stop it from inside a callback).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"

namespace runagents::platform::local {

namespace detail {
struct SandboxCore;
struct ExecState;
struct ShellCore;
}  // namespace detail

// Where the home appears inside every sandbox.
inline constexpr std::string_view kSandboxHome = "/home/user";

// ---------------------------------------------------------------------------------------------
// Specification

// Resource limits of one sandbox. Bounds are checked by validate(); each field has a default.
//
// How they are enforced:
//   - cpu_seconds, file_size_bytes, open_files: setrlimit (RLIMIT_CPU, RLIMIT_FSIZE,
//     RLIMIT_NOFILE) in every process before bwrap starts; they hold per process.
//   - max_processes and memory_bytes: a per-sandbox cgroup v1 (pids.max, memory.limit_in_bytes)
//     when the pids/memory hierarchies are mounted and writable; these hold the whole sandbox
//     (every task of every command, the sandbox's own two bwrap processes per command included).
//     Without cgroups they fall back to setrlimit: RLIMIT_AS per process, and RLIMIT_NPROC, which
//     counts every process of the sandbox's host uid (so sandboxes sharing a uid share it). The
//     kernel ignores RLIMIT_NPROC for uid 0, one more reason a sandbox never runs as the host's
//     root. Sandbox::enforcement() says which mechanism applies.
struct ResourceLimits {
  std::uint64_t cpu_seconds = 600;             // 1 .. 86400
  std::uint64_t memory_bytes = 2ULL << 30;     // 32 MiB .. 256 GiB
  std::uint64_t max_processes = 256;           // 8 .. 65536
  std::uint64_t file_size_bytes = 1ULL << 30;  // 1 MiB .. 1 TiB
  std::uint64_t open_files = 1024;             // 16 .. 1048576

  // Throws PlatformError(invalid) naming the first field out of bounds and its allowed range.
  void validate() const;
};

// A host path made visible read-only inside the sandbox.
struct ReadOnlyBind {
  std::string host_path;  // must exist on the host
  // Absolute and normalised; not /, nor under /proc, /dev or /home/user. Its mount point must be
  // creatable: inside the read-only system dirs only where it already exists on the host.
  std::string sandbox_path;
};

struct SandboxSpec {
  // Names the sandbox's cgroups; 1-64 characters of [A-Za-z0-9._-]. Must be unique among the
  // sandboxes alive on the host at the same time.
  std::string id;
  // Host directory mounted read-write at /home/user. Must exist.
  std::filesystem::path home_dir;
  // Outbound access (the internet, where the host has it) through a user-mode network stack
  // (slirp4netns) in the sandbox's own network namespace; the host's loopback and its own
  // addresses stay unreachable, and no port is forwarded either way. When false the sandbox has
  // only its own loopback.
  bool network = false;
  // Environment of every command, on top of PATH, HOME, LANG, TERM and SHELL.
  std::map<std::string, std::string> env;
  std::vector<ReadOnlyBind> ro_binds;
  ResourceLimits limits;
  // Host uid and gid the sandbox's processes run as; they own the home's files. Unset: the
  // server's own ids, or 65534 (nobody/nogroup) when the server runs as root. 0 is refused: the
  // host's root passes permission checks no namespace takes away (it could rewrite /proc/sys).
  // Only a server running as root may choose ids other than its own.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  // Use cgroups when they are writable (false forces the setrlimit/SIGSTOP fallbacks).
  bool use_cgroups = true;
  // Path of bwrap; empty means $RUNAGENTS_BWRAP, then bwrap on $PATH, then /usr/bin/bwrap.
  std::string bwrap_path;
};

// Which mechanism enforces what, for this sandbox on this host.
struct LimitEnforcement {
  bool processes_by_cgroup = false;  // pids.max; else RLIMIT_NPROC of the sandbox's uid
  bool memory_by_cgroup = false;     // memory.limit_in_bytes; else RLIMIT_AS per process
  bool freeze_by_cgroup = false;     // freezer.state; else SIGSTOP/SIGCONT of every process
  std::string note;                  // why a cgroup could not be used, empty if all could
};

// What check_sandbox_support() found.
struct SandboxSupport {
  bool usable = false;
  std::string bwrap_path;
  std::string bwrap_version;  // e.g. "bubblewrap 0.8.0"
  std::string message;        // when unusable: what failed and what to do
};

// Finds bwrap (see SandboxSpec::bwrap_path) and runs a trivial sandbox with it once per process
// and path; later calls return the cached answer. Never throws. Thread-safe.
SandboxSupport check_sandbox_support(const std::string& bwrap_path = "");

// ---------------------------------------------------------------------------------------------
// Commands and their results

// Wakes and stops whatever waits on it. Cancelling is idempotent and cannot be undone; one token
// may be shared by several commands. fd() is an eventfd that stays readable once cancelled, so a
// poll() loop wakes at once.
class CancelToken {
 public:
  CancelToken();  // throws PlatformError(internal) if no eventfd can be created
  ~CancelToken();
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void cancel();
  bool cancelled() const { return cancelled_.load(); }
  int fd() const { return fd_; }

 private:
  std::atomic<bool> cancelled_{false};
  int fd_;
};

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

struct ExecOptions {
  // Relative to the home, or absolute under /home/user; empty is the home. Must be a directory
  // inside the home (see resolve_in_home).
  std::string working_dir;
  // Added to the sandbox's environment for this command only.
  std::map<std::string, std::string> env;
  // Active (not suspended) time after which the command is killed; zero means none.
  std::chrono::milliseconds timeout{0};
  // Bytes written to the command's stdin, which is then closed; nullopt means /dev/null.
  std::optional<std::string> stdin_data;
  // Bytes kept per stream (1 KiB .. 256 MiB): the first half and the last half of the output;
  // the middle is replaced by a marker line "[... N bytes omitted ...]".
  std::size_t output_cap = kDefaultOutputCap;
  LineCallback on_line;
  std::shared_ptr<CancelToken> cancel;
};

// Output of one stream: everything when it fit the cap, else head + marker + tail.
struct CapturedOutput {
  std::string data;
  bool truncated = false;
  std::uint64_t total_bytes = 0;  // bytes the command wrote to the stream
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
  bool cancelled = false;  // killed by kill(), kill_all() or the CancelToken
  // The kernel killed a process of the sandbox for memory while the command ran: the command
  // itself (signal 9), or one of its processes while the command went on (its shell reported
  // the child's 137). Memory cgroup only; under RLIMIT_AS allocations fail instead.
  bool memory_limit_hit = false;
  bool shell_restarted = false;  // ShellSession only: ran in a new shell (state was reset)
  std::string note;              // one sentence on anything unusual, empty otherwise
  std::int64_t duration_ms = 0;
  CapturedOutput out;
  CapturedOutput err;
};

// A command started asynchronously (Sandbox::start, ShellSession::start).
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

 private:
  friend class Sandbox;
  friend class ShellSession;
  explicit Execution(std::shared_ptr<detail::ExecState> state);
  std::shared_ptr<detail::ExecState> state_;
};

// ---------------------------------------------------------------------------------------------
// Persistent shells

// Options of one command in a ShellSession. The command runs in the shell's own context, so
// `cd` and `export` persist to the next command.
struct ShellCommandOptions {
  // If set, the shell changes to this directory (persistently) before the command.
  std::string working_dir;
  std::chrono::milliseconds timeout{0};
  std::size_t output_cap = kDefaultOutputCap;
  LineCallback on_line;
  std::shared_ptr<CancelToken> cancel;
};

// A long-lived bash inside the sandbox that runs commands one after another, keeping its working
// directory, environment, functions and background jobs between them (as Runloop's named shells
// do). Commands get /dev/null as stdin. Each command's stdout and stderr are its own.
//
// Cancel or timeout of a command kills the processes that command started; if the shell itself is
// busy (a builtin loop) it is killed too. A shell that dies (killed, `exit`, kill_all()) is
// started again for the next command with a fresh state, and that command's result says so
// (shell_restarted, note). Commands started while one runs wait in a queue (status queued).
class ShellSession {
 public:
  // Kills the shell and everything it runs; queued commands complete as cancelled.
  ~ShellSession();
  ShellSession(const ShellSession&) = delete;
  ShellSession& operator=(const ShellSession&) = delete;

  // Runs `command` (bash source) and waits for its result. Throws PlatformError: invalid for a
  // bad option or a command containing a NUL byte, conflict when the session is closed or the
  // sandbox suspended, unavailable when the shell cannot be started.
  ExecResult run(std::string_view command, const ShellCommandOptions& options = {});
  // Queues `command` and returns at once; errors as run().
  std::shared_ptr<Execution> start(std::string_view command, ShellCommandOptions options = {});

  // Whether the shell process is alive now (it starts with the first command).
  bool alive() const;
  // How many times the shell died and was started again.
  std::uint64_t restarts() const;
  // As the destructor; later run()/start() throw conflict.
  void close();

 private:
  friend class Sandbox;
  explicit ShellSession(std::shared_ptr<detail::ShellCore> core);
  std::shared_ptr<detail::ShellCore> core_;
};

// ---------------------------------------------------------------------------------------------
// Files confined to the home

// A path inside the home, as resolve_in_home found it.
struct HomePath {
  std::string relative;             // "" for the home itself, else "a/b" (no symlinks, no ..)
  std::string sandbox_path;         // "/home/user/a/b"
  std::filesystem::path host_path;  // home / relative
};

// Resolves `user_path` (relative to the home, or absolute under /home/user) as the sandbox would,
// following symlinks in every existing component (absolute link targets are sandbox paths).
// Components that do not exist yet are kept as written. Throws PlatformError: invalid for an
// empty path, a NUL byte or a symlink loop; forbidden when the path, through `..`, an absolute
// path or a symlink, leads outside the home. Does not require the path to exist.
HomePath resolve_in_home(const std::filesystem::path& home, std::string_view user_path);

struct FileContents {
  std::string data;
  std::uint64_t size = 0;  // size of the whole file
};

// Reads up to `length` bytes (all when nullopt) from `offset` of a regular file inside the home.
// Opens each component without following symlinks, so a link swapped in after resolution is
// refused rather than followed. Throws PlatformError: not_found when it does not exist, invalid
// when it is not a regular file or offset is past its end, forbidden as resolve_in_home.
FileContents read_home_file(const std::filesystem::path& home, std::string_view path,
                            std::uint64_t offset = 0,
                            std::optional<std::uint64_t> length = std::nullopt);

struct WriteOptions {
  bool append = false;         // else the file is replaced (truncated)
  bool create_parents = true;  // create missing parent directories (0755)
  unsigned mode = 0644;        // for a new file
  // Owner given to new files and directories (needs root); unset: the caller's ids.
  std::optional<uid_t> owner_uid;
  std::optional<gid_t> owner_gid;
};

// Writes `data` to a file inside the home. Errors as read_home_file, plus not_found when a parent
// is missing and create_parents is false, invalid when the path is the home or a directory.
void write_home_file(const std::filesystem::path& home, std::string_view path,
                     std::string_view data, const WriteOptions& options = {});

// ---------------------------------------------------------------------------------------------
// The sandbox

class Sandbox {
 public:
  // Validates the spec, checks that bwrap works (check_sandbox_support), gives the home to the
  // sandbox's uid when the server is root (recursively if its top directory is not theirs yet),
  // creates the sandbox's cgroups where possible and its network namespace (a short-lived bwrap;
  // with network also slirp4netns, which runs until the sandbox is destroyed). Runs no command.
  // Throws PlatformError: invalid for a bad spec (message names the field), not_found when
  // home_dir or a bind source does not exist, unavailable when bwrap is missing or cannot create a
  // sandbox on this host, or (with network) slirp4netns or ip is missing or fails.
  explicit Sandbox(SandboxSpec spec);
  // Kills everything still running (as kill_all); removes the cgroups and lets the network
  // namespace go (stopping slirp4netns) once the last Execution/ShellSession handle is gone.
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const SandboxSpec& spec() const;  // home_dir made canonical, uid and gid filled in
  LimitEnforcement enforcement() const;

  // Starts `command` and returns once it runs. Throws PlatformError: invalid for bad options
  // (message names the option), not_found when working_dir does not exist, conflict when the
  // sandbox is suspended or destroyed, unavailable when the process cannot be started. A command
  // whose CancelToken is already cancelled is not started: it completes as cancelled.
  std::shared_ptr<Execution> start(const Command& command, ExecOptions options = {});
  std::shared_ptr<Execution> start(std::string_view shell_command, ExecOptions options = {}) {
    return start(Command::shell(std::string(shell_command)), std::move(options));
  }
  // start() and wait(). Throws as start(), plus unavailable when bwrap itself failed to set the
  // sandbox up (the message carries bwrap's error).
  ExecResult run(const Command& command, const ExecOptions& options = {});
  ExecResult run(std::string_view shell_command, const ExecOptions& options = {}) {
    return run(Command::shell(std::string(shell_command)), options);
  }

  // A new persistent shell (started lazily by its first command). Throws as start().
  std::unique_ptr<ShellSession> open_shell();

  // Stops every process of the sandbox (freezer cgroup, else SIGSTOP of each process) and
  // refuses new commands until resume(); active-time timeouts pause meanwhile. Idempotent.
  // Throws PlatformError(timeout) if the processes could not all be stopped within 2 s (they are
  // then resumed).
  void suspend();
  // Continues them. Idempotent.
  void resume();
  bool suspended() const;

  // Kills every process of the sandbox, one-shot commands and shells alike, and returns when they
  // are gone. Their results say cancelled. A suspended sandbox is resumed (nothing is left to
  // freeze). New commands may be started afterwards, in the same network namespace.
  void kill_all();

  // read_home_file / write_home_file on this sandbox's home; files and directories written are
  // given to the sandbox's uid.
  FileContents read_file(std::string_view path, std::uint64_t offset = 0,
                         std::optional<std::uint64_t> length = std::nullopt) const;
  void write_file(std::string_view path, std::string_view data,
                  const WriteOptions& options = {}) const;

 private:
  std::shared_ptr<detail::SandboxCore> core_;
};

}  // namespace runagents::platform::local
