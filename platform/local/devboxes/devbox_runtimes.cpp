#include "platform/local/devboxes/devbox_runtimes.hpp"

#include <unistd.h>

#include <atomic>

#include "platform/error.hpp"

namespace runagents::platform::local {

namespace {

int next_instance() {
  static std::atomic<int> n{0};
  return ++n;
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

}  // namespace

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

DevboxRuntimes::DevboxRuntimes(const LocalDevboxOptions& options, DevboxRows& rows,
                               DevboxSecrets& secrets)
    : options_(options), rows_(rows), secrets_(secrets), instance_(next_instance()) {}

std::filesystem::path DevboxRuntimes::home_of(const std::string& id) const {
  return options_.data_dir / "devboxes" / id / "home";
}

std::shared_ptr<Runtime> DevboxRuntimes::runtime(const std::string& id, const LaunchSpec* launch) {
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
  if (launch) {
    spec.limits = launch->limits;
    spec.env = launch->env;
    spec.network = launch->network;
  } else {
    StoredLaunch stored = rows_.launch(id);
    if (devbox_status_is_terminal(stored.status))
      throw PlatformError(ErrorKind::conflict, "devbox " + id + " is " + stored.status +
                                                   "; it is final, create a new devbox");
    spec.limits = limits_for(stored.launch_parameters.resources);
    spec.env = std::move(stored.environment);
    for (auto& [name, value] : secrets_.environment(id)) spec.env[name] = std::move(value);
    spec.network = stored.launch_parameters.network;
  }
  auto rt = std::make_shared<Runtime>();
  rt->sandbox = std::make_unique<Sandbox>(std::move(spec));
  runtimes_[id] = rt;
  return rt;
}

void Runtime::close_tunnels() {
  std::lock_guard lock(tunnel_mu);
  forwards.clear();
  tunnel.reset();
}

std::shared_ptr<Runtime> DevboxRuntimes::existing(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = runtimes_.find(id);
  return it == runtimes_.end() ? nullptr : it->second;
}

void DevboxRuntimes::drop(const std::string& id) {
  std::shared_ptr<Runtime> rt;
  {
    std::lock_guard lock(mu_);
    auto it = runtimes_.find(id);
    if (it == runtimes_.end()) return;
    rt = it->second;
    runtimes_.erase(it);
  }
  std::lock_guard lock(rt->mu);
  rt->close_tunnels();
  if (rt->sandbox) rt->sandbox->kill_all();
  rt->shells.clear();
  rt->sandbox.reset();
}

void DevboxRuntimes::for_each_runtime(const std::function<void(Runtime&)>& fn) {
  std::map<std::string, std::shared_ptr<Runtime>> runtimes;
  {
    std::lock_guard lock(mu_);
    runtimes = runtimes_;
  }
  for (auto& [_, rt] : runtimes) {
    std::lock_guard lock(rt->mu);
    fn(*rt);
  }
}

void DevboxRuntimes::kill_all() {
  for_each_runtime([](Runtime& rt) {
    rt.close_tunnels();
    if (rt.sandbox) rt.sandbox->kill_all();
  });
}

void DevboxRuntimes::close_all() {
  for_each_runtime([](Runtime& rt) {
    rt.close_tunnels();
    rt.shells.clear();
    rt.sandbox.reset();
  });
}

void DevboxRuntimes::add_live(const std::string& exec_id, std::shared_ptr<LiveExecution> live) {
  std::lock_guard lock(mu_);
  live_[exec_id] = std::move(live);
}

std::shared_ptr<LiveExecution> DevboxRuntimes::live(const std::string& exec_id) {
  std::lock_guard lock(mu_);
  auto it = live_.find(exec_id);
  return it == live_.end() ? nullptr : it->second;
}

void DevboxRuntimes::retire(const std::string& exec_id, LiveExecution& live,
                            const std::function<void()>& record) {
  std::lock_guard lock(mu_);
  if (!live.recorded) {
    live.recorded = true;
    record();
  }
  live.slot.reset();  // the command has ended and is recorded: another may start
  // Recorded: the row answers from now on. Dropping the live entry frees the command's output
  // buffers and its hold on the caller's cancel signal (and that signal's eventfd), which a
  // long-lived devbox would otherwise collect one per command until it shut down.
  live_.erase(exec_id);
}

void DevboxRuntimes::forget_devbox(const std::string& devbox_id) {
  std::lock_guard lock(mu_);
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->second->devbox_id != devbox_id) {
      ++it;
      continue;
    }
    it->second->slot.reset();  // killed: no longer running, whenever its finisher records it
    it = live_.erase(it);
  }
}

std::optional<SandboxUsage> DevboxRuntimes::usage(const std::string& id) {
  // Under the maps' lock: drop() takes a runtime out of the map before it resets its sandbox.
  std::lock_guard lock(mu_);
  auto it = runtimes_.find(id);
  if (it == runtimes_.end() || !it->second->sandbox) return std::nullopt;
  return it->second->sandbox->usage();
}

bool DevboxRuntimes::busy(const std::string& devbox_id) {
  std::lock_guard lock(mu_);
  for (const auto& [_, l] : live_)
    if (l->devbox_id == devbox_id && l->exec->status() != ExecStatus::completed) return true;
  return false;
}

}  // namespace runagents::platform::local
