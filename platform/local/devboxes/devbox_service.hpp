// Local devboxes: DevboxService (platform/devboxes.hpp) over bubblewrap sandboxes.
//
// Each devbox is a Sandbox (platform/local/sandbox/sandbox.hpp) whose home is
// <data_dir>/devboxes/<id>/home; snapshots copy a home to <data_dir>/devbox_snapshots/<id>/home
// and outlive their devbox. State (devboxes, executions, snapshots, and each devbox's log) lives in
// the platform's SQLite database (<data_dir>/platform.db, migrations 2 and 5), so a devbox survives
// a restart of the server: its processes do not (they die with the server), its home and status
// do, and executions that were running when their server stopped are reported completed with
// exit_status -1 and a note saying so.
//
// Several server processes may share a data dir; each runs the commands it started. An execution
// started by another live process is seen through the database (status, and output once it
// completed) but can only be killed by that process.
//
// A reaper thread applies the idle policy: a running devbox with no activity (exec, file access,
// keep_alive) and no running command for launch_parameters.keep_alive_time_seconds is shut down
// (shutdown_reason "idle") or suspended, as launch_parameters.on_idle says.
//
// The service's class is local_devbox_service.hpp (internal to this folder), implemented one
// concern per file (devbox_service.cpp, devbox_provisioning.cpp, devbox_executions.cpp,
// devbox_usage.cpp, devbox_snapshots.cpp, devbox_tunnels.cpp). It is built from three parts in
// this folder: devbox_rows.* (the SQLite rows of devboxes, executions and snapshots),
// devbox_runtimes.* (the live sandboxes, shells and executions of this process) and
// devbox_reaper.* (the idle policy's thread); helper_threads.* runs async finishers and snapshot
// copies.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "platform/devboxes.hpp"

namespace runagents::platform::local {

struct LocalDevboxOptions {
  std::filesystem::path data_dir;  // created (0700) if missing
  std::string bwrap_path;          // empty: as the sandbox engine finds it
  std::chrono::milliseconds reaper_interval{1000};
  // Host ids sandboxes run as (see SandboxSpec::uid); unset: the engine's default.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool use_cgroups = true;
  // Most commands running at once across every devbox of this service (sync and async
  // devbox_exec, named-shell commands): one more is refused with PlatformError(limit_reached),
  // and nothing is recorded of it. 0: no limit. (--max-devbox-executions)
  std::size_t max_executions = 0;
};

// Opens the devboxes of `options.data_dir`: creates the directories, migrates the database and
// marks executions lost by a previous server as failed. Throws PlatformError(unavailable) when
// the data dir or the database cannot be used. Sandboxes themselves are checked on first use
// (create), so a host without bwrap can still list devboxes and snapshots.
std::shared_ptr<DevboxService> open_local_devboxes(const LocalDevboxOptions& options);

}  // namespace runagents::platform::local
