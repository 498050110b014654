// What a sandbox is made from: its resource limits, read-only binds and specification
// (SandboxSpec), and which mechanism enforces each limit on this host. Plain values; Sandbox
// (sandbox.hpp) takes a SandboxSpec and validates it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace runagents::platform::local {

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

}  // namespace runagents::platform::local
