#include "platform/local/devboxes/devbox_rows.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "platform/error.hpp"
#include "platform/local/sandbox/home_files.hpp"
#include "platform/local/sandbox/process_supervisor.hpp"
#include "platform/local/store/row_reader.hpp"
#include "platform/wire/devbox_json.hpp"

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;

json to_json_map(const std::map<std::string, std::string>& m) {
  return json(m);
}

std::map<std::string, std::string> map_from_text(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = json::parse(text, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

DevboxLaunchParameters launch_from_json(const json& launch_parameters) {
  return devbox_from_wire({{"launch_parameters", launch_parameters}}).launch_parameters;
}

const char* kDevboxColumns =
    "id, name, status, create_time_ms, end_time_ms, snapshot_id, failure_reason, "
    "shutdown_reason, metadata, launch_parameters, state_transitions, blueprint_id";

Devbox devbox_from_row(const Row& r) {
  Devbox d;
  RowReader(r).read(d.id, d.name, d.status, d.create_time_ms, d.end_time_ms, d.snapshot_id,
                    d.failure_reason, d.shutdown_reason);
  d.metadata = map_from_text(r.text(8));
  json wire = {{"launch_parameters", json_column(r, 9)}, {"state_transitions", json_column(r, 10)}};
  Devbox parsed = devbox_from_wire(wire);
  d.launch_parameters = parsed.launch_parameters;
  d.state_transitions = parsed.state_transitions;
  d.blueprint_id = r.text(11);
  return d;
}

const char* kExecColumns =
    "id, devbox_id, command, shell_name, status, exit_status, stdout, stderr, stdout_truncated, "
    "stderr_truncated, timed_out, killed, note, duration_ms, owner, output_files";

DevboxExecution execution_from_row(const Row& r) {
  DevboxExecution e;
  RowReader(r).read(e.execution_id, e.devbox_id, e.command, e.shell_name, e.status, e.exit_status,
                    e.stdout_text, e.stderr_text, e.stdout_truncated, e.stderr_truncated,
                    e.timed_out, e.killed, e.note, e.duration_ms);
  const json files = json_column(r, 15);
  for (auto [name, file] : {std::pair{"stdout", &e.stdout_file}, {"stderr", &e.stderr_file}}) {
    if (!files.contains(name)) continue;
    const json& f = files[name];
    *file = DevboxOutputFile{f.value("path", ""), f.value("total_bytes", std::uint64_t{0}),
                             f.value("kept_bytes", std::uint64_t{0}), f.value("error", "")};
  }
  return e;
}

const char* kSnapshotColumns =
    "id, name, create_time_ms, metadata, source_devbox_id, commit_message, size_bytes, status, "
    "error_message, skipped";

DevboxSnapshot snapshot_from_row(const Row& r) {
  DevboxSnapshot s;
  RowReader(r).read(s.id, s.name, s.create_time_ms);
  s.metadata = map_from_text(r.text(3));
  RowReader(r, 4).read(s.source_devbox_id, s.commit_message, s.size_bytes, s.status,
                       s.error_message);
  auto skipped = json_column(r, 9);
  if (skipped.is_array())
    for (const auto& p : skipped)
      if (p.is_string()) s.skipped.push_back(p.get<std::string>());
  return s;
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

DevboxLog log_line(std::int64_t timestamp_ms, std::string source, std::string level,
                   std::string message, std::string cmd, std::string cmd_id) {
  DevboxLog l;
  l.timestamp_ms = timestamp_ms;
  l.source = std::move(source);
  l.level = std::move(level);
  l.message = std::move(message);
  l.cmd = std::move(cmd);
  l.cmd_id = std::move(cmd_id);
  return l;
}

std::string process_token(pid_t pid) {
  // read_stat reads with plain syscalls: an exiting process (ESRCH) is simply gone.
  const auto stat = detail::read_stat(pid);
  return std::to_string(pid) + ":" + (stat ? std::to_string(stat->start_time) : std::string());
}

bool process_alive(const std::string& token) {
  auto colon = token.find(':');
  if (colon == std::string::npos) return false;
  pid_t pid = static_cast<pid_t>(std::atoll(token.substr(0, colon).c_str()));
  if (pid <= 0) return false;
  return process_token(pid) == token;
}

std::string not_found_devbox(const std::string& id) {
  return "devbox " + id + " not found; manage_devbox with action list shows the devboxes";
}

DevboxRows::DevboxRows(std::shared_ptr<Database> db, std::string owner)
    : db_(std::move(db)), owner_(std::move(owner)) {}

void DevboxRows::insert(const Devbox& d, const std::map<std::string, std::string>& environment) {
  const json wire = devbox_to_wire(d);
  db_->execute(
      "INSERT INTO devboxes (id, name, status, create_time_ms, snapshot_id, metadata, "
      "launch_parameters, environment, state_transitions, last_active_ms, blueprint_id) VALUES "
      "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?4, ?10)",
      {d.id, d.name, d.status, d.create_time_ms, d.snapshot_id, wire["metadata"].dump(),
       wire["launch_parameters"].dump(), to_json_map(environment).dump(),
       wire["state_transitions"].dump(), d.blueprint_id});
  log(d.id, log_line(d.create_time_ms, "lifecycle", "info", "status " + d.status));
}

Devbox DevboxRows::get(const std::string& id) {
  auto rows =
      db_->query(std::string("SELECT ") + kDevboxColumns + " FROM devboxes WHERE id=?1", {id});
  if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_devbox(id));
  return devbox_from_row(rows[0]);
}

DevboxPage DevboxRows::list(const DevboxListRequest& req) {
  const int limit = std::clamp(req.limit, 1, 5000);
  std::string sql = std::string("SELECT ") + kDevboxColumns + " FROM devboxes WHERE 1=1";
  std::vector<SqlValue> params;
  if (!req.status.empty()) {
    params.emplace_back(req.status);
    sql += " AND status=?" + std::to_string(params.size());
  }
  std::optional<Devbox> after;
  if (!req.starting_after.empty()) after = get(req.starting_after);
  DevboxPage page;
  page.has_more = read_page(*db_, sql, params, after ? &*after : nullptr, limit, devbox_from_row,
                            page.devboxes);
  return page;
}

void DevboxRows::update(const std::string& id, const DevboxUpdateRequest& req) {
  db_->transaction([&] {
    get(id);  // not_found
    if (req.name) db_->execute("UPDATE devboxes SET name=?2 WHERE id=?1", {id, *req.name});
    if (req.metadata)
      db_->execute("UPDATE devboxes SET metadata=?2 WHERE id=?1",
                   {id, to_json_map(*req.metadata).dump()});
  });
}

StoredLaunch DevboxRows::launch(const std::string& id) {
  auto rows =
      db_->query("SELECT launch_parameters, environment, status FROM devboxes WHERE id=?1", {id});
  if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_devbox(id));
  return {launch_from_json(json::parse(rows[0].text(0), nullptr, false)),
          map_from_text(rows[0].text(1)), rows[0].text(2)};
}

std::vector<RunningDevbox> DevboxRows::running() {
  std::vector<RunningDevbox> out;
  for (const auto& r :
       db_->query("SELECT id, launch_parameters, last_active_ms FROM devboxes WHERE "
                  "status='running'"))
    out.push_back(
        {r.text(0), launch_from_json(json::parse(r.text(1), nullptr, false)), r.integer(2)});
  return out;
}

std::size_t DevboxRows::count_running() {
  auto rows = db_->query("SELECT COUNT(*) FROM devboxes WHERE status='running'");
  return rows.empty() ? 0 : static_cast<std::size_t>(rows[0].integer(0));
}

void DevboxRows::transition(const std::string& id, const std::string& status,
                            const std::string& reason) {
  db_->transaction([&] {
    auto d = get(id);
    d.state_transitions.push_back({status, now_ms(), status == "failure" ? reason : ""});
    json st = devbox_to_wire(d)["state_transitions"];
    const std::int64_t end = (status == "shutdown" || status == "failure") ? now_ms() : 0;
    db_->execute(
        "UPDATE devboxes SET status=?2, state_transitions=?3, end_time_ms=?4, "
        "failure_reason=?5, shutdown_reason=?6 WHERE id=?1",
        {id, status, st.dump(), end, status == "failure" ? reason : std::string(),
         status == "shutdown" ? reason : std::string()});
    log(id, log_line(d.state_transitions.back().transition_time_ms, "lifecycle",
                     status == "failure" ? "error" : "info",
                     "status " + status + (reason.empty() ? "" : " (" + reason + ")")));
  });
}

void DevboxRows::set_final_usage(const std::string& id, const json& usage) {
  db_->execute("UPDATE devboxes SET final_usage=?2 WHERE id=?1", {id, usage.dump()});
}

json DevboxRows::final_usage(const std::string& id) {
  auto rows = db_->query("SELECT final_usage FROM devboxes WHERE id=?1", {id});
  if (rows.empty()) return json::object();
  return json_column_or(rows[0], 0, json::object());
}

void DevboxRows::touch(const std::string& id) {
  db_->execute("UPDATE devboxes SET last_active_ms=?2 WHERE id=?1", {id, now_ms()});
}

void DevboxRows::insert_execution(const std::string& id, const ExecRequest& req,
                                  std::int64_t started_ms) {
  db_->execute(
      "INSERT INTO devbox_executions (id, devbox_id, command, shell_name, status, "
      "create_time_ms, owner) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)",
      {id, req.devbox_id, req.command, req.shell_name, started_ms, owner_});
  DevboxLog line = log_line(started_ms, "exec", "info", "started", req.command, id);
  line.shell_name = req.shell_name;
  log(req.devbox_id, line);
}

void DevboxRows::delete_execution(const std::string& id) {
  db_->execute("DELETE FROM devbox_executions WHERE id=?1", {id});
}

void DevboxRows::set_execution_status(const std::string& id, ExecStatus status) {
  db_->execute("UPDATE devbox_executions SET status=?2 WHERE id=?1 AND status != 'completed'",
               {id, std::string(to_string(status))});
}

void DevboxRows::complete_execution(const std::string& id, const ExecResult& result,
                                    const std::string& note, const std::string& output_file) {
  json files = json::object();
  if (!output_file.empty())
    for (auto [name, out] : {std::pair{"stdout", &result.out}, {"stderr", &result.err}})
      files[name] = {{"path", std::string(kSandboxHome) + "/" + output_file + "." + name},
                     {"total_bytes", out->total_bytes},
                     {"kept_bytes", out->file_bytes},
                     {"error", out->file_error}};
  db_->execute(
      "UPDATE devbox_executions SET status='completed', exit_status=?2, stdout=?3, "
      "stderr=?4, stdout_truncated=?5, stderr_truncated=?6, timed_out=?7, killed=?8, "
      "note=?9, duration_ms=?10, output_files=?11 WHERE id=?1",
      {id, std::int64_t{result.exit_code}, result.out.data, result.err.data,
       std::int64_t{result.out.truncated}, std::int64_t{result.err.truncated},
       std::int64_t{result.timed_out}, std::int64_t{result.cancelled}, note,
       std::int64_t{result.duration_ms}, files.dump()});
  auto rows =
      db_->query("SELECT devbox_id, command, shell_name FROM devbox_executions WHERE id=?1", {id});
  if (rows.empty()) return;
  DevboxLog line = log_line(
      now_ms(), "exec", result.exit_code == 0 ? "info" : "warn",
      "exited with " + std::to_string(result.exit_code) + (note.empty() ? "" : " (" + note + ")"),
      rows[0].text(1), id);
  line.exit_code = result.exit_code;
  line.shell_name = rows[0].text(2);
  log(rows[0].text(0), line);
}

DevboxExecution DevboxRows::execution(const std::string& devbox_id, const std::string& exec_id) {
  auto rows = db_->query(std::string("SELECT ") + kExecColumns +
                             " FROM devbox_executions WHERE id=?1 AND devbox_id=?2",
                         {exec_id, devbox_id});
  if (rows.empty())
    throw PlatformError(ErrorKind::not_found,
                        "execution " + exec_id + " of devbox " + devbox_id +
                            " not found; devbox_exec with async=true returns an execution_id");
  return execution_from_row(rows[0]);
}

void DevboxRows::fail_lost_executions() {
  for (const auto& r :
       db_->query("SELECT id, owner, devbox_id, command, shell_name FROM devbox_executions "
                  "WHERE status != 'completed'")) {
    if (process_alive(r.text(1))) continue;
    const std::string note =
        "the server running this execution stopped before it finished; its processes were "
        "killed with it";
    if (db_->execute("UPDATE devbox_executions SET status='completed', exit_status=-1, note=?2 "
                     "WHERE id=?1 AND status != 'completed'",
                     {r.text(0), note}) == 0)
      continue;
    DevboxLog line = log_line(now_ms(), "exec", "error", "lost: " + note, r.text(3), r.text(0));
    line.exit_code = -1;
    line.shell_name = r.text(4);
    log(r.text(2), line);
  }
}

void DevboxRows::log(const std::string& devbox_id, const DevboxLog& line) {
  db_->execute(
      "INSERT INTO devbox_logs (devbox_id, timestamp_ms, source, level, message, cmd, cmd_id, "
      "exit_code, shell_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      {devbox_id, line.timestamp_ms, line.source, line.level, line.message, line.cmd, line.cmd_id,
       line.exit_code ? SqlValue(std::int64_t{*line.exit_code}) : SqlValue(nullptr),
       line.shell_name});
  db_->execute(
      "DELETE FROM devbox_logs WHERE devbox_id=?1 AND seq <= (SELECT seq FROM devbox_logs WHERE "
      "devbox_id=?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
      {devbox_id, std::int64_t{kLogsKept}});
}

std::vector<DevboxLog> DevboxRows::logs(const std::string& devbox_id,
                                        const DevboxLogsRequest& req) {
  std::string sql =
      "SELECT timestamp_ms, source, level, message, cmd, cmd_id, exit_code, shell_name FROM "
      "devbox_logs WHERE devbox_id=?1";
  std::vector<SqlValue> params{devbox_id};
  if (!req.execution_id.empty()) {
    params.emplace_back(req.execution_id);
    sql += " AND cmd_id=?" + std::to_string(params.size());
  }
  if (!req.shell_name.empty()) {
    params.emplace_back(req.shell_name);
    sql += " AND shell_name=?" + std::to_string(params.size());
  }
  std::vector<DevboxLog> out;
  for (const auto& r : db_->query(sql + " ORDER BY seq", params)) {
    DevboxLog l;
    RowReader(r).read(l.timestamp_ms, l.source, l.level, l.message, l.cmd, l.cmd_id, l.exit_code,
                      l.shell_name);
    out.push_back(std::move(l));
  }
  return out;
}

void DevboxRows::insert_snapshot(const DevboxSnapshot& s) {
  db_->execute(
      "INSERT INTO devbox_snapshots (id, name, create_time_ms, metadata, source_devbox_id, "
      "commit_message, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
      {s.id, s.name, s.create_time_ms, to_json_map(s.metadata).dump(), s.source_devbox_id,
       s.commit_message, s.status});
}

void DevboxRows::snapshot_complete(const std::string& id, std::int64_t bytes,
                                   const std::vector<std::string>& skipped) {
  db_->execute(
      "UPDATE devbox_snapshots SET status='complete', size_bytes=?2, skipped=?3 WHERE id=?1",
      {id, bytes, json(skipped).dump()});
}

void DevboxRows::snapshot_failed(const std::string& id, const std::string& message) {
  db_->execute("UPDATE devbox_snapshots SET status='error', error_message=?2 WHERE id=?1",
               {id, message});
}

DevboxSnapshot DevboxRows::snapshot(const std::string& snapshot_id) {
  auto rows =
      db_->query(std::string("SELECT ") + kSnapshotColumns + " FROM devbox_snapshots WHERE id=?1",
                 {snapshot_id});
  if (rows.empty())
    throw PlatformError(ErrorKind::not_found,
                        "snapshot " + snapshot_id +
                            " not found; manage_devbox with action list_snapshots shows them");
  return snapshot_from_row(rows[0]);
}

bool DevboxRows::snapshot_deleted(const std::string& id) {
  return db_->execute(
             "UPDATE devbox_snapshots SET status='deleted' WHERE id=?1 AND status IN "
             "('complete', 'error')",
             {id}) > 0;
}

std::vector<std::string> DevboxRows::provisioning_from(const std::string& snapshot_id) {
  std::vector<std::string> ids;
  for (const auto& r : db_->query(
           "SELECT id FROM devboxes WHERE snapshot_id=?1 AND status='provisioning' ORDER BY id",
           {snapshot_id}))
    ids.push_back(r.text(0));
  return ids;
}

SnapshotPage DevboxRows::list_snapshots(const SnapshotListRequest& req) {
  const int limit = std::clamp(req.limit, 1, 5000);
  std::string sql = std::string("SELECT ") + kSnapshotColumns +
                    " FROM devbox_snapshots WHERE status != "
                    "'deleted'";
  std::vector<SqlValue> params;
  if (!req.devbox_id.empty()) {
    params.emplace_back(req.devbox_id);
    sql += " AND source_devbox_id=?1";
  }
  std::optional<DevboxSnapshot> after;
  if (!req.starting_after.empty()) after = snapshot(req.starting_after);
  SnapshotPage page;
  page.has_more = read_page(*db_, sql, params, after ? &*after : nullptr, limit, snapshot_from_row,
                            page.snapshots);
  return page;
}

}  // namespace runagents::platform::local
