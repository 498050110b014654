#include <spdlog/spdlog.h>
#include <unistd.h>

#include <thread>

#include "platform/local/devboxes/local_devbox_service.hpp"
#include "platform/local/devboxes/redacting_devboxes.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

using json = nlohmann::json;

LocalDevboxService::LocalDevboxService(const LocalDevboxOptions& options)
    : options_(options),
      rows_(open_rows(options_)),
      secrets_(std::make_shared<DevboxSecrets>(options_.data_dir)),
      runtimes_(options_, rows_, *secrets_),
      executions_(options_.max_executions),
      blueprints_(rows_.database(), rows_.owner()) {
  rows_.fail_lost_executions();
  blueprints_.fail_orphaned_builds();
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

LocalDevboxService::~LocalDevboxService() {
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

Devbox LocalDevboxService::get(const std::string& id) {
  return with_tunnels(rows_.get(id));
}

DevboxPage LocalDevboxService::list(const DevboxListRequest& req) {
  DevboxPage page = rows_.list(req);
  for (auto& d : page.devboxes) d = with_tunnels(std::move(d));
  return page;
}

Devbox LocalDevboxService::update(const std::string& id, const DevboxUpdateRequest& req) {
  rows_.update(id, req);
  return get(id);
}

Devbox LocalDevboxService::wait_for_status(const std::string& id,
                                           const std::vector<std::string>& statuses,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Devbox d = get(id);
    if (contains(statuses, d.status) || Clock::now() >= deadline) return d;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

DevboxFile LocalDevboxService::read_file(const std::string& devbox_id, const std::string& path,
                                         std::uint64_t offset,
                                         std::optional<std::uint64_t> length) {
  auto d = require_status(devbox_id, {"running", "suspended"}, "read files");
  rows_.touch(devbox_id);
  auto fc = read_home_file(home_of(d.id), path, offset, length);
  return {std::move(fc.data), fc.size};
}

void LocalDevboxService::write_file(const std::string& devbox_id, const std::string& path,
                                    std::string_view data) {
  require_status(devbox_id, {"running", "suspended"}, "write files");
  rows_.touch(devbox_id);
  auto rt = runtimes_.runtime(devbox_id);
  rt->sandbox->write_file(path, data);
  rows_.log(devbox_id, log_line(now_ms(), "files", "info",
                                "wrote " + std::to_string(data.size()) + " bytes to " + path));
}

Devbox LocalDevboxService::suspend(const std::string& id) {
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

Devbox LocalDevboxService::resume(const std::string& id) {
  auto rt = runtimes_.runtime(id);
  std::lock_guard lock(rt->mu);
  require_status(id, {"suspended"}, "resume it");
  rows_.transition(id, "resuming");
  rt->sandbox->resume();
  rows_.transition(id, "running");
  rows_.touch(id);
  return get(id);
}

void LocalDevboxService::keep_alive(const std::string& id) {
  auto d = get(id);
  if (devbox_status_is_terminal(d.status))
    throw PlatformError(ErrorKind::conflict,
                        "devbox " + id + " is " + d.status + "; create a new devbox");
  rows_.touch(id);
}

Devbox LocalDevboxService::shutdown(const std::string& id) {
  return shutdown_with(id, "api_shutdown");
}

DevboxRows LocalDevboxService::open_rows(const LocalDevboxOptions& options) {
  std::error_code ec;
  fs::create_directories(options.data_dir / "devboxes", ec);
  fs::create_directories(options.data_dir / "devbox_snapshots", ec);
  if (!ec) fs::create_directories(options.data_dir / "blueprints", ec);
  if (ec)
    throw PlatformError(ErrorKind::unavailable,
                        "cannot create the devbox directories under " + options.data_dir.string() +
                            ": " + ec.message() +
                            "; check the data dir's permissions or pass --data-dir");
  return DevboxRows(open_platform_database(options.data_dir), process_token(::getpid()));
}

fs::path LocalDevboxService::home_of(const std::string& id) const {
  return runtimes_.home_of(id);
}

Devbox LocalDevboxService::require_status(const std::string& id,
                                          const std::vector<std::string>& allowed,
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

Devbox LocalDevboxService::shutdown_with(const std::string& id, const std::string& reason) {
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

std::shared_ptr<DevboxService> open_local_devboxes(const LocalDevboxOptions& options) {
  if (options.data_dir.empty())
    throw PlatformError(ErrorKind::unavailable,
                        "no data dir for devboxes; pass --data-dir or set RUNAGENTS_DATA_DIR");
  auto service = std::make_shared<LocalDevboxService>(options);
  auto secrets = service->secrets();
  return std::make_shared<RedactingDevboxes>(std::move(service), std::move(secrets));
}

}  // namespace runagents::platform::local
