#include "platform/local/devboxes/devbox_service.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "platform/local/devboxes/devbox_reaper.hpp"
#include "platform/local/devboxes/devbox_rows.hpp"
#include "platform/local/devboxes/devbox_runtimes.hpp"
#include "platform/local/devboxes/helper_threads.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

void check_env_name(const std::string& name) {
  static const std::regex re("[A-Za-z_][A-Za-z0-9_]*");
  if (!std::regex_match(name, re))
    throw PlatformError(ErrorKind::invalid,
                        "environment_variables: \"" + name +
                            "\" is not a valid variable name (letters, digits and _, not "
                            "starting with a digit)");
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class LocalDevboxService final : public DevboxService {
 public:
  explicit LocalDevboxService(const LocalDevboxOptions& options)
      : options_(options), rows_(open_rows(options_)), runtimes_(options_, rows_) {
    rows_.fail_lost_executions();
    reaper_ = std::make_unique<DevboxReaper>(
        options_.reaper_interval, rows_, runtimes_,
        [this](const std::string& id, const DevboxLaunchParameters& lp) {
          if (lp.on_idle == "suspend")
            suspend(id);
          else
            shutdown_with(id, "idle");
        },
        [this] { helpers_.join(false); });
  }

  ~LocalDevboxService() override {
    reaper_.reset();
    // Kill what still runs (its results are recorded by the finisher threads), then join them.
    runtimes_.kill_all();
    helpers_.join(true);
    runtimes_.close_all();
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
    rows_.insert(d, req.environment_variables);
    say("provisioning devbox " + d.id);
    try {
      const fs::path home = home_of(d.id);
      if (!from.id.empty()) {
        say("copying snapshot " + from.id + " into the home");
        copy_tree_exact(snapshot_home(from.id), home);
      } else {
        fs::create_directories(home);
      }
      const LaunchSpec launch{limits, req.environment_variables, lp.network};
      auto rt = runtimes_.runtime(d.id, &launch);
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
          rows_.transition(d.id, "failure", "execution_failed");
          throw PlatformError(ErrorKind::conflict, "devbox " + d.id + " failed to start: " + why +
                                                       "; fix the command and create a new devbox");
        }
      }
    } catch (const PlatformError& e) {
      if (get(d.id).status == "provisioning") rows_.transition(d.id, "failure", "execution_failed");
      runtimes_.drop(d.id);
      if (e.kind() == ErrorKind::conflict) throw;
      throw PlatformError(e.kind(), "devbox " + d.id + " failed to start: " + e.what());
    } catch (const std::exception& e) {
      rows_.transition(d.id, "failure", "execution_failed");
      runtimes_.drop(d.id);
      throw PlatformError(ErrorKind::internal,
                          "devbox " + d.id + " failed to start: " + std::string(e.what()));
    }
    rows_.transition(d.id, "running");
    say("devbox " + d.id + " is running");
    return get(d.id);
  }

  Devbox get(const std::string& id) override { return with_tunnels(rows_.get(id)); }

  DevboxPage list(const DevboxListRequest& req) override {
    DevboxPage page = rows_.list(req);
    for (auto& d : page.devboxes) d = with_tunnels(std::move(d));
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
    helpers_.spawn([this, id = id, live = live] {
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
    std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
    if (live && live->devbox_id == devbox_id) {
      if (live->exec->status() == ExecStatus::completed) return record(exec_id, *live);
      auto e = rows_.execution(devbox_id, exec_id);
      e.status = to_string(live->exec->status());
      // Output so far, for live streaming (platform serve's stream_*_updates); Runloop's view
      // shows output only once completed, and execution_to_wire follows it.
      auto out = live->exec->output();
      e.stdout_text = std::move(out.out.data);
      e.stderr_text = std::move(out.err.data);
      return e;
    }
    return rows_.execution(devbox_id, exec_id);
  }

  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& exec_id,
                                     const std::vector<std::string>& statuses,
                                     std::chrono::milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto e = execution(devbox_id, exec_id);
      if (contains(statuses, e.status) || Clock::now() >= deadline) return e;
      std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (live && contains(statuses, "completed"))
        live->exec->wait_for(std::min(left, std::chrono::milliseconds(1000)));
      else
        std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(50)));
    }
  }

  DevboxExecution kill_execution(const std::string& devbox_id,
                                 const std::string& exec_id) override {
    std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
    if (live && live->devbox_id == devbox_id) {
      live->exec->kill();
      return record(exec_id, *live);
    }
    auto e = rows_.execution(devbox_id, exec_id);
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
    rows_.touch(devbox_id);
    auto fc = read_home_file(home_of(d.id), path, offset, length);
    return {std::move(fc.data), fc.size};
  }

  void write_file(const std::string& devbox_id, const std::string& path,
                  std::string_view data) override {
    require_status(devbox_id, {"running", "suspended"}, "write files");
    rows_.touch(devbox_id);
    auto rt = runtimes_.runtime(devbox_id);
    rt->sandbox->write_file(path, data);
  }

  Devbox suspend(const std::string& id) override {
    auto rt = runtimes_.runtime(id);
    std::lock_guard lock(rt->mu);
    require_status(id, {"running"}, "suspend it");
    rows_.transition(id, "suspending");
    try {
      rt->sandbox->suspend();
    } catch (...) {
      rows_.transition(id, "running");
      throw;
    }
    rt->close_tunnels();  // a frozen server answers nobody: tunnels end with the suspension
    rows_.transition(id, "suspended");
    return get(id);
  }

  Devbox resume(const std::string& id) override {
    auto rt = runtimes_.runtime(id);
    std::lock_guard lock(rt->mu);
    require_status(id, {"suspended"}, "resume it");
    rows_.transition(id, "resuming");
    rt->sandbox->resume();
    rows_.transition(id, "running");
    rows_.touch(id);
    return get(id);
  }

  void keep_alive(const std::string& id) override {
    auto d = get(id);
    if (devbox_status_is_terminal(d.status))
      throw PlatformError(ErrorKind::conflict,
                          "devbox " + id + " is " + d.status + "; create a new devbox");
    rows_.touch(id);
  }

  Devbox shutdown(const std::string& id) override { return shutdown_with(id, "api_shutdown"); }

  DevboxTunnelView enable_tunnel(const std::string& devbox_id,
                                 const std::string& auth_mode) override {
    if (!auth_mode.empty() && auth_mode != "open")
      throw PlatformError(ErrorKind::invalid,
                          "auth_mode \"" + auth_mode +
                              "\": a local tunnel is open (it listens on the host's 127.0.0.1 "
                              "only); leave auth_mode out or give \"open\"");
    auto rt = runtimes_.runtime(devbox_id);
    std::lock_guard lock(rt->mu);
    require_status(devbox_id, {"running"}, "open a tunnel");
    rows_.touch(devbox_id);
    std::lock_guard tunnel_lock(rt->tunnel_mu);
    return enabled_tunnel(*rt);
  }

  DevboxTunnel create_tunnel(const std::string& devbox_id, int port) override {
    if (port < 1 || port > 65535)
      throw PlatformError(ErrorKind::invalid, "port " + std::to_string(port) +
                                                  " is not a TCP port: give 1-65535 (the port "
                                                  "a server in the devbox listens on)");
    auto rt = runtimes_.runtime(devbox_id);
    std::lock_guard lock(rt->mu);
    require_status(devbox_id, {"running"}, "open a tunnel");
    rows_.touch(devbox_id);
    std::lock_guard tunnel_lock(rt->tunnel_mu);
    enabled_tunnel(*rt);
    auto& forward = rt->forwards[port];
    if (!forward) {
      try {
        // Traffic through a tunnel is activity (Runloop's http_keep_alive): it restarts the idle
        // timer, at most once a second.
        auto last = std::make_shared<std::atomic<std::int64_t>>(0);
        forward = rt->sandbox->forward_port(port, [this, devbox_id, last] {
          const std::int64_t now = now_ms();
          if (now - last->load() < 1000) return;
          last->store(now);
          try {
            rows_.touch(devbox_id);
          } catch (const std::exception&) {
            // The database is busy or gone: the next connection tries again.
          }
        });
      } catch (...) {
        rt->forwards.erase(port);
        throw;
      }
    }
    return tunnel_of(devbox_id, *forward);
  }

  void remove_tunnel(const std::string& devbox_id, int port) override {
    get(devbox_id);  // not_found for an unknown devbox
    auto rt = runtimes_.existing(devbox_id);
    if (port == 0) {
      if (rt) rt->close_tunnels();
      return;
    }
    std::unique_ptr<PortForward> closing;  // closed outside the lock
    if (rt) {
      std::lock_guard lock(rt->tunnel_mu);
      if (auto it = rt->forwards.find(port); it != rt->forwards.end()) {
        closing = std::move(it->second);
        rt->forwards.erase(it);
      }
    }
    if (!closing)
      throw PlatformError(ErrorKind::not_found, "devbox " + devbox_id + " has no tunnel to port " +
                                                    std::to_string(port) +
                                                    "; manage_devbox action=get lists its tunnels");
  }

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
    rows_.insert_snapshot(s);
    rows_.touch(devbox_id);
    auto work = [this, id = s.id, home = home_of(devbox_id)] {
      try {
        auto copy = copy_tree_exact(home, snapshot_home(id));
        rows_.snapshot_complete(id, copy.bytes, copy.skipped);
      } catch (const std::exception& e) {
        rows_.snapshot_failed(id, std::string("copying the home failed: ") + e.what());
      }
    };
    if (req.async) {
      helpers_.spawn(work);
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
    return rows_.snapshot(snapshot_id);
  }

  SnapshotPage list_snapshots(const SnapshotListRequest& req) override {
    return rows_.list_snapshots(req);
  }

 private:
  // Creates the devbox directories and opens the data dir's database.
  static DevboxRows open_rows(const LocalDevboxOptions& options) {
    std::error_code ec;
    fs::create_directories(options.data_dir / "devboxes", ec);
    fs::create_directories(options.data_dir / "devbox_snapshots", ec);
    if (ec)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot create the devbox directories under " +
                              options.data_dir.string() + ": " + ec.message() +
                              "; check the data dir's permissions or pass --data-dir");
    return DevboxRows(open_platform_database(options.data_dir), process_token(::getpid()));
  }

  fs::path home_of(const std::string& id) const { return runtimes_.home_of(id); }
  fs::path snapshot_home(const std::string& id) const {
    return options_.data_dir / "devbox_snapshots" / id / "home";
  }

  // The devbox's tunnel view, made on first use. Call with rt.tunnel_mu held.
  static DevboxTunnelView enabled_tunnel(Runtime& rt) {
    if (!rt.tunnel) {
      DevboxTunnelView view;
      view.tunnel_key = new_id("");
      view.create_time_ms = now_ms();
      rt.tunnel = view;
    }
    return *rt.tunnel;
  }

  static DevboxTunnel tunnel_of(const std::string& devbox_id, const PortForward& forward) {
    return {devbox_id, forward.port(), "http://127.0.0.1:" + std::to_string(forward.host_port())};
  }

  // `d` with the tunnel and open ports this process holds for it.
  Devbox with_tunnels(Devbox d) {
    auto rt = runtimes_.existing(d.id);
    if (!rt) return d;
    std::lock_guard lock(rt->tunnel_mu);
    d.tunnel = rt->tunnel;
    for (const auto& [port, forward] : rt->forwards) d.tunnels.push_back(tunnel_of(d.id, *forward));
    return d;
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

  std::pair<std::string, std::shared_ptr<LiveExecution>> start(const ExecRequest& req, bool sync) {
    if (req.command.empty()) throw PlatformError(ErrorKind::invalid, "command must not be empty");
    if (req.timeout < std::chrono::seconds(0))
      throw PlatformError(ErrorKind::invalid, "timeout must not be negative");
    auto rt = runtimes_.runtime(req.devbox_id);
    std::lock_guard lock(rt->mu);
    require_status(req.devbox_id, {"running"}, "run commands");
    rows_.touch(req.devbox_id);
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
    rows_.insert_execution(id, req, live->started_ms);
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
      rows_.delete_execution(id);
      throw;
    }
    rows_.set_execution_status(id, live->exec->status());
    if (req.cancel) {
      // The hook only cancels the token (cheap, any thread); the engine kills the processes.
      std::weak_ptr<CancelToken> weak = live->token;
      req.cancel->on_cancel([weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    }
    runtimes_.add_live(id, live);
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
    runtimes_.retire(id, live, [&] {
      rows_.complete_execution(id, result, note);
      rows_.touch(live.devbox_id);
    });
    return rows_.execution(live.devbox_id, id);
  }

  Devbox shutdown_with(const std::string& id, const std::string& reason) {
    Devbox d = get(id);
    if (d.status == "shutdown") return d;
    runtimes_.drop(id);  // kills every process; the finishers record the results
    helpers_.join(false);
    std::error_code ec;
    fs::remove_all(options_.data_dir / "devboxes" / id, ec);
    rows_.transition(id, "shutdown", reason);
    runtimes_.forget_devbox(id);
    return get(id);
  }

  LocalDevboxOptions options_;
  DevboxRows rows_;
  DevboxRuntimes runtimes_;
  HelperThreads helpers_;
  std::unique_ptr<DevboxReaper> reaper_;  // last: stopped first
};

}  // namespace

std::shared_ptr<DevboxService> open_local_devboxes(const LocalDevboxOptions& options) {
  if (options.data_dir.empty())
    throw PlatformError(ErrorKind::unavailable,
                        "no data dir for devboxes; pass --data-dir or set RUNAGENTS_DATA_DIR");
  return std::make_shared<LocalDevboxService>(options);
}

}  // namespace runagents::platform::local
