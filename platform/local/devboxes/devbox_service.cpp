#include "platform/local/devboxes/devbox_service.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform/local/store/database.hpp"
#include "platform/local/store/identifiers.hpp"
#include "platform/local/store/row_reader.hpp"
#include "platform/wire/devbox_json.hpp"

namespace runagents::platform::local {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "pid:starttime" of this process: identifies the server that runs an execution, so a later
// server can tell a live owner from a dead one (pids are reused, start times are not).
std::string process_token(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  std::string start;
  if (close != std::string::npos) {
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i)
      if (i == 22) start = field;
  }
  return std::to_string(pid) + ":" + start;
}

bool owner_alive(const std::string& token) {
  auto colon = token.find(':');
  if (colon == std::string::npos) return false;
  pid_t pid = static_cast<pid_t>(std::atoll(token.substr(0, colon).c_str()));
  if (pid <= 0) return false;
  return process_token(pid) == token;
}

std::uint64_t memory_for_size(const std::string& size) {
  static const std::map<std::string, std::uint64_t> gib = {
      {"X_SMALL", 1}, {"SMALL", 2}, {"MEDIUM", 4}, {"LARGE", 8}, {"X_LARGE", 16}, {"XX_LARGE", 32}};
  auto it = gib.find(size);
  if (it == gib.end())
    throw PlatformError(ErrorKind::invalid,
                        "resource_size_request \"" + size +
                            "\" is not one of X_SMALL, SMALL, MEDIUM, LARGE, X_LARGE, XX_LARGE, "
                            "CUSTOM_SIZE");
  return it->second << 30;
}

ResourceLimits limits_for(const DevboxResources& r) {
  ResourceLimits l;
  if (r.resource_size_request == "CUSTOM_SIZE") {
    if (r.custom_gb_memory > 0) l.memory_bytes = std::uint64_t(r.custom_gb_memory) << 30;
  } else if (!r.resource_size_request.empty()) {
    l.memory_bytes = memory_for_size(r.resource_size_request);
  } else if (r.custom_gb_memory > 0) {
    l.memory_bytes = std::uint64_t(r.custom_gb_memory) << 30;
  }
  if (r.cpu_seconds) l.cpu_seconds = r.cpu_seconds;
  if (r.max_processes) l.max_processes = r.max_processes;
  if (r.open_files) l.open_files = r.open_files;
  if (r.file_size_mb) l.file_size_bytes = r.file_size_mb << 20;
  l.validate();
  return l;
}

void check_env_name(const std::string& name) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(name, re))
    throw PlatformError(ErrorKind::invalid,
                        "environment_variables: \"" + name +
                            "\" is not a valid variable name (letters, digits and _, not "
                            "starting with a digit)");
}

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

std::string not_found_devbox(const std::string& id) {
  return "devbox " + id + " not found; manage_devbox with action list shows the devboxes";
}

const char* kDevboxColumns =
    "id, name, status, create_time_ms, end_time_ms, snapshot_id, failure_reason, "
    "shutdown_reason, metadata, launch_parameters, state_transitions";

Devbox devbox_from_row(const Row& r) {
  Devbox d;
  RowReader(r).read(d.id, d.name, d.status, d.create_time_ms, d.end_time_ms, d.snapshot_id,
                    d.failure_reason, d.shutdown_reason);
  d.metadata = map_from_text(r.text(8));
  json wire = {{"launch_parameters", json_column(r, 9)}, {"state_transitions", json_column(r, 10)}};
  Devbox parsed = devbox_from_wire(wire);
  d.launch_parameters = parsed.launch_parameters;
  d.state_transitions = parsed.state_transitions;
  return d;
}

const char* kExecColumns =
    "id, devbox_id, command, shell_name, status, exit_status, stdout, stderr, stdout_truncated, "
    "stderr_truncated, timed_out, killed, note, duration_ms, owner";

DevboxExecution execution_from_row(const Row& r) {
  DevboxExecution e;
  RowReader(r).read(e.execution_id, e.devbox_id, e.command, e.shell_name, e.status, e.exit_status,
                    e.stdout_text, e.stderr_text, e.stdout_truncated, e.stderr_truncated,
                    e.timed_out, e.killed, e.note, e.duration_ms);
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

int next_instance() {
  static std::atomic<int> n{0};
  return ++n;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// What runs of one devbox in this process.
struct Runtime {
  std::mutex mu;  // serialises starts against suspend/resume/shutdown
  std::unique_ptr<Sandbox> sandbox;
  std::map<std::string, std::unique_ptr<ShellSession>> shells;
};

struct LiveExecution {
  std::string devbox_id;
  std::shared_ptr<Execution> exec;
  std::shared_ptr<CancelToken> token;
  std::int64_t started_ms = 0;
  bool recorded = false;
};

class LocalDevboxService final : public DevboxService {
 public:
  explicit LocalDevboxService(const LocalDevboxOptions& options)
      : options_(options), owner_(process_token(::getpid())) {
    std::error_code ec;
    fs::create_directories(options_.data_dir / "devboxes", ec);
    fs::create_directories(options_.data_dir / "devbox_snapshots", ec);
    if (ec)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot create the devbox directories under " +
                              options_.data_dir.string() + ": " + ec.message() +
                              "; check the data dir's permissions or pass --data-dir");
    db_ = open_platform_database(options_.data_dir);
    recover();
    reaper_ = std::thread([this] { reap_loop(); });
  }

  ~LocalDevboxService() override {
    {
      std::lock_guard lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    if (reaper_.joinable()) reaper_.join();
    // Kill what still runs (its results are recorded by the finisher threads), then join them.
    std::map<std::string, std::shared_ptr<Runtime>> runtimes;
    {
      std::lock_guard lock(mu_);
      runtimes = runtimes_;
    }
    for (auto& [_, rt] : runtimes) {
      std::lock_guard lock(rt->mu);
      if (rt->sandbox) rt->sandbox->kill_all();
    }
    join_threads(true);
    for (auto& [_, rt] : runtimes) {
      std::lock_guard lock(rt->mu);
      rt->shells.clear();
      rt->sandbox.reset();
    }
  }

  Devbox create(const DevboxCreateRequest& req, const DevboxProgress& progress) override {
    auto say = [&](const std::string& m) {
      if (progress) progress(m);
    };
    if (!req.blueprint_id.empty() || !req.blueprint_name.empty())
      throw PlatformError(
          ErrorKind::invalid,
          "blueprints are container image builds, which the local sandboxes do not have: "
          "create the devbox without blueprint_id/blueprint_name, install what you need with "
          "launch_commands or devbox_exec, then snapshot it and create later devboxes from "
          "snapshot_id (or set RUNLOOP_API_KEY to use Runloop's blueprints)");
    for (const auto& [k, _] : req.environment_variables) check_env_name(k);
    const auto& lp = req.launch_parameters;
    if (lp.on_idle != "shutdown" && lp.on_idle != "suspend")
      throw PlatformError(ErrorKind::invalid, "on_idle must be shutdown or suspend");
    if (lp.keep_alive_time_seconds < 1 || lp.keep_alive_time_seconds > 172800)
      throw PlatformError(ErrorKind::invalid,
                          "keep_alive_time_seconds must be between 1 and 172800");
    const ResourceLimits limits = limits_for(lp.resources);
    DevboxSnapshot from;
    if (!req.snapshot_id.empty()) {
      from = snapshot_status(req.snapshot_id);
      if (from.status != "complete")
        throw PlatformError(ErrorKind::conflict, "snapshot " + from.id + " is " + from.status +
                                                     ", not complete; wait for it (manage_devbox "
                                                     "action list_snapshots) and retry");
    }
    auto support = check_sandbox_support(options_.bwrap_path);
    if (!support.usable) throw PlatformError(ErrorKind::unavailable, support.message);

    Devbox d;
    d.id = new_id("dbx_");
    d.name = req.name;
    d.status = "provisioning";
    d.create_time_ms = now_ms();
    d.snapshot_id = req.snapshot_id;
    d.metadata = req.metadata;
    d.launch_parameters = lp;
    d.state_transitions.push_back({"provisioning", d.create_time_ms, ""});
    const json wire = devbox_to_wire(d);
    db_->execute(
        "INSERT INTO devboxes (id, name, status, create_time_ms, snapshot_id, metadata, "
        "launch_parameters, environment, state_transitions, last_active_ms) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?4)",
        {d.id, d.name, d.status, d.create_time_ms, d.snapshot_id, wire["metadata"].dump(),
         wire["launch_parameters"].dump(), to_json_map(req.environment_variables).dump(),
         wire["state_transitions"].dump()});
    say("provisioning devbox " + d.id);
    try {
      const fs::path home = home_of(d.id);
      if (!from.id.empty()) {
        say("copying snapshot " + from.id + " into the home");
        copy_tree_exact(snapshot_home(from.id), home);
      } else {
        fs::create_directories(home);
      }
      auto rt = runtime(d.id, &limits, &req.environment_variables, &lp.network);
      std::lock_guard lock(rt->mu);
      for (const auto& [path, contents] : req.file_mounts) {
        say("writing " + path);
        rt->sandbox->write_file(path, contents);
      }
      for (const auto& cmd : lp.launch_commands) {
        say("launch command: " + cmd);
        ExecOptions eo;
        eo.timeout = std::chrono::minutes(10);
        auto r = rt->sandbox->run(cmd, eo);
        if (r.exit_code != 0) {
          std::string why = "launch command `" + cmd + "` exited with " +
                            std::to_string(r.exit_code) + ": " + r.err.data.substr(0, 2000);
          transition(d.id, "failure", "execution_failed");
          throw PlatformError(ErrorKind::conflict, "devbox " + d.id + " failed to start: " + why +
                                                       "; fix the command and create a new devbox");
        }
      }
    } catch (const PlatformError& e) {
      if (get(d.id).status == "provisioning") transition(d.id, "failure", "execution_failed");
      drop_runtime(d.id);
      if (e.kind() == ErrorKind::conflict) throw;
      throw PlatformError(e.kind(), "devbox " + d.id + " failed to start: " + e.what());
    } catch (const std::exception& e) {
      transition(d.id, "failure", "execution_failed");
      drop_runtime(d.id);
      throw PlatformError(ErrorKind::internal,
                          "devbox " + d.id + " failed to start: " + std::string(e.what()));
    }
    transition(d.id, "running");
    say("devbox " + d.id + " is running");
    return get(d.id);
  }

  Devbox get(const std::string& id) override {
    auto rows =
        db_->query(std::string("SELECT ") + kDevboxColumns + " FROM devboxes WHERE id=?1", {id});
    if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_devbox(id));
    return devbox_from_row(rows[0]);
  }

  DevboxPage list(const DevboxListRequest& req) override {
    const int limit = std::clamp(req.limit, 1, 5000);
    std::string sql = std::string("SELECT ") + kDevboxColumns + " FROM devboxes WHERE 1=1";
    std::vector<SqlValue> params;
    if (!req.status.empty()) {
      params.emplace_back(req.status);
      sql += " AND status=?" + std::to_string(params.size());
    }
    if (!req.starting_after.empty()) {
      auto after = get(req.starting_after);
      params.emplace_back(after.create_time_ms);
      params.emplace_back(after.id);
      sql += " AND (create_time_ms < ?" + std::to_string(params.size() - 1) +
             " OR (create_time_ms = ?" + std::to_string(params.size() - 1) + " AND id < ?" +
             std::to_string(params.size()) + "))";
    }
    sql += " ORDER BY create_time_ms DESC, id DESC LIMIT " + std::to_string(limit + 1);
    DevboxPage page;
    for (const auto& r : db_->query(sql, params)) page.devboxes.push_back(devbox_from_row(r));
    if (page.devboxes.size() > static_cast<size_t>(limit)) {
      page.devboxes.pop_back();
      page.has_more = true;
    }
    return page;
  }

  Devbox wait_for_status(const std::string& id, const std::vector<std::string>& statuses,
                         std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      Devbox d = get(id);
      if (contains(statuses, d.status) || Clock::now() >= deadline) return d;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  DevboxExecution execute(const ExecRequest& req) override {
    auto [id, live] = start(req, true);
    live->exec->wait();
    return record(id, *live);
  }

  DevboxExecution execute_async(const ExecRequest& req) override {
    ExecRequest r = req;
    r.on_output = nullptr;
    auto [id, live] = start(r, false);
    // The finisher records the result when the command ends, whoever asks for it.
    spawn([this, id = id, live = live] {
      live->exec->wait();
      try {
        record(id, *live);
      } catch (const std::exception& e) {
        spdlog::warn("recording execution {} failed: {}", id, e.what());
      }
    });
    return execution(req.devbox_id, id);
  }

  DevboxExecution execution(const std::string& devbox_id, const std::string& exec_id) override {
    std::shared_ptr<LiveExecution> live;
    {
      std::lock_guard lock(mu_);
      auto it = live_.find(exec_id);
      if (it != live_.end()) live = it->second;
    }
    if (live && live->devbox_id == devbox_id) {
      if (live->exec->status() == ExecStatus::completed) return record(exec_id, *live);
      auto e = row_execution(devbox_id, exec_id);
      e.status = to_string(live->exec->status());
      // Output so far, for live streaming (platform serve's stream_*_updates); Runloop's view
      // shows output only once completed, and execution_to_wire follows it.
      auto out = live->exec->output();
      e.stdout_text = std::move(out.out.data);
      e.stderr_text = std::move(out.err.data);
      return e;
    }
    return row_execution(devbox_id, exec_id);
  }

  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& exec_id,
                                     const std::vector<std::string>& statuses,
                                     std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto e = execution(devbox_id, exec_id);
      if (contains(statuses, e.status) || Clock::now() >= deadline) return e;
      std::shared_ptr<LiveExecution> live;
      {
        std::lock_guard lock(mu_);
        auto it = live_.find(exec_id);
        if (it != live_.end()) live = it->second;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (live && contains(statuses, "completed"))
        live->exec->wait_for(std::min(left, std::chrono::milliseconds(1000)));
      else
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(50)));
    }
  }

  DevboxExecution kill_execution(const std::string& devbox_id,
                                 const std::string& exec_id) override {
    std::shared_ptr<LiveExecution> live;
    {
      std::lock_guard lock(mu_);
      auto it = live_.find(exec_id);
      if (it != live_.end()) live = it->second;
    }
    if (live && live->devbox_id == devbox_id) {
      live->exec->kill();
      return record(exec_id, *live);
    }
    auto e = row_execution(devbox_id, exec_id);
    if (e.status != "completed")
      throw PlatformError(ErrorKind::conflict,
                          "execution " + exec_id +
                              " runs in another server process sharing this data dir; kill it "
                              "through that server");
    return e;
  }

  DevboxFile read_file(const std::string& devbox_id, const std::string& path, std::uint64_t offset,
                       std::optional<std::uint64_t> length) override {
    auto d = require_status(devbox_id, {"running", "suspended"}, "read files");
    touch(devbox_id);
    auto fc = read_home_file(home_of(d.id), path, offset, length);
    return {std::move(fc.data), fc.size};
  }

  void write_file(const std::string& devbox_id, const std::string& path,
                  std::string_view data) override {
    require_status(devbox_id, {"running", "suspended"}, "write files");
    touch(devbox_id);
    auto rt = runtime(devbox_id);
    rt->sandbox->write_file(path, data);
  }

  Devbox suspend(const std::string& id) override {
    auto rt = runtime(id);
    std::lock_guard lock(rt->mu);
    require_status(id, {"running"}, "suspend it");
    transition(id, "suspending");
    try {
      rt->sandbox->suspend();
    } catch (...) {
      transition(id, "running");
      throw;
    }
    transition(id, "suspended");
    return get(id);
  }

  Devbox resume(const std::string& id) override {
    auto rt = runtime(id);
    std::lock_guard lock(rt->mu);
    require_status(id, {"suspended"}, "resume it");
    transition(id, "resuming");
    rt->sandbox->resume();
    transition(id, "running");
    touch(id);
    return get(id);
  }

  void keep_alive(const std::string& id) override {
    auto d = get(id);
    if (devbox_status_is_terminal(d.status))
      throw PlatformError(ErrorKind::conflict,
                          "devbox " + id + " is " + d.status + "; create a new devbox");
    touch(id);
  }

  Devbox shutdown(const std::string& id) override { return shutdown_with(id, "api_shutdown"); }

  DevboxSnapshot snapshot(const std::string& devbox_id, const SnapshotRequest& req) override {
    require_status(devbox_id, {"running", "suspended"}, "snapshot it");
    DevboxSnapshot s;
    s.id = new_id("snp_");
    s.name = req.name;
    s.create_time_ms = now_ms();
    s.metadata = req.metadata;
    s.source_devbox_id = devbox_id;
    s.commit_message = req.commit_message;
    s.status = "in_progress";
    db_->execute(
        "INSERT INTO devbox_snapshots (id, name, create_time_ms, metadata, source_devbox_id, "
        "commit_message, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {s.id, s.name, s.create_time_ms, to_json_map(s.metadata).dump(), devbox_id,
         s.commit_message, s.status});
    touch(devbox_id);
    auto work = [this, id = s.id, home = home_of(devbox_id)] {
      try {
        auto copy = copy_tree_exact(home, snapshot_home(id));
        db_->execute(
            "UPDATE devbox_snapshots SET status='complete', size_bytes=?2, skipped=?3 WHERE id=?1",
            {id, copy.bytes, json(copy.skipped).dump()});
      } catch (const std::exception& e) {
        db_->execute("UPDATE devbox_snapshots SET status='error', error_message=?2 WHERE id=?1",
                     {id, std::string("copying the home failed: ") + e.what()});
      }
    };
    if (req.async) {
      spawn(work);
    } else {
      work();
      auto done = snapshot_status(s.id);
      if (done.status == "error")
        throw PlatformError(ErrorKind::internal, "snapshot " + s.id + " of " + devbox_id +
                                                     " failed: " + done.error_message);
      return done;
    }
    return snapshot_status(s.id);
  }

  DevboxSnapshot snapshot_status(const std::string& snapshot_id) override {
    auto rows =
        db_->query(std::string("SELECT ") + kSnapshotColumns + " FROM devbox_snapshots WHERE id=?1",
                   {snapshot_id});
    if (rows.empty())
      throw PlatformError(ErrorKind::not_found,
                          "snapshot " + snapshot_id +
                              " not found; manage_devbox with action list_snapshots shows them");
    return snapshot_from_row(rows[0]);
  }

  SnapshotPage list_snapshots(const SnapshotListRequest& req) override {
    const int limit = std::clamp(req.limit, 1, 5000);
    std::string sql = std::string("SELECT ") + kSnapshotColumns +
                      " FROM devbox_snapshots WHERE status != "
                      "'deleted'";
    std::vector<SqlValue> params;
    if (!req.devbox_id.empty()) {
      params.emplace_back(req.devbox_id);
      sql += " AND source_devbox_id=?1";
    }
    if (!req.starting_after.empty()) {
      auto after = snapshot_status(req.starting_after);
      params.emplace_back(after.create_time_ms);
      params.emplace_back(after.id);
      const auto a = std::to_string(params.size() - 1), b = std::to_string(params.size());
      sql +=
          " AND (create_time_ms < ?" + a + " OR (create_time_ms = ?" + a + " AND id < ?" + b + "))";
    }
    sql += " ORDER BY create_time_ms DESC, id DESC LIMIT " + std::to_string(limit + 1);
    SnapshotPage page;
    for (const auto& r : db_->query(sql, params)) page.snapshots.push_back(snapshot_from_row(r));
    if (page.snapshots.size() > static_cast<size_t>(limit)) {
      page.snapshots.pop_back();
      page.has_more = true;
    }
    return page;
  }

 private:
  fs::path home_of(const std::string& id) const {
    return options_.data_dir / "devboxes" / id / "home";
  }
  fs::path snapshot_home(const std::string& id) const {
    return options_.data_dir / "devbox_snapshots" / id / "home";
  }

  // Executions lost with a previous server are reported failed, not left "running" forever.
  void recover() {
    for (const auto& r :
         db_->query("SELECT id, owner FROM devbox_executions WHERE status != 'completed'")) {
      if (owner_alive(r.text(1))) continue;
      db_->execute(
          "UPDATE devbox_executions SET status='completed', exit_status=-1, note=?2 WHERE id=?1 "
          "AND status != 'completed'",
          {r.text(0), std::string("the server running this execution stopped before it "
                                  "finished; its processes were killed with it")});
    }
  }

  Devbox require_status(const std::string& id, const std::vector<std::string>& allowed,
                        const std::string& what) {
    Devbox d = get(id);
    if (!contains(allowed, d.status)) {
      std::string hint = d.status == "suspended" ? "resume it first (manage_devbox action resume)"
                         : devbox_status_is_terminal(d.status)
                             ? "it is final; create a new devbox (from a snapshot to keep files)"
                             : "wait until it is running";
      throw PlatformError(ErrorKind::conflict, "devbox " + id + " is " + d.status +
                                                   ", so you cannot " + what + "; " + hint);
    }
    return d;
  }

  void transition(const std::string& id, const std::string& status,
                  const std::string& reason = {}) {
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
    });
  }

  void touch(const std::string& id) {
    db_->execute("UPDATE devboxes SET last_active_ms=?2 WHERE id=?1", {id, now_ms()});
  }

  // The devbox's runtime in this process, made on first use. `limits`, `env` and `network` are
  // given at create; later the stored launch parameters and environment are used.
  std::shared_ptr<Runtime> runtime(const std::string& id, const ResourceLimits* limits = nullptr,
                                   const std::map<std::string, std::string>* env = nullptr,
                                   const bool* network = nullptr) {
    std::lock_guard lock(mu_);
    auto it = runtimes_.find(id);
    if (it != runtimes_.end() && it->second->sandbox) return it->second;
    SandboxSpec spec;
    // Unique per process: two servers sharing the data dir each run their own sandbox.
    spec.id = id + ".p" + std::to_string(::getpid()) + "." + std::to_string(instance_);
    spec.home_dir = home_of(id);
    spec.bwrap_path = options_.bwrap_path;
    spec.uid = options_.uid;
    spec.gid = options_.gid;
    spec.use_cgroups = options_.use_cgroups;
    if (limits) {
      spec.limits = *limits;
      spec.env = *env;
      spec.network = *network;
    } else {
      auto rows = db_->query(
          "SELECT launch_parameters, environment, status FROM devboxes WHERE id=?1", {id});
      if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_devbox(id));
      if (devbox_status_is_terminal(rows[0].text(2)))
        throw PlatformError(ErrorKind::conflict, "devbox " + id + " is " + rows[0].text(2) +
                                                     "; it is final, create a new devbox");
      auto lp =
          devbox_from_wire({{"launch_parameters", json::parse(rows[0].text(0), nullptr, false)}})
              .launch_parameters;
      spec.limits = limits_for(lp.resources);
      spec.env = map_from_text(rows[0].text(1));
      spec.network = lp.network;
    }
    auto rt = std::make_shared<Runtime>();
    rt->sandbox = std::make_unique<Sandbox>(std::move(spec));
    runtimes_[id] = rt;
    return rt;
  }

  void drop_runtime(const std::string& id) {
    std::shared_ptr<Runtime> rt;
    {
      std::lock_guard lock(mu_);
      auto it = runtimes_.find(id);
      if (it == runtimes_.end()) return;
      rt = it->second;
      runtimes_.erase(it);
    }
    std::lock_guard lock(rt->mu);
    if (rt->sandbox) rt->sandbox->kill_all();
    rt->shells.clear();
    rt->sandbox.reset();
  }

  std::pair<std::string, std::shared_ptr<LiveExecution>> start(const ExecRequest& req, bool sync) {
    if (req.command.empty()) throw PlatformError(ErrorKind::invalid, "command must not be empty");
    if (req.timeout < std::chrono::seconds(0))
      throw PlatformError(ErrorKind::invalid, "timeout must not be negative");
    auto rt = runtime(req.devbox_id);
    std::lock_guard lock(rt->mu);
    require_status(req.devbox_id, {"running"}, "run commands");
    touch(req.devbox_id);
    auto live = std::make_shared<LiveExecution>();
    live->devbox_id = req.devbox_id;
    live->token = std::make_shared<CancelToken>();
    live->started_ms = now_ms();
    const std::string id = new_id("exe_");
    const std::size_t cap = req.output_cap ? req.output_cap : kDefaultOutputCap;
    LineCallback on_line;
    if (sync && req.on_output)
      on_line = [cb = req.on_output](OutputStream s, std::string_view line) {
        cb(to_string(s), line);
      };
    db_->execute(
        "INSERT INTO devbox_executions (id, devbox_id, command, shell_name, status, "
        "create_time_ms, owner) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)",
        {id, req.devbox_id, req.command, req.shell_name, live->started_ms, owner_});
    try {
      if (req.shell_name.empty()) {
        ExecOptions o;
        o.working_dir = req.working_dir;
        o.timeout = req.timeout;
        o.output_cap = cap;
        o.on_line = on_line;
        o.cancel = live->token;
        live->exec = rt->sandbox->start(req.command, std::move(o));
      } else {
        auto& shell = rt->shells[req.shell_name];
        if (!shell) shell = rt->sandbox->open_shell();
        ShellCommandOptions o;
        o.working_dir = req.working_dir;
        o.timeout = req.timeout;
        o.output_cap = cap;
        o.on_line = on_line;
        o.cancel = live->token;
        live->exec = shell->start(req.command, std::move(o));
      }
    } catch (...) {
      db_->execute("DELETE FROM devbox_executions WHERE id=?1", {id});
      throw;
    }
    db_->execute("UPDATE devbox_executions SET status=?2 WHERE id=?1 AND status != 'completed'",
                 {id, std::string(to_string(live->exec->status()))});
    if (req.cancel) {
      // The hook only cancels the token (cheap, any thread); the engine kills the processes.
      std::weak_ptr<CancelToken> weak = live->token;
      req.cancel->on_cancel([weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    }
    std::lock_guard l2(mu_);
    live_[id] = live;
    return {id, live};
  }

  // Stores the completed execution's result (once) and returns its view.
  DevboxExecution record(const std::string& id, LiveExecution& live) {
    auto result = live.exec->wait();
    std::string note = result.note;
    if (result.timed_out && note.empty()) note = "killed after the timeout";
    if (result.cancelled && note.empty()) note = "killed";
    if (result.memory_limit_hit && note.empty())
      note = "a process was killed for exceeding the memory limit";
    {
      std::lock_guard lock(mu_);
      if (!live.recorded) {
        live.recorded = true;
        db_->execute(
            "UPDATE devbox_executions SET status='completed', exit_status=?2, stdout=?3, "
            "stderr=?4, stdout_truncated=?5, stderr_truncated=?6, timed_out=?7, killed=?8, "
            "note=?9, duration_ms=?10 WHERE id=?1",
            {id, std::int64_t{result.exit_code}, result.out.data, result.err.data,
             std::int64_t{result.out.truncated}, std::int64_t{result.err.truncated},
             std::int64_t{result.timed_out}, std::int64_t{result.cancelled}, note,
             std::int64_t{result.duration_ms}});
        touch(live.devbox_id);
      }
      // Recorded: the row answers from now on. Dropping the live entry frees the command's
      // output buffers and its cancel token's eventfd, which a long-lived devbox would otherwise
      // collect one per command until it shut down.
      live_.erase(id);
    }
    return row_execution(live.devbox_id, id);
  }

  DevboxExecution row_execution(const std::string& devbox_id, const std::string& exec_id) {
    auto rows = db_->query(std::string("SELECT ") + kExecColumns +
                               " FROM devbox_executions WHERE id=?1 AND devbox_id=?2",
                           {exec_id, devbox_id});
    if (rows.empty())
      throw PlatformError(ErrorKind::not_found,
                          "execution " + exec_id + " of devbox " + devbox_id +
                              " not found; devbox_exec with async=true returns an execution_id");
    return execution_from_row(rows[0]);
  }

  Devbox shutdown_with(const std::string& id, const std::string& reason) {
    Devbox d = get(id);
    if (d.status == "shutdown") return d;
    drop_runtime(id);  // kills every process; the finishers record the results
    join_threads(false);
    std::error_code ec;
    fs::remove_all(options_.data_dir / "devboxes" / id, ec);
    transition(id, "shutdown", reason);
    {
      std::lock_guard lock(mu_);
      for (auto it = live_.begin(); it != live_.end();)
        it = it->second->devbox_id == id ? live_.erase(it) : std::next(it);
    }
    return get(id);
  }

  bool busy(const std::string& devbox_id) {
    std::lock_guard lock(mu_);
    for (const auto& [_, l] : live_)
      if (l->devbox_id == devbox_id && l->exec->status() != ExecStatus::completed) return true;
    return false;
  }

  void reap_loop() {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, options_.reaper_interval, [this] { return stopping_; })) {
      lock.unlock();
      try {
        reap_once();
      } catch (const std::exception& e) {
        spdlog::warn("devbox idle check failed: {}", e.what());
      }
      join_threads(false);
      lock.lock();
    }
  }

  void reap_once() {
    const auto now = now_ms();
    for (const auto& r :
         db_->query("SELECT id, launch_parameters, last_active_ms FROM devboxes WHERE "
                    "status='running'")) {
      const std::string id = r.text(0);
      auto lp = devbox_from_wire({{"launch_parameters", json::parse(r.text(1), nullptr, false)}})
                    .launch_parameters;
      if (now - r.integer(2) < lp.keep_alive_time_seconds * 1000) continue;
      if (busy(id)) {
        touch(id);
        continue;
      }
      spdlog::info("devbox {} idle for {} s: {}", id, lp.keep_alive_time_seconds, lp.on_idle);
      if (lp.on_idle == "suspend")
        suspend(id);
      else
        shutdown_with(id, "idle");
    }
  }

  // Runs `work` on a helper thread (async results, async snapshots); joined once done.
  void spawn(std::function<void()> work) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::lock_guard lock(threads_mu_);
    threads_.push_back({std::thread([work = std::move(work), done] {
                          work();
                          done->store(true);
                        }),
                        done});
  }

  // Joins finished helper threads (every one when `all`: at destruction, after kill_all).
  void join_threads(bool all) {
    std::list<Helper> finished;
    {
      std::lock_guard lock(threads_mu_);
      for (auto it = threads_.begin(); it != threads_.end();) {
        auto next = std::next(it);
        if (all || it->done->load()) finished.splice(finished.end(), threads_, it);
        it = next;
      }
    }
    for (auto& h : finished)
      if (h.thread.joinable()) h.thread.join();
  }

  LocalDevboxOptions options_;
  const int instance_ = next_instance();  // several services may live in one process (tests)
  std::string owner_;
  std::shared_ptr<Database> db_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Runtime>> runtimes_;
  std::map<std::string, std::shared_ptr<LiveExecution>> live_;
  struct Helper {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex threads_mu_;
  std::list<Helper> threads_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace

std::shared_ptr<DevboxService> open_local_devboxes(const LocalDevboxOptions& options) {
  if (options.data_dir.empty())
    throw PlatformError(ErrorKind::unavailable,
                        "no data dir for devboxes; pass --data-dir or set RUNAGENTS_DATA_DIR");
  return std::make_shared<LocalDevboxService>(options);
}

}  // namespace runagents::platform::local
