#include "platform/local/sandbox/cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace runagents::platform::local::detail {

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

bool contains(const std::vector<std::string>& v, const std::string& x) {
  for (const auto& e : v)
    if (e == x) return true;
  return false;
}

// The directory of this process's cgroup in the v1 hierarchy of `controller`, or "" with `why`.
std::string own_cgroup_dir(const std::string& controller, std::string& why) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, mount_point, root;
  while (std::getline(mountinfo, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto left = split(line.substr(0, dash), ' ');
    auto right = split(line.substr(dash + 3), ' ');
    if (left.size() < 5 || right.size() < 3 || right[0] != "cgroup") continue;
    if (!contains(split(right[2], ','), controller)) continue;
    root = left[3];
    mount_point = left[4];
    break;
  }
  if (mount_point.empty()) {
    why = "no cgroup v1 hierarchy with the " + controller + " controller is mounted";
    return "";
  }
  std::ifstream cgroups("/proc/self/cgroup");
  std::string path;
  while (std::getline(cgroups, line)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    if (!contains(split(line.substr(first + 1, second - first - 1), ','), controller)) continue;
    path = line.substr(second + 1);
    break;
  }
  if (root != "/" && path.rfind(root, 0) == 0) path = path.substr(root.size());
  if (path == "/") path.clear();
  return mount_point + path;
}

// Writes `value` to a cgroup file; returns 0 or an errno.
int write_file(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = n == static_cast<ssize_t>(value.size()) ? 0 : (n < 0 ? errno : EIO);
  ::close(fd);
  return err;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Creates <own cgroup>/runagents/<id> of `controller`; returns it, or "" with `why`.
std::string make_dir(const std::string& controller, const std::string& id, std::string& why) {
  std::string base = own_cgroup_dir(controller, why);
  if (base.empty()) return "";
  base += "/runagents";
  if (::mkdir(base.c_str(), 0755) != 0 && errno != EEXIST) {
    why = "cannot create " + base + ": " + std::strerror(errno);
    return "";
  }
  std::string dir = base + "/" + id;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why = "cannot create " + dir + ": " + std::strerror(errno);
    return "";
  }
  return dir;
}

void remove_dir(const std::string& dir) {
  // A cgroup directory can be removed only once its last task has been reaped, which can take a
  // moment after SIGKILL.
  for (int i = 0; i < 100; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

SandboxCgroups::SandboxCgroups(const std::string& sandbox_id, const ResourceLimits& limits,
                               bool enabled) {
  if (!enabled) {
    note_ = "cgroups disabled by the sandbox spec";
    usage_note_ = note_;
    return;
  }
  auto add_note = [&](const std::string& controller, const std::string& why) {
    if (!note_.empty()) note_ += "; ";
    note_ += controller + " cgroup unavailable (" + why + ")";
  };
  std::string why;

  if (auto dir = make_dir("pids", sandbox_id, why); !dir.empty()) {
    if (int err = write_file(dir + "/pids.max", std::to_string(limits.max_processes)); err) {
      add_note("pids", "cannot write pids.max: " + std::string(std::strerror(err)));
      remove_dir(dir);
    } else {
      pids_dir_ = dir;
    }
  } else {
    add_note("pids", why);
  }

  if (auto dir = make_dir("memory", sandbox_id, why); !dir.empty()) {
    std::string bytes = std::to_string(limits.memory_bytes);
    std::string memsw = dir + "/memory.memsw.limit_in_bytes";
    // With swap accounting, memory+swap must never be below memory: raise in the right order.
    int err = write_file(dir + "/memory.limit_in_bytes", bytes);
    if (exists(memsw)) {
      if (err == EINVAL) {
        err = write_file(memsw, bytes);
        if (!err) err = write_file(dir + "/memory.limit_in_bytes", bytes);
      } else if (!err) {
        err = write_file(memsw, bytes);
      }
    }
    if (err) {
      add_note("memory", "cannot set memory.limit_in_bytes: " + std::string(std::strerror(err)));
      remove_dir(dir);
    } else {
      memory_dir_ = dir;
    }
  } else {
    add_note("memory", why);
  }

  if (auto dir = make_dir("freezer", sandbox_id, why); !dir.empty()) {
    if (int err = write_file(dir + "/freezer.state", "THAWED"); err) {
      add_note("freezer", "cannot write freezer.state: " + std::string(std::strerror(err)));
      remove_dir(dir);
    } else {
      freezer_dir_ = dir;
      freezer_parent_ = dir.substr(0, dir.rfind('/'));
    }
  } else {
    add_note("freezer", why);
  }

  // Accounting only: no limit is set, so a missing cpuacct hierarchy changes no enforcement.
  if (auto dir = make_dir("cpuacct", sandbox_id, why); !dir.empty())
    cpuacct_dir_ = dir;
  else
    usage_note_ = "cpuacct cgroup unavailable (" + why + ")";
  if (memory_dir_.empty()) {
    if (!usage_note_.empty()) usage_note_ += "; ";
    usage_note_ += "memory cgroup unavailable";
  }

  for (const auto* dir : {&pids_dir_, &memory_dir_, &freezer_dir_, &cpuacct_dir_})
    if (!dir->empty()) join_files_.push_back(*dir + "/tasks");
}

SandboxCgroups::~SandboxCgroups() {
  kill_all();
  for (const auto* dir : {&pids_dir_, &memory_dir_, &freezer_dir_, &cpuacct_dir_})
    if (!dir->empty()) remove_dir(*dir);
}

bool SandboxCgroups::freeze(int timeout_ms) {
  if (!has_freezer()) return false;
  if (write_file(freezer_dir_ + "/freezer.state", "FROZEN") != 0) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (read_file(freezer_dir_ + "/freezer.state").rfind("FROZEN", 0) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  thaw();
  return false;
}

void SandboxCgroups::thaw() {
  if (has_freezer()) write_file(freezer_dir_ + "/freezer.state", "THAWED");
}

std::vector<pid_t> SandboxCgroups::processes() const {
  std::vector<pid_t> pids;
  const std::string& dir = has_pids() ? pids_dir_ : has_freezer() ? freezer_dir_ : memory_dir_;
  if (dir.empty()) return pids;
  std::ifstream in(dir + "/cgroup.procs");
  pid_t pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

void SandboxCgroups::kill_all() {
  for (int round = 0; round < 200; ++round) {
    auto pids = processes();
    if (pids.empty()) return;
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    thaw();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SandboxCgroups::release(const std::vector<pid_t>& pids) {
  if (!has_freezer() || pids.empty()) return;
  if (read_file(freezer_dir_ + "/freezer.state").rfind("THAWED", 0) == 0) return;
  // Moving a task into a cgroup that is not freezing thaws it.
  for (pid_t pid : pids) write_file(freezer_parent_ + "/cgroup.procs", std::to_string(pid));
}

std::uint64_t SandboxCgroups::oom_kills() const {
  if (!has_memory()) return 0;
  std::istringstream in(read_file(memory_dir_ + "/memory.oom_control"));
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value)
    if (key == "oom_kill") return value;
  return 0;
}

namespace {

std::optional<std::uint64_t> read_number(const std::string& path) {
  std::istringstream in(read_file(path));
  std::uint64_t value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> SandboxCgroups::cpu_time_ns() const {
  if (cpuacct_dir_.empty()) return std::nullopt;
  return read_number(cpuacct_dir_ + "/cpuacct.usage");
}

std::optional<std::uint64_t> SandboxCgroups::peak_memory_bytes() const {
  if (!has_memory()) return std::nullopt;
  return read_number(memory_dir_ + "/memory.max_usage_in_bytes");
}

std::optional<std::uint64_t> SandboxCgroups::memory_bytes() const {
  if (!has_memory()) return std::nullopt;
  return read_number(memory_dir_ + "/memory.usage_in_bytes");
}

}  // namespace runagents::platform::local::detail
