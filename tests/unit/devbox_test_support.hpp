// Helpers shared by the local devbox tests (devbox_local_test.cpp, devbox_hostile_test.cpp):
// opening a local DevboxService on a temporary data dir, running commands, and looking at the
// host's processes from outside the sandboxes.
#pragma once

#include <dirent.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform_test_support.hpp"
#include "proc_text.hpp"

namespace runagents::platform::testing {

// Whether bubblewrap can create sandboxes here; when not, says why (the caller then returns).
inline bool devbox_usable() {
  auto s = local::check_sandbox_support();
  if (!s.usable) MESSAGE("skipped: " << s.message);
  return s.usable;
}

// A local DevboxService on `dir` with a fast reaper.
inline std::shared_ptr<DevboxService> open_devboxes(const TempDir& dir) {
  local::LocalDevboxOptions o;
  o.data_dir = dir.path;
  o.reaper_interval = std::chrono::milliseconds(200);
  return local::open_local_devboxes(o);
}

inline Devbox create_devbox(DevboxService& s, const DevboxCreateRequest& r = {}) {
  return s.create(r, {});
}

// Runs `cmd` to completion (30 s timeout), in a fresh shell or in the named `shell`.
inline DevboxExecution run_in(DevboxService& s, const std::string& id, const std::string& cmd,
                              const std::string& shell = {}) {
  ExecRequest r;
  r.devbox_id = id;
  r.command = cmd;
  r.shell_name = shell;
  r.timeout = std::chrono::seconds(30);
  return s.execute(r);
}

// The kind of the PlatformError `f` throws; fails the test when it throws none.
inline ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return e.kind();
  }
  FAIL("no PlatformError thrown");
  return ErrorKind::internal;
}

// Calls `f(pid, cmdline)` for each host process but this one (cmdline with NULs as spaces).
template <typename F>
void for_each_host_process(F f) {
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return;
  while (auto* e = ::readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid == ::getpid()) continue;
    std::string cmd = read_proc_text(std::string("/proc/") + e->d_name + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    f(pid, cmd);
  }
  ::closedir(d);
}

// Host processes whose command line contains `marker`, not counting the shells and bwrap
// wrappers whose script mentions it ("bash -c ..."): the commands themselves.
inline int host_processes_with(const std::string& marker) {
  int n = 0;
  for_each_host_process([&](pid_t, const std::string& cmd) {
    if (cmd.find(marker) != std::string::npos && cmd.find("bash -c") == std::string::npos) ++n;
  });
  return n;
}

// The parent of host process `pid`, or 0.
inline pid_t host_parent(pid_t pid) {
  const std::string stat = read_proc_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return 0;
  return static_cast<pid_t>(std::atoi(stat.c_str() + close + 4));  // ") S ppid"
}

// The processes of containers kept ready for a sandbox's next command (platform/local/sandbox/
// sandbox.cpp, "Ready containers"): each helper still waiting for its command, its parent (the
// container's init) and grandparent (bwrap). They are no command's, so the counts below leave
// them out; once a command is in a container, its helper has become the command.
inline std::set<pid_t> ready_container_processes() {
  std::set<pid_t> out;
  for_each_host_process([&](pid_t pid, const std::string& cmd) {
    const auto space = cmd.find(' ');
    if (space == std::string::npos ||
        !std::string_view(cmd).substr(0, space).ends_with("drop-privileges") ||
        cmd.compare(space + 1, 18, "--command-on-stdin") != 0)
      return;
    out.insert(pid);
    const pid_t init = host_parent(pid);
    if (init > 0) out.insert(init);
    if (const pid_t bwrap = init > 0 ? host_parent(init) : 0; bwrap > 0) out.insert(bwrap);
  });
  return out;
}

// Every host process that belongs to devbox `devbox_id`, as seen from outside: those in one of its
// sandbox's cgroups (runagents/<devbox id>.p<pid>.<n>) and, so that the count holds without
// cgroups too, those whose command line (the shell's, or bwrap's when it was started for the
// command) contains `marker`.
inline int devbox_host_processes(const std::string& devbox_id, const std::string& marker) {
  int n = 0;
  const std::string group = "/runagents/" + devbox_id + ".p";
  const std::set<pid_t> ready = ready_container_processes();
  for_each_host_process([&](pid_t pid, const std::string& cmd) {
    if (ready.count(pid)) return;
    const std::string groups = read_proc_text("/proc/" + std::to_string(pid) + "/cgroup");
    if (groups.find(group) != std::string::npos ||
        (!marker.empty() && cmd.find(marker) != std::string::npos))
      ++n;
  });
  return n;
}

// Host processes in a cgroup of devbox `devbox_id` (0 when its sandbox has no cgroups).
inline int devbox_cgroup_processes(const std::string& devbox_id) {
  return devbox_host_processes(devbox_id, "");
}

// A string unique to this test run, usable as an extra `sleep` argument (sleep adds them up) and
// as a marker in command lines.
inline std::string unique_marker() {
  static std::atomic<int> n{0};
  return "0.0" + std::to_string(::getpid()) + "0" + std::to_string(++n) + "7";
}

}  // namespace runagents::platform::testing
