// The local devboxes' rows: reading and writing the devboxes, devbox_executions,
// devbox_snapshots (migration 2) and devbox_logs (migration 5) tables of the platform database.
// Status transitions and executions write their log lines here as they are recorded. Nothing here
// runs a command; what runs is in devbox_runtimes.hpp. Internal to platform/local.
//
// Errors are PlatformError: not_found (with a hint naming the tool action that lists them) for a
// devbox, execution or snapshot that is not there, and the Database's errors otherwise.
//
// Thread-safety: safe for concurrent use from multiple threads (the Database orders statements;
// transition() is one transaction).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "platform/devboxes.hpp"
#include "platform/local/sandbox/command.hpp"
#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

// Unix epoch milliseconds now.
std::int64_t now_ms();

// A log line (the fields the caller has; exit_code and shell_name set afterwards).
DevboxLog log_line(std::int64_t timestamp_ms, std::string source, std::string level,
                   std::string message, std::string cmd = {}, std::string cmd_id = {});

// "pid:starttime" of a process: identifies the server that runs an execution, so a later server
// can tell a live owner from a dead one (pids are reused, start times are not).
std::string process_token(pid_t pid);
// Whether the process a process_token() names still runs.
bool process_alive(const std::string& token);

// The "devbox ... not found" message, with where to list the devboxes.
std::string not_found_devbox(const std::string& id);

// What runtime() needs of a stored devbox to open its sandbox again.
struct StoredLaunch {
  DevboxLaunchParameters launch_parameters;
  std::map<std::string, std::string> environment;
  std::string status;
};

// A running devbox as the reaper sees it.
struct RunningDevbox {
  std::string id;
  DevboxLaunchParameters launch_parameters;
  std::int64_t last_active_ms = 0;
};

class DevboxRows {
 public:
  // `owner` is this process's process_token(), written on the executions it starts.
  DevboxRows(std::shared_ptr<Database> db, std::string owner);

  // Devboxes.
  void insert(const Devbox& d, const std::map<std::string, std::string>& environment);
  Devbox get(const std::string& id);
  DevboxPage list(const DevboxListRequest& req);
  // Sets the name and/or metadata the request has, in one transaction. Throws not_found.
  void update(const std::string& id, const DevboxUpdateRequest& req);
  StoredLaunch launch(const std::string& id);
  std::vector<RunningDevbox> running();
  // How many devboxes are in status running (every process on the data dir).
  std::size_t count_running();
  // Appends `status` to the devbox's transitions and sets it (end time and reason for shutdown
  // and failure), in one transaction.
  void transition(const std::string& id, const std::string& status, const std::string& reason = {});
  // What the devbox had used when it was shut down (its measured figures; {} until then).
  void set_final_usage(const std::string& id, const nlohmann::json& usage);
  nlohmann::json final_usage(const std::string& id);
  // Marks activity now (the idle clock starts again).
  void touch(const std::string& id);

  // Executions.
  void insert_execution(const std::string& id, const ExecRequest& req, std::int64_t started_ms);
  void delete_execution(const std::string& id);
  void set_execution_status(const std::string& id, ExecStatus status);
  // `output_file`: the home-relative prefix its output files were written under, "" for none.
  void complete_execution(const std::string& id, const ExecResult& result, const std::string& note,
                          const std::string& output_file);
  DevboxExecution execution(const std::string& devbox_id, const std::string& exec_id);
  // Executions lost with a previous server are reported failed, not left "running" forever.
  void fail_lost_executions();

  // Logs: appends a line (dropping the devbox's oldest beyond kLogsKept); reads them oldest
  // first.
  static constexpr int kLogsKept = 1000;
  void log(const std::string& devbox_id, const DevboxLog& line);
  std::vector<DevboxLog> logs(const std::string& devbox_id, const DevboxLogsRequest& req);

  // Snapshots.
  void insert_snapshot(const DevboxSnapshot& s);
  void snapshot_complete(const std::string& id, std::int64_t bytes,
                         const std::vector<std::string>& skipped);
  void snapshot_failed(const std::string& id, const std::string& message);
  DevboxSnapshot snapshot(const std::string& snapshot_id);
  // Marks a complete or failed snapshot deleted; false when it is not (any more) either.
  bool snapshot_deleted(const std::string& id);
  // The devboxes being created (status provisioning) from the snapshot.
  std::vector<std::string> provisioning_from(const std::string& snapshot_id);
  SnapshotPage list_snapshots(const SnapshotListRequest& req);

  // The database these rows are in (blueprint_rows.hpp shares it).
  const std::shared_ptr<Database>& database() const { return db_; }
  const std::string& owner() const { return owner_; }

 private:
  std::shared_ptr<Database> db_;
  const std::string owner_;
};

}  // namespace runagents::platform::local
