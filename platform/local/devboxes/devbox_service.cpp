#include "platform/local/devboxes/devbox_service.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
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

// Bytes a tree takes on disk (allocated blocks, as du counts them: each hard-linked file once,
// links not followed). Entries that vanish during the walk are skipped.
std::uint64_t disk_usage(const fs::path& root) {
  std::uint64_t bytes = 0;
  std::set<std::pair<dev_t, ino_t>> linked;
  auto add = [&](const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return;
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second)
      return;
    bytes += static_cast<std::uint64_t>(st.st_blocks) * 512;
  };
  add(root);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec))
    add(it->path());
  return bytes;
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
    closing_ = true;  // no provisioning starts another launch command
    {
      std::lock_guard lock(provisioning_mu_);
      for (auto& [id, p] : provisioning_) p.cancel->cancel();  // nor finishes the one it runs
    }
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
    NewDevbox nd = begin_create(req);
    say("provisioning devbox " + nd.devbox.id);
    provision(nd, req, say);
    say("devbox " + nd.devbox.id + " is running");
    return get(nd.devbox.id);
  }

  Devbox create_and_await_running(const DevboxCreateRequest& req,
                                  std::chrono::milliseconds wait) override {
    NewDevbox nd = begin_create(req);
    // Provisioning goes on past the wait; its failure is the devbox's status and log.
    helpers_.spawn([this, nd, req] {
      try {
        provision(nd, req, [](const std::string&) {});
      } catch (const std::exception& e) {
        spdlog::info("devbox {} failed to start: {}", nd.devbox.id, e.what());
      }
    });
    return wait_for_status(nd.devbox.id, {"running", "failure", "shutdown"}, wait);
  }

  Devbox get(const std::string& id) override { return with_tunnels(rows_.get(id)); }

  DevboxPage list(const DevboxListRequest& req) override {
    DevboxPage page = rows_.list(req);
    for (auto& d : page.devboxes) d = with_tunnels(std::move(d));
    return page;
  }

  Devbox update(const std::string& id, const DevboxUpdateRequest& req) override {
    rows_.update(id, req);
    return get(id);
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

  void send_stdin(const std::string& devbox_id, const std::string& exec_id,
                  const StdinInput& input) override {
    if (input.text.empty() && !input.close && !input.interrupt)
      throw PlatformError(ErrorKind::invalid, "send_stdin needs text, close or interrupt");
    std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
    auto completed = [&](const DevboxExecution& e) {
      return PlatformError(ErrorKind::conflict,
                           "execution " + exec_id + " has completed (exit_status " +
                               std::to_string(e.exit_status.value_or(-1)) +
                               "); stdin goes only to a running execution, nothing was sent");
    };
    if (!live || live->devbox_id != devbox_id) {
      auto e = rows_.execution(devbox_id, exec_id);  // not_found
      if (e.status == "completed") throw completed(e);
      throw PlatformError(ErrorKind::conflict,
                          "execution " + exec_id +
                              " runs in another server process sharing this data dir; send its "
                              "input through that server");
    }
    if (live->exec->status() == ExecStatus::completed) throw completed(record(exec_id, *live));
    if (!live->stdin_attached)
      throw PlatformError(ErrorKind::conflict,
                          "execution " + exec_id +
                              " was started without attach_stdin, so its stdin is empty; start "
                              "the command again with attach_stdin (devbox_exec async=true "
                              "attach_stdin=true)");
    auto refused = [&] {
      if (live->exec->status() == ExecStatus::completed) return completed(record(exec_id, *live));
      return PlatformError(ErrorKind::conflict, "the stdin of execution " + exec_id +
                                                    " was closed already; nothing was sent");
    };
    if (!input.text.empty() && !live->exec->write_input(input.text)) throw refused();
    if (input.close && !live->exec->close_input()) throw refused();
    if (input.interrupt) live->exec->interrupt();
    rows_.touch(devbox_id);
  }

  std::vector<DevboxLog> logs(const std::string& devbox_id, const DevboxLogsRequest& req) override {
    get(devbox_id);  // not_found
    return rows_.logs(devbox_id, req);
  }

  DevboxUsage usage(const std::string& devbox_id) override {
    const Devbox d = get(devbox_id);
    DevboxUsage u;
    u.id = d.id;
    u.status = d.status;
    u.start_time_ms = d.create_time_ms;
    u.end_time_ms = d.end_time_ms;
    const std::int64_t until = d.end_time_ms ? d.end_time_ms : now_ms();
    u.total_elapsed_seconds = double(until - d.create_time_ms) / 1000.0;
    std::int64_t active_ms = 0;
    for (std::size_t i = 0; i < d.state_transitions.size(); ++i) {
      if (d.state_transitions[i].status != "running") continue;
      const std::int64_t next = i + 1 < d.state_transitions.size()
                                    ? d.state_transitions[i + 1].transition_time_ms
                                    : until;
      active_ms += std::max<std::int64_t>(0, next - d.state_transitions[i].transition_time_ms);
    }
    u.total_active_seconds = double(active_ms) / 1000.0;

    // The billing figures as Runloop defines them, from what the sandbox may use: its memory
    // limit, the CPUs it asked for (else the host's: local sandboxes are not held to fewer) and
    // the home's size (local devboxes have no disk quota).
    const auto& res = d.launch_parameters.resources;
    const double vcpus = res.custom_cpu_cores > 0
                             ? res.custom_cpu_cores
                             : std::max(1u, std::thread::hardware_concurrency());
    double memory_gb = 0;
    try {
      memory_gb = double(limits_for(res).memory_bytes) / double(1ull << 30);
    } catch (const PlatformError&) {
    }
    u.vcpu_seconds = u.total_active_seconds * vcpus;
    u.memory_gb_seconds = u.total_active_seconds * memory_gb;

    std::error_code ec;
    const fs::path home = home_of(d.id);
    const json final = devbox_status_is_terminal(d.status) ? rows_.final_usage(d.id) : json();
    if (fs::is_directory(home, ec)) {
      u.disk_bytes = static_cast<std::int64_t>(disk_usage(home));
    } else if (final.contains("disk_bytes")) {
      u.disk_bytes = final["disk_bytes"].get<std::int64_t>();  // when it was shut down
    } else {
      u.unavailable["disk_bytes"] = devbox_status_is_terminal(d.status)
                                        ? "the devbox is " + d.status + " and its home is deleted"
                                        : "the devbox has no home yet";
    }
    if (u.disk_bytes)
      u.disk_gb_seconds = u.total_elapsed_seconds * double(*u.disk_bytes) / double(1ull << 30);

    if (final.is_object() && !final.empty()) {
      // Shut down: the figures recorded then; no memory is in use any more.
      if (final.contains("cpu_time_ns"))
        u.cpu_time_seconds = double(final["cpu_time_ns"].get<std::uint64_t>()) / 1e9;
      else
        u.unavailable["cpu_time_seconds"] = "not measured on this host when it was shut down";
      if (final.contains("peak_memory_bytes")) {
        u.peak_memory_bytes = final["peak_memory_bytes"].get<std::int64_t>();
        u.memory_bytes = 0;
      } else {
        for (const char* f : {"peak_memory_bytes", "memory_bytes"})
          u.unavailable[f] = "not measured on this host when it was shut down";
      }
    } else if (auto su = runtimes_.usage(d.id)) {
      const std::string why = su->note.empty() ? "not measured on this host" : su->note;
      if (su->cpu_time_ns)
        u.cpu_time_seconds = double(*su->cpu_time_ns) / 1e9;
      else
        u.unavailable["cpu_time_seconds"] = why;
      if (su->peak_memory_bytes)
        u.peak_memory_bytes = static_cast<std::int64_t>(*su->peak_memory_bytes);
      else
        u.unavailable["peak_memory_bytes"] = why;
      if (su->memory_bytes)
        u.memory_bytes = static_cast<std::int64_t>(*su->memory_bytes);
      else
        u.unavailable["memory_bytes"] = why;
    } else {
      const std::string why =
          devbox_status_is_terminal(d.status)
              ? "the devbox is " + d.status + "; its cgroups went with its sandbox"
              : "measured by the devbox's cgroups, which exist in the server process that runs "
                "its sandbox; no command has run in this server process since it started";
      for (const char* f : {"cpu_time_seconds", "peak_memory_bytes", "memory_bytes"})
        u.unavailable[f] = why;
    }
    return u;
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
    rows_.log(devbox_id, log_line(now_ms(), "files", "info",
                                  "wrote " + std::to_string(data.size()) + " bytes to " + path));
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

  void delete_snapshot(const std::string& snapshot_id) override {
    const fs::path dir = snapshot_dir(snapshot_id);
    const fs::path doomed = dir.string() + ".deleting";
    {
      std::lock_guard lock(snapshot_mu_);
      DevboxSnapshot s = snapshot_status(snapshot_id);  // not_found
      if (s.status == "deleted") return;
      if (s.status == "in_progress")
        throw PlatformError(ErrorKind::conflict,
                            "snapshot " + snapshot_id +
                                " is still being taken; delete it once its status is complete "
                                "(snapshot_status); nothing was deleted");
      auto users = rows_.provisioning_from(snapshot_id);
      if (copying_.count(snapshot_id) != 0 || !users.empty())
        throw PlatformError(ErrorKind::conflict,
                            "snapshot " + snapshot_id + " is being copied into devbox " +
                                (users.empty() ? std::string("being created") : users.front()) +
                                "; delete it once that devbox is running; nothing was deleted");
      // Out of the way first (one rename: nothing is half deleted when it fails), then the record.
      std::error_code ec;
      fs::rename(dir, doomed, ec);
      if (ec && ec != std::errc::no_such_file_or_directory)
        throw PlatformError(ErrorKind::unavailable,
                            "cannot delete snapshot " + snapshot_id + ": renaming " + dir.string() +
                                " failed: " + ec.message() + "; nothing was deleted");
      try {
        if (!rows_.snapshot_deleted(snapshot_id))
          throw PlatformError(ErrorKind::conflict,
                              "snapshot " + snapshot_id + " changed while it was deleted; retry");
      } catch (...) {
        if (!ec) fs::rename(doomed, dir, ec);
        throw;
      }
    }
    std::error_code ec;
    fs::remove_all(doomed, ec);
    if (ec)
      spdlog::warn("snapshot {} is deleted but removing {} failed: {}", snapshot_id,
                   doomed.string(), ec.message());
  }

 private:
  // A devbox recorded (status provisioning) and what provisioning it needs.
  struct NewDevbox {
    Devbox devbox;
    ResourceLimits limits;
    std::string from_snapshot;  // "" = an empty home
    // Registered in provisioning_ from the moment the devbox is recorded until provision() ends:
    // shutdown() kills the launch command through it (it must not wait for it).
    std::shared_ptr<ExecCancel> cancel;
  };

  // Checks the request and records the devbox (provisioning). Throws what create() throws
  // before the devbox exists.
  NewDevbox begin_create(const DevboxCreateRequest& req) {
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
    NewDevbox nd;
    nd.limits = limits_for(lp.resources);
    if (!req.snapshot_id.empty()) {
      DevboxSnapshot from = snapshot_status(req.snapshot_id);
      if (from.status == "deleted")
        throw PlatformError(ErrorKind::not_found,
                            "snapshot " + from.id +
                                " was deleted; manage_devbox with action list_snapshots shows "
                                "the snapshots left");
      if (from.status != "complete")
        throw PlatformError(ErrorKind::conflict, "snapshot " + from.id + " is " + from.status +
                                                     ", not complete; wait for it (manage_devbox "
                                                     "action list_snapshots) and retry");
      nd.from_snapshot = from.id;
    }
    auto support = check_sandbox_support(options_.bwrap_path);
    if (!support.usable) throw PlatformError(ErrorKind::unavailable, support.message);

    Devbox& d = nd.devbox;
    d.id = new_id("dbx_");
    d.name = req.name;
    d.status = "provisioning";
    d.create_time_ms = now_ms();
    d.snapshot_id = req.snapshot_id;
    d.metadata = req.metadata;
    d.launch_parameters = lp;
    d.state_transitions.push_back({"provisioning", d.create_time_ms, ""});
    nd.cancel = std::make_shared<ExecCancel>();
    rows_.insert(d, req.environment_variables);
    std::lock_guard lock(provisioning_mu_);
    provisioning_[d.id] = {nd.cancel, false};
    return nd;
  }

  // Fills the home, opens the sandbox and runs the launch commands; then the devbox is running.
  // On failure it is left in status failure and PlatformError is thrown (conflict for a launch
  // command that failed, naming it and its output).
  void provision(const NewDevbox& nd, const DevboxCreateRequest& req,
                 const std::function<void(const std::string&)>& say) {
    const Devbox& d = nd.devbox;
    const auto& lp = req.launch_parameters;
    const std::shared_ptr<ExecCancel> cancel = nd.cancel;
    struct Unregister {
      LocalDevboxService& s;
      const std::string& id;
      ~Unregister() {
        std::lock_guard lock(s.provisioning_mu_);
        s.provisioning_.erase(id);
      }
    } unregister{*this, d.id};
    try {
      if (shutting_down(d.id)) throw shut_down_while_provisioned(d.id);
      const fs::path home = home_of(d.id);
      if (!nd.from_snapshot.empty()) {
        say("copying snapshot " + nd.from_snapshot + " into the home");
        copy_snapshot(nd.from_snapshot, home);
      } else {
        fs::create_directories(home);
      }
      const LaunchSpec launch{nd.limits, req.environment_variables, lp.network};
      auto rt = runtimes_.runtime(d.id, &launch);
      std::lock_guard lock(rt->mu);
      for (const auto& [path, contents] : req.file_mounts) {
        say("writing " + path);
        rt->sandbox->write_file(path, contents);
      }
      for (const auto& cmd : lp.launch_commands) {
        if (closing_)
          throw PlatformError(ErrorKind::unavailable, "the server stopped while it provisioned");
        if (shutting_down(d.id)) throw shut_down_while_provisioned(d.id);
        say("launch command: " + cmd);
        rows_.log(d.id,
                  log_line(now_ms(), "setup_commands", "info", "launch command started", cmd));
        ExecOptions eo;
        eo.timeout = std::chrono::minutes(10);
        eo.cancel = cancel;
        auto r = rt->sandbox->run(cmd, eo);
        if (r.cancelled && shutting_down(d.id)) {
          DevboxLog stopped = log_line(now_ms(), "setup_commands", "warn",
                                       "launch command killed: the devbox was shut down", cmd);
          stopped.exit_code = r.exit_code;
          rows_.log(d.id, stopped);
          throw shut_down_while_provisioned(d.id);
        }
        DevboxLog done = log_line(now_ms(), "setup_commands", r.exit_code == 0 ? "info" : "error",
                                  "launch command exited with " + std::to_string(r.exit_code), cmd);
        done.exit_code = r.exit_code;
        if (r.exit_code != 0) done.message += ": " + r.err.data.substr(0, 2000);
        rows_.log(d.id, done);
        if (r.exit_code != 0) {
          std::string why = "launch command `" + cmd + "` exited with " +
                            std::to_string(r.exit_code) + ": " + r.err.data.substr(0, 2000);
          rows_.transition(d.id, "failure", "execution_failed");
          throw PlatformError(ErrorKind::conflict, "devbox " + d.id + " failed to start: " + why +
                                                       "; fix the command and create a new devbox");
        }
      }
    } catch (const PlatformError& e) {
      // Shut down meanwhile: shutdown() records the end, not a failure.
      if (!shutting_down(d.id) && get(d.id).status == "provisioning")
        rows_.transition(d.id, "failure", "execution_failed");
      runtimes_.drop(d.id);
      if (e.kind() == ErrorKind::conflict) throw;
      throw PlatformError(e.kind(), "devbox " + d.id + " failed to start: " + e.what());
    } catch (const std::exception& e) {
      if (!shutting_down(d.id) && get(d.id).status == "provisioning")
        rows_.transition(d.id, "failure", "execution_failed");
      runtimes_.drop(d.id);
      throw PlatformError(ErrorKind::internal,
                          "devbox " + d.id + " failed to start: " + std::string(e.what()));
    }
    // Shut down meanwhile (create_and_await_running hands the id out early): stays so.
    if (shutting_down(d.id) || get(d.id).status != "provisioning")
      throw shut_down_while_provisioned(d.id);
    rows_.transition(d.id, "running");
  }

  // Whether shutdown() has begun on a devbox that provisions in this process.
  bool shutting_down(const std::string& id) {
    std::lock_guard lock(provisioning_mu_);
    auto it = provisioning_.find(id);
    return it != provisioning_.end() && it->second.shutting_down;
  }

  static PlatformError shut_down_while_provisioned(const std::string& id) {
    return PlatformError(ErrorKind::conflict,
                         "devbox " + id + " was shut down while it was provisioned");
  }

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
  fs::path snapshot_dir(const std::string& id) const {
    return options_.data_dir / "devbox_snapshots" / id;
  }
  fs::path snapshot_home(const std::string& id) const { return snapshot_dir(id) / "home"; }

  // Copies the snapshot's home to `home`; delete_snapshot waits for the copy (refuses meanwhile).
  // Throws not_found when the snapshot was deleted since the devbox was recorded.
  void copy_snapshot(const std::string& snapshot_id, const fs::path& home) {
    {
      std::lock_guard lock(snapshot_mu_);
      if (snapshot_status(snapshot_id).status != "complete")
        throw PlatformError(ErrorKind::not_found, "snapshot " + snapshot_id +
                                                      " was deleted while the devbox was created");
      ++copying_[snapshot_id];
    }
    auto done = [&] {
      std::lock_guard lock(snapshot_mu_);
      if (--copying_[snapshot_id] == 0) copying_.erase(snapshot_id);
    };
    try {
      copy_tree_exact(snapshot_home(snapshot_id), home);
    } catch (...) {
      done();
      throw;
    }
    done();
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
    if (req.attach_stdin && !sync && !req.shell_name.empty())
      throw PlatformError(ErrorKind::invalid,
                          "attach_stdin works only without shell_name here: a persistent shell "
                          "reads its commands from its own stdin");
    auto live = std::make_shared<LiveExecution>();
    live->devbox_id = req.devbox_id;
    live->stdin_attached = req.attach_stdin && !sync;
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
      CommandOptions o;
      o.working_dir = req.working_dir;
      o.timeout = req.timeout;
      o.output_cap = cap;
      o.on_line = on_line;
      o.cancel = req.cancel;  // the caller's signal kills the command's processes
      if (req.shell_name.empty()) {
        ExecOptions one_shot;
        static_cast<CommandOptions&>(one_shot) = std::move(o);
        one_shot.stdin_pipe = live->stdin_attached;
        live->exec = rt->sandbox->start(req.command, std::move(one_shot));
      } else {
        auto& shell = rt->shells[req.shell_name];
        if (!shell) shell = rt->sandbox->open_shell();
        live->exec = shell->start(req.command, std::move(o));
      }
    } catch (...) {
      rows_.delete_execution(id);
      throw;
    }
    rows_.set_execution_status(id, live->exec->status());
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
    {
      // Provisioning here: its launch command is killed (its whole sandbox container) rather
      // than waited for; provision() then stops and leaves the status to this.
      std::lock_guard lock(provisioning_mu_);
      if (auto it = provisioning_.find(id); it != provisioning_.end()) {
        it->second.shutting_down = true;
        it->second.cancel->cancel();
      }
    }
    // The measured figures go with the sandbox's cgroups and the home: keep them for usage().
    json final = json::object();
    if (auto su = runtimes_.usage(id)) {
      if (su->cpu_time_ns) final["cpu_time_ns"] = *su->cpu_time_ns;
      if (su->peak_memory_bytes) final["peak_memory_bytes"] = *su->peak_memory_bytes;
    }
    if (std::error_code ec; fs::is_directory(home_of(id), ec))
      final["disk_bytes"] = disk_usage(home_of(id));
    if (!final.empty()) rows_.set_final_usage(id, final);
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
  std::atomic<bool> closing_{false};
  // The devboxes provisioning in this process: the token that kills their launch command.
  struct Provisioning {
    std::shared_ptr<ExecCancel> cancel;
    bool shutting_down = false;
  };
  std::mutex provisioning_mu_;
  std::map<std::string, Provisioning> provisioning_;
  std::mutex snapshot_mu_;                // orders delete_snapshot against copies out of one
  std::map<std::string, int> copying_;    // snapshot id -> copies out of it running here
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
