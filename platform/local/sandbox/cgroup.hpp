// Per-sandbox cgroup v1 directories (pids, memory, freezer; cpuacct for accounting only).
// Internal to platform/local.
//
// A sandbox's cgroups live under the server's own cgroup of each hierarchy, in
// runagents/<sandbox id>, so limits set on the server still hold its sandboxes. Each controller is
// used only if its hierarchy is mounted and the directory can be created and configured; the
// others fall back (see ResourceLimits). Methods are thread-safe (they only touch the cgroupfs).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/sandbox/sandbox_spec.hpp"

namespace runagents::platform::local::detail {

class SandboxCgroups {
 public:
  // Never throws: a controller that cannot be set up is left out and note() says why.
  SandboxCgroups(const std::string& sandbox_id, const ResourceLimits& limits, bool enabled);
  // Kills what is left in the cgroups and removes their directories.
  ~SandboxCgroups();
  SandboxCgroups(const SandboxCgroups&) = delete;
  SandboxCgroups& operator=(const SandboxCgroups&) = delete;

  bool has_pids() const { return !pids_dir_.empty(); }
  bool has_memory() const { return !memory_dir_.empty(); }
  bool has_freezer() const { return !freezer_dir_.empty(); }
  const std::string& note() const { return note_; }

  // The `tasks` files a new process of the sandbox joins by writing "0" (itself) to each. Forked
  // from the server it has one thread, so that moves the whole process. Moving the current thread
  // skips the kernel's global threadgroup lock that a write to cgroup.procs takes: after an idle
  // spell, taking that lock waits for an RCU grace period (5-9 ms per command on a 2-core VM, most
  // of a fresh-shell exec's cost), while this write takes about 0.07 ms.
  const std::vector<std::string>& join_files() const { return join_files_; }

  // Writes FROZEN and waits until the kernel reports FROZEN; returns false (and thaws) if that
  // does not happen within `timeout_ms`.
  bool freeze(int timeout_ms);
  void thaw();

  // Processes in the sandbox's cgroups (empty without pids and freezer).
  std::vector<pid_t> processes() const;
  // SIGKILLs every process in the cgroups until none is left (bounded to ~2 s), thawing them so
  // that they can die.
  void kill_all();
  // Moves `pids` (already sent SIGKILL) out of the sandbox's freezer cgroup if it is frozen:
  // a frozen process does not act on SIGKILL until it thaws, and the rest must stay frozen.
  void release(const std::vector<pid_t>& pids);
  // The memory cgroup's oom_kill counter (0 without memory cgroup).
  std::uint64_t oom_kills() const;

  // Accounting. CPU time of every process the sandbox ran (cpuacct.usage, nanoseconds) and the
  // memory cgroup's peak and current use (bytes); nullopt when that cgroup is missing, with
  // usage_note() saying why.
  std::optional<std::uint64_t> cpu_time_ns() const;
  std::optional<std::uint64_t> peak_memory_bytes() const;
  std::optional<std::uint64_t> memory_bytes() const;
  const std::string& usage_note() const { return usage_note_; }

 private:
  std::string pids_dir_;
  std::string memory_dir_;
  std::string freezer_dir_;
  std::string freezer_parent_;  // thawed, where killed processes go to die
  std::string cpuacct_dir_;
  std::vector<std::string> join_files_;
  std::string note_;
  std::string usage_note_;
};

}  // namespace runagents::platform::local::detail
