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
// Every command (a one-shot Execution, or a PersistentShell's shell) runs in its own bwrap
// container with its own pid namespace and its own session, supervised by a dedicated thread.
// Killing it kills the container's init, which makes the kernel kill every process of that pid
// namespace, so kill, cancel and timeout leave no process behind; when a command finishes, whatever
// it left in the background is killed the same way. Processes that must outlive one command belong
// in a PersistentShell. Nor does a command leave a zombie: the first sandbox makes this process a
// child subreaper, which reaps the container inits bwrap abandons (orphan_reaper.hpp); code
// elsewhere in the process that forks keeps the exit status of its own children.
//
// This layer knows nothing of devbox ids, lifecycle states or storage: the devbox layer keeps
// those and uses a Sandbox for what runs. Errors are thrown as PlatformError with a message a
// person can act on.
//
// One header per piece, all included here: sandbox_spec.hpp (SandboxSpec, ResourceLimits),
// command.hpp (Command, CommandOptions, ExecOptions, ExecResult), execution.hpp (Execution),
// persistent_shell.hpp (PersistentShell), home_files.hpp (files confined to the home).
//
// Commands are stopped by the platform's one cancel signal, ExecCancel (platform/cancel.hpp), given
// as CommandOptions::cancel; the supervisors poll its fd().
//
// Thread-safety: Sandbox, Execution, PersistentShell and ExecCancel are safe for concurrent use
// from multiple threads. Callbacks (ExecOptions::on_line) run on the supervising thread of their
// command; they must return quickly and must not call kill() or wait() of their own command (use
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "platform/error.hpp"
#include "platform/local/sandbox/command.hpp"
#include "platform/local/sandbox/execution.hpp"
#include "platform/local/sandbox/home_files.hpp"
#include "platform/local/sandbox/persistent_shell.hpp"
#include "platform/local/sandbox/port_forward.hpp"
#include "platform/local/sandbox/sandbox_spec.hpp"

namespace runagents::platform::local {

namespace detail {
struct SandboxCore;
}  // namespace detail

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

// What check_network_support() found: whether sandboxes with network (SandboxSpec::network,
// a devbox's network: true) can be made here. Sandboxes without network need none of it.
struct NetworkSupport {
  bool usable = false;
  std::string slirp4netns_path;     // "" when not found
  std::string slirp4netns_version;  // the first line of its --version
  std::string message;              // when unusable: what is missing and what to install
};

// Looks for what a sandbox with network needs: slirp4netns (sandbox_network.hpp; found as
// Sandbox finds it: $RUNAGENTS_SLIRP4NETNS, else PATH, else /usr/bin), /dev/net/tun readable and
// writable, and ip (iproute2). Starts no sandbox; never throws.
NetworkSupport check_network_support();

// What a sandbox has used since it was made (Sandbox::usage). A figure is nullopt when this host
// cannot measure it; `note` then says why.
struct SandboxUsage {
  std::optional<std::uint64_t> cpu_time_ns;        // every process it ran (cpuacct cgroup)
  std::optional<std::uint64_t> peak_memory_bytes;  // memory cgroup high-water mark
  std::optional<std::uint64_t> memory_bytes;       // memory cgroup now
  std::string note;
};

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
  // namespace go (stopping slirp4netns) once the last Execution/PersistentShell handle is gone.
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const SandboxSpec& spec() const;  // home_dir made canonical, uid and gid filled in
  LimitEnforcement enforcement() const;

  // Starts `command` and returns once it runs. Throws PlatformError: invalid for bad options
  // (message names the option), not_found when working_dir does not exist, conflict when the
  // sandbox is suspended or destroyed, unavailable when the process cannot be started. A command
  // whose cancel signal has already fired is not started: it completes as cancelled.
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
  std::unique_ptr<PersistentShell> open_shell();

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

  // Resource use so far, from the sandbox's cgroups. Never throws.
  SandboxUsage usage() const;

  // Forwards a port of the host's 127.0.0.1 (PortForward::host_port, picked by the kernel) to
  // `port` on 127.0.0.1 in this sandbox's network namespace (port_forward.hpp). Works with and
  // without SandboxSpec::network. Nothing needs to listen yet: each connection is made when one
  // arrives. Throws PlatformError: invalid for a port outside 1..65535, conflict when the sandbox
  // is destroyed, unavailable when the host socket cannot be made. `on_connection` (optional)
  // is called on the forward's thread for each connection made inside; it must return quickly.
  std::unique_ptr<PortForward> forward_port(int port, std::function<void()> on_connection = {});

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
