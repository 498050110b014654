// The local DevboxService's class, shared by the files that implement it (internal to this
// folder; the rest of the tree opens it through devbox_service.hpp). One class, one file per
// concern:
//   devbox_service.cpp       construction, the devbox view, files, suspend/resume, shutdown
//   devbox_provisioning.cpp  create: checks, the record, the home, launch commands
//   devbox_executions.cpp    commands: start, record, wait, kill, stdin, logs
//   devbox_usage.cpp         usage: elapsed and active time, cgroup figures, disk
//   devbox_snapshots.cpp     snapshots: take, list, delete, copy into a new home
//   devbox_tunnels.cpp       tunnels: the view, port forwards, removal
//   devbox_blueprints.cpp    blueprints: create, the build, list, logs, delete, copy into a home
// It is built from devbox_rows.* (SQLite), devbox_runtimes.* (live sandboxes of this process),
// devbox_reaper.* (the idle policy) and helper_threads.* (finishers and copies).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "platform/common/concurrency_limit.hpp"
#include "platform/local/devboxes/blueprint_rows.hpp"
#include "platform/local/devboxes/devbox_reaper.hpp"
#include "platform/local/devboxes/devbox_rows.hpp"
#include "platform/local/devboxes/devbox_runtimes.hpp"
#include "platform/local/devboxes/devbox_secrets.hpp"
#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/local/devboxes/helper_threads.hpp"
#include "platform/local/devboxes/source_files.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/objects.hpp"

namespace runagents::platform::local {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Bytes a tree takes on disk (allocated blocks, as du counts them: each hard-linked file once,
// links not followed). Entries that vanish during the walk are skipped.
std::uint64_t disk_usage(const fs::path& root);

// Throws invalid for a code mount the local sandboxes cannot make (names, git_ref, URL, a
// network URL without network), with what to do.
void check_code_mounts(const DevboxCreateRequest& req);

class LocalDevboxService final : public DevboxService {
 public:
  explicit LocalDevboxService(const LocalDevboxOptions& options);
  ~LocalDevboxService() override;
  Devbox create(const DevboxCreateRequest& req, const DevboxProgress& progress) override;
  Devbox create_and_await_running(const DevboxCreateRequest& req,
                                  std::chrono::milliseconds wait) override;
  Devbox get(const std::string& id) override;
  DevboxPage list(const DevboxListRequest& req) override;
  Devbox update(const std::string& id, const DevboxUpdateRequest& req) override;
  Devbox wait_for_status(const std::string& id, const std::vector<std::string>& statuses,
                         std::chrono::milliseconds timeout) override;
  DevboxExecution execute(const ExecRequest& req) override;
  DevboxExecution execute_async(const ExecRequest& req) override;
  DevboxExecution execution(const std::string& devbox_id, const std::string& exec_id) override;
  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& exec_id,
                                     const std::vector<std::string>& statuses,
                                     std::chrono::milliseconds timeout) override;
  DevboxExecution kill_execution(const std::string& devbox_id, const std::string& exec_id) override;
  void send_stdin(const std::string& devbox_id, const std::string& exec_id,
                  const StdinInput& input) override;
  std::vector<DevboxLog> logs(const std::string& devbox_id, const DevboxLogsRequest& req) override;
  DevboxUsage usage(const std::string& devbox_id) override;
  DevboxFile read_file(const std::string& devbox_id, const std::string& path, std::uint64_t offset,
                       std::optional<std::uint64_t> length) override;
  void write_file(const std::string& devbox_id, const std::string& path,
                  std::string_view data) override;
  Devbox suspend(const std::string& id) override;
  Devbox resume(const std::string& id) override;
  void keep_alive(const std::string& id) override;
  Devbox shutdown(const std::string& id) override;
  DevboxTunnelView enable_tunnel(const std::string& devbox_id,
                                 const std::string& auth_mode) override;
  DevboxTunnel create_tunnel(const std::string& devbox_id, int port) override;
  void remove_tunnel(const std::string& devbox_id, int port) override;
  DevboxSnapshot snapshot(const std::string& devbox_id, const SnapshotRequest& req) override;
  DevboxSnapshot snapshot_status(const std::string& snapshot_id) override;
  SnapshotPage list_snapshots(const SnapshotListRequest& req) override;
  void delete_snapshot(const std::string& snapshot_id) override;
  std::optional<DevboxActivity> activity() override;
  Blueprint create_blueprint(const BlueprintParameters& params) override;
  Blueprint get_blueprint(const std::string& id) override;
  BlueprintPage list_blueprints(const BlueprintListRequest& req) override;
  std::vector<BlueprintLog> blueprint_logs(const std::string& id) override;
  Blueprint delete_blueprint(const std::string& id) override;

  // The secrets of its devboxes (RedactingDevboxes hides their values).
  std::shared_ptr<DevboxSecrets> secrets() const { return secrets_; }

 private:
  // A devbox recorded (status provisioning) and what provisioning it needs.
  struct NewDevbox {
    Devbox devbox;
    ResourceLimits limits;
    std::string from_snapshot;                        // "" = an empty home
    std::string from_blueprint;                       // ditto
    std::shared_ptr<const SourceFiles> source_files;  // what to copy of request.source
    std::map<std::string, std::string> environment;   // environment_variables and secrets
    // Registered in provisioning_ from the moment the devbox is recorded until provision() ends:
    // shutdown() kills the launch command through it (it must not wait for it).
    std::shared_ptr<ExecCancel> cancel;
  };

  // Checks the request and records the devbox (provisioning). Throws what create() throws
  // before the devbox exists.
  NewDevbox begin_create(const DevboxCreateRequest& req);

  // Fills the home, opens the sandbox and runs the launch commands; then the devbox is running.
  // On failure it is left in status failure and PlatformError is thrown (conflict for a launch
  // command that failed, naming it and its output).
  void provision(const NewDevbox& nd, const DevboxCreateRequest& req,
                 const std::function<void(const std::string&)>& say);

  // Whether shutdown() has begun on a devbox that provisions in this process.
  bool shutting_down(const std::string& id);
  static PlatformError shut_down_while_provisioned(const std::string& id);

  // Creates the devbox directories and opens the data dir's database.
  static DevboxRows open_rows(const LocalDevboxOptions& options);
  fs::path home_of(const std::string& id) const;
  fs::path snapshot_dir(const std::string& id) const;
  fs::path snapshot_home(const std::string& id) const;

  // The blueprint a create request names (blueprint_id or blueprint_name), built. Throws
  // not_found (unknown, deleted), conflict (not built).
  Blueprint built_blueprint(const std::string& id, const std::string& name);
  fs::path blueprint_dir(const std::string& id) const;
  // Copies the blueprint's home to `home`. Throws not_found when it was deleted meanwhile.
  void copy_blueprint(const std::string& blueprint_id, const fs::path& home);
  // Builds a recorded blueprint (on a helper thread); its status and log say how it ended.
  void build_blueprint(const Blueprint& bp, const BlueprintParameters& params);
  // Writes the object of an object mount into `home` (before its sandbox opens).
  void mount_object(const fs::path& home, const DevboxObjectMount& mount);
  // The data dir's storage objects (build contexts, object mounts), opened on first use.
  ObjectService& objects();

  // Copies the snapshot's home to `home`; delete_snapshot waits for the copy (refuses meanwhile).
  // Throws not_found when the snapshot was deleted since the devbox was recorded.
  void copy_snapshot(const std::string& snapshot_id, const fs::path& home);

  // The devbox's tunnel view, made on first use. Call with rt.tunnel_mu held.
  static DevboxTunnelView enabled_tunnel(Runtime& rt);
  static DevboxTunnel tunnel_of(const std::string& devbox_id, const PortForward& forward);

  // `d` with the tunnel and open ports this process holds for it.
  Devbox with_tunnels(Devbox d);
  Devbox require_status(const std::string& id, const std::vector<std::string>& allowed,
                        const std::string& what);
  // Starts a command. Throws as execute() does (executions_limit_reached() when the cap of
  // commands running at once is reached).
  std::pair<std::string, std::shared_ptr<LiveExecution>> start(const ExecRequest& req, bool sync);
  // The refusal of a command beyond options_.max_executions: the limit, how many run, what to do.
  PlatformError executions_limit_reached() const;

  // Stores the completed execution's result (once) and returns its view.
  DevboxExecution record(const std::string& id, LiveExecution& live);
  Devbox shutdown_with(const std::string& id, const std::string& reason);

  LocalDevboxOptions options_;
  DevboxRows rows_;
  std::shared_ptr<DevboxSecrets> secrets_;
  DevboxRuntimes runtimes_;
  HelperThreads helpers_;
  // Commands running across every devbox: a slot is held from start() until the execution is
  // recorded (LiveExecution::slot). options_.max_executions (0: none) is its maximum.
  common::ConcurrencyLimit executions_;
  std::atomic<bool> closing_{false};
  // The devboxes provisioning in this process: the token that kills their launch command.
  struct Provisioning {
    std::shared_ptr<ExecCancel> cancel;
    bool shutting_down = false;
  };
  std::mutex provisioning_mu_;
  std::map<std::string, Provisioning> provisioning_;
  std::mutex snapshot_mu_;              // orders delete_snapshot against copies out of one
  std::map<std::string, int> copying_;  // snapshot id -> copies out of it running here
  BlueprintRows blueprints_;
  std::mutex objects_mu_;
  std::shared_ptr<ObjectService> objects_;  // see objects()
  std::unique_ptr<DevboxReaper> reaper_;    // last: stopped first
};

}  // namespace runagents::platform::local
