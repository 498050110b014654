#include <sys/stat.h>

#include <set>
#include <thread>

#include "platform/local/devboxes/local_devbox_service.hpp"

namespace runagents::platform::local {

using json = nlohmann::json;

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

DevboxUsage LocalDevboxService::usage(const std::string& devbox_id) {
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
    const std::int64_t next =
        i + 1 < d.state_transitions.size() ? d.state_transitions[i + 1].transition_time_ms : until;
    active_ms += std::max<std::int64_t>(0, next - d.state_transitions[i].transition_time_ms);
  }
  u.total_active_seconds = double(active_ms) / 1000.0;

  // The billing figures as Runloop defines them, from what the sandbox may use: its memory
  // limit, the CPUs it asked for (else the host's: local sandboxes are not held to fewer) and
  // the home's size (local devboxes have no disk quota).
  const auto& res = d.launch_parameters.resources;
  const double vcpus = res.custom_cpu_cores > 0 ? res.custom_cpu_cores
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

}  // namespace runagents::platform::local
