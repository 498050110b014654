#include "platform/local/sandbox/sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "platform/local/sandbox/command_support.hpp"
#include "platform/local/sandbox/exec_state.hpp"
#include "platform/local/sandbox/orphan_reaper.hpp"
#include "platform/local/sandbox/sandbox_core.hpp"
#include "platform/local/sandbox/sandbox_environment.hpp"
#include "platform/local/sandbox/sandbox_network.hpp"
#include "platform/local/sandbox/shell_core.hpp"

extern char** environ;

namespace runagents::platform::local {

namespace {

using detail::Clock;
using namespace std::chrono_literals;

bool is_executable(const std::string& path) {
  return ::access(path.c_str(), X_OK) == 0;
}

std::string find_bwrap(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("RUNAGENTS_BWRAP"); env != nullptr && *env != '\0') return env;
  if (const char* path = std::getenv("PATH")) {
    std::string dirs = path;
    std::size_t start = 0;
    while (start <= dirs.size()) {
      std::size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string dir = dirs.substr(start, end - start);
      if (!dir.empty() && is_executable(dir + "/bwrap")) return dir + "/bwrap";
      start = end + 1;
    }
  }
  return "/usr/bin/bwrap";
}

// Runs `argv` on the host with a clean environment; returns its exit status and output
// (stdout and stderr together), or -1 when it could not run.
int run_host(const std::vector<std::string>& argv, std::string& output) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  char path_env[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {path_env, nullptr};
  pid_t pid;
  int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  if (rc == 0) detail::note_new_child();  // the probe's bwrap leaves an init behind too
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    errno = rc;
    return -1;
  }
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && output.size() < 65536) output.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr uid_t kNobody = 65534;

bool server_is_root() {
  return ::geteuid() == 0;
}

// Which network namespace a bwrap lands in (see sandbox_network.hpp).
enum class Isolation {
  own,     // a new one with only `lo` (the support probe)
  holder,  // a new one that the sandbox's containers will join
  joined,  // the sandbox's: the child entered it before exec, bwrap keeps it
};

// Namespaces and capabilities. A root server runs bwrap privileged and without a user namespace,
// keeping only what setpriv needs to switch to the sandbox's unprivileged uid (see
// privilege_drop); the host's uid 0 never runs user code, because root passes permission checks
// that no namespace takes away (writing /proc/sys, for one). Any other server runs bwrap
// unprivileged in a user namespace, as its own uid. The holder keeps no capability (its caller
// may add CAP_NET_ADMIN, which then holds in the new namespaces only).
std::vector<std::string> isolation_args(const std::string& bwrap, Isolation mode, uid_t uid = 0,
                                        gid_t gid = 0) {
  std::vector<std::string> args = {bwrap};
  auto add = [&](std::initializer_list<const char*> more) {
    args.insert(args.end(), more.begin(), more.end());
  };
  if (server_is_root()) {
    add({"--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"});
    if (mode != Isolation::joined) add({"--unshare-net"});
    if (mode == Isolation::holder) {
      add({"--cap-drop", "ALL"});
    } else {
      // CAP_DAC_READ_SEARCH lets bwrap enter a home that only the sandbox's user may enter.
      add({"--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add",
           "CAP_SETPCAP", "--cap-add", "CAP_DAC_READ_SEARCH"});
    }
  } else {
    add({"--unshare-all"});
    if (mode == Isolation::holder) {
      // The server's uid is root of the holder's user namespace: the holder may then have
      // CAP_NET_ADMIN over the network namespace, and the containers joining it may make user
      // namespaces of their own inside it.
      add({"--uid", "0", "--gid", "0"});
    } else if (mode == Isolation::joined) {
      // bwrap starts as root of the holder's user namespace; the sandbox gets the server's ids.
      add({"--share-net"});
      args.insert(args.end(), {"--uid", std::to_string(uid), "--gid", std::to_string(gid)});
    }
    add({"--cap-drop", "ALL"});
  }
  add({"--die-with-parent", "--new-session"});
  return args;
}

// The host system, read-only; merged-/usr links are recreated as links. The sandbox's uid owns
// none of it, so what the host keeps from other users (/etc/shadow) stays unreadable.
void add_system_binds(std::vector<std::string>& args) {
  for (const char* path :
       {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}) {
    struct stat st;
    if (::lstat(path, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlink(path, target, sizeof target - 1);
      if (n <= 0) continue;
      args.insert(args.end(),
                  {"--symlink", std::string(target, static_cast<std::size_t>(n)), path});
    } else if (S_ISDIR(st.st_mode)) {
      args.insert(args.end(), {"--ro-bind", path, path});
    }
  }
}

// The bwrap of a sandbox's network holder, up to its command (sandbox_network.hpp adds it).
std::vector<std::string> holder_args(const std::string& bwrap, bool fence_host) {
  std::vector<std::string> args = isolation_args(bwrap, Isolation::holder);
  if (fence_host) args.insert(args.end(), {"--cap-add", "CAP_NET_ADMIN"});
  args.insert(args.end(), {"--info-fd", std::to_string(detail::kInfoFd)});
  add_system_binds(args);
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--"});
  return args;
}

// Where the sandbox reads its resolv.conf: /etc/resolv.conf, or the file its links lead to
// (systemd-resolved links it into /run), followed lexically since /run is not in the sandbox.
std::filesystem::path resolv_conf_location() {
  std::filesystem::path p = "/etc/resolv.conf";
  for (int hop = 0; hop < 8; ++hop) {
    std::error_code ec;
    if (!std::filesystem::is_symlink(p, ec)) break;
    auto target = std::filesystem::read_symlink(p, ec);
    if (ec) break;
    p = (target.is_absolute() ? target : p.parent_path() / target).lexically_normal();
  }
  return p;
}

// Shows the file at kDataFd as the sandbox's resolv.conf: over the host's where the system dirs
// show it, else where its links lead under /run (bwrap creates the directories in the sandbox's
// root).
void add_resolv_conf(std::vector<std::string>& args) {
  const std::string file = std::to_string(detail::kDataFd);
  const auto where = resolv_conf_location();
  const std::string text = where.string();
  auto under = [&](const char* dir) { return text.rfind(std::string(dir) + "/", 0) == 0; };
  std::error_code ec;
  if ((under("/etc") || under("/usr")) && std::filesystem::is_regular_file(where, ec)) {
    args.insert(args.end(), {"--perms", "0644", "--ro-bind-data", file, text});
  } else if (under("/run") || under("/var/run")) {
    std::vector<std::string> parents;
    for (auto p = where.parent_path(); p != p.root_path(); p = p.parent_path())
      parents.insert(parents.begin(), p.string());
    for (const auto& p : parents) args.insert(args.end(), {"--perms", "0755", "--dir", p});
    args.insert(args.end(), {"--perms", "0644", "--ro-bind-data", file, text});
  }
  // Anywhere else the host's resolv.conf stays; its servers are reached through slirp4netns too,
  // unless they are loopback addresses of the host.
}

// The drop-privileges helper built and installed with the server
// (platform/local/sandbox/drop_privileges_main.c): <dir of the binary>/libexec/runagents-mcp/ in
// the build tree, <dir>/../libexec/runagents-mcp/ once installed. Empty when it is not there;
// setpriv then does the same work, about 2 ms slower per command.
const std::string& drop_privileges_helper() {
  static const std::string path = [] {
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::string();
    for (const auto& dir : {exe.parent_path(), exe.parent_path().parent_path()}) {
      const auto candidate = dir / "libexec" / "runagents-mcp" / "drop-privileges";
      if (is_executable(candidate.string())) return candidate.string();
    }
    return std::string();
  }();
  return path;
}

// Where a container finds the helper: its own path when it lies under /usr (which every container
// binds), else the path container_args binds it to.
constexpr const char* kHelperInSandbox = "/.runagents/drop-privileges";
std::string helper_in_container() {
  const std::string& helper = drop_privileges_helper();
  if (helper.empty() || helper.rfind("/usr/", 0) == 0) return helper;
  return kHelperInSandbox;
}

// Whether commands start in ready containers (below): only with the helper, which reads them.
bool makes_ready_containers() {
  return server_is_root() && !helper_in_container().empty();
}

// What runs the command as `uid`/`gid` with no capabilities and no way to gain any (setuid
// binaries are inert: no_new_privs, and bwrap mounts everything nosuid): the helper at `helper`
// (its path as the container sees it), or setpriv without it. Empty when not root.
std::vector<std::string> privilege_drop(uid_t uid, gid_t gid, const std::string& helper) {
  if (!server_is_root()) return {};
  if (!helper.empty()) return {helper, std::to_string(uid), std::to_string(gid)};
  return {kSetpriv,
          "--reuid=" + std::to_string(uid),
          "--regid=" + std::to_string(gid),
          "--clear-groups",
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--no-new-privs",
          "--"};
}

SandboxSupport probe(const std::string& bwrap) {
  SandboxSupport support;
  support.bwrap_path = bwrap;
  if (!is_executable(bwrap)) {
    support.message = "bwrap not found (looked for " + bwrap +
                      "): install the bubblewrap package (apt-get install bubblewrap), or set "
                      "RUNAGENTS_BWRAP to its path";
    return support;
  }
  if (server_is_root() && drop_privileges_helper().empty() && !is_executable(kSetpriv)) {
    support.message = std::string(kSetpriv) +
                      " not found, nor runagents-mcp's own libexec/runagents-mcp/drop-privileges: "
                      "install the util-linux package, or runagents-mcp with its helper (a "
                      "server running as root needs one to run sandboxes as an unprivileged user)";
    return support;
  }
  std::string version;
  if (run_host({bwrap, "--version"}, version) == 0) support.bwrap_version = first_line(version);
  std::vector<std::string> argv = isolation_args(bwrap, Isolation::own);
  for (const char* a : {"--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--"})
    argv.emplace_back(a);
  // The whole host is bound here, so the helper is at its own path.
  for (auto& a : privilege_drop(kNobody, kNobody, drop_privileges_helper()))
    argv.push_back(std::move(a));
  argv.emplace_back("/bin/true");
  std::string output;
  int rc = run_host(argv, output);
  if (rc != 0) {
    support.message = "bwrap cannot create a sandbox on this host (" +
                      (rc < 0 ? std::string(std::strerror(errno)) : first_line(output)) + ")" +
                      (server_is_root() ? ""
                                        : ": it needs unprivileged user namespaces (sysctl "
                                          "user.max_user_namespaces > 0, and on some kernels "
                                          "kernel.unprivileged_userns_clone=1)");
    return support;
  }
  support.usable = true;
  return support;
}

// Arguments of every container of this sandbox, up to the per-command --chdir. Each starts inside
// the sandbox's network namespace (`network`).
std::vector<std::string> container_args(const SandboxSpec& spec, const std::string& bwrap,
                                        const detail::SandboxNetwork& network) {
  std::vector<std::string> args = isolation_args(bwrap, Isolation::joined, *spec.uid, *spec.gid);
  // {"child-pid": N} when the container starts, {"exit-code": N} when its command has ended.
  args.emplace_back("--json-status-fd");
  args.push_back(std::to_string(detail::kInfoFd));
  auto add = [&](std::initializer_list<std::string> more) {
    args.insert(args.end(), more.begin(), more.end());
  };
  add_system_binds(args);
  add({"--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm", "--perms",
       "1777", "--tmpfs", "/tmp"});
  add({"--perms", "0755", "--dir", "/home", "--bind", spec.home_dir.string(),
       std::string(kSandboxHome)});
  for (const auto& bind : spec.ro_binds) add({"--ro-bind", bind.host_path, bind.sandbox_path});
  if (server_is_root() && helper_in_container() == kHelperInSandbox)
    add({"--ro-bind", drop_privileges_helper(), kHelperInSandbox});
  if (network.resolv_conf_fd() >= 0) add_resolv_conf(args);
  add({"--remount-ro", "/"});
  return args;
}

void validate_spec(SandboxSpec& spec) {
  if (spec.id.empty() || spec.id.size() > 64 || spec.id == "." || spec.id == ".." ||
      !std::all_of(spec.id.begin(), spec.id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
      }))
    throw PlatformError(ErrorKind::invalid, "id '" + spec.id +
                                                "' is not valid: use 1-64 characters of "
                                                "letters, digits, '.', '_' and '-'");
  spec.limits.validate();
  if (spec.home_dir.empty())
    throw PlatformError(ErrorKind::invalid,
                        "home_dir is empty: give the host directory to "
                        "mount at /home/user");
  std::error_code ec;
  auto home = std::filesystem::canonical(spec.home_dir, ec);
  if (ec || !std::filesystem::is_directory(home))
    throw PlatformError(ErrorKind::not_found, "home_dir " + spec.home_dir.string() +
                                                  " is not an existing directory: create it "
                                                  "first");
  spec.home_dir = home;
  detail::validate_env(spec.env, "env");
  if (!spec.uid) spec.uid = server_is_root() ? kNobody : ::getuid();
  if (!spec.gid) spec.gid = server_is_root() ? kNobody : ::getgid();
  if (*spec.uid == 0 || *spec.gid == 0)
    throw PlatformError(ErrorKind::invalid,
                        "uid/gid 0 would run the sandbox as the host's root: give an "
                        "unprivileged uid and gid (the default is 65534, nobody)");
  if (!server_is_root() && (*spec.uid != ::getuid() || *spec.gid != ::getgid()))
    throw PlatformError(ErrorKind::invalid,
                        "uid/gid: only a server running as root can run sandboxes as another "
                        "user; leave them unset");
  for (const auto& bind : spec.ro_binds) {
    if (::access(bind.host_path.c_str(), F_OK) != 0)
      throw PlatformError(ErrorKind::not_found,
                          "ro_binds: host path " + bind.host_path + " does not exist");
    std::filesystem::path target(bind.sandbox_path);
    std::string normal = target.lexically_normal().string();
    auto within = [&](std::string_view dir) {
      return normal == dir || normal.rfind(std::string(dir) + "/", 0) == 0;
    };
    if (!target.is_absolute() || normal != bind.sandbox_path || normal == "/" || within("/proc") ||
        within("/dev") || within(kSandboxHome))
      throw PlatformError(ErrorKind::invalid,
                          "ro_binds: sandbox path '" + bind.sandbox_path +
                              "' is not allowed: give a normalised absolute path other than /, "
                              "and outside /proc, /dev and /home/user (e.g. /opt/tools)");
  }
}

// Gives the home to the sandbox's user: all of it when its top directory is not yet theirs (a new
// or restored home), else nothing (a home already in use).
void adopt_home(const std::filesystem::path& home, uid_t uid, gid_t gid) {
  struct stat st;
  if (::stat(home.c_str(), &st) != 0 || (st.st_uid == uid && st.st_gid == gid)) return;
  auto chown_one = [&](const std::filesystem::path& p) {
    if (::lchown(p.c_str(), uid, gid) != 0)
      throw PlatformError(ErrorKind::internal, "cannot give " + p.string() + " to uid " +
                                                   std::to_string(uid) + ": " +
                                                   std::strerror(errno));
  };
  chown_one(home);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(home, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    chown_one(it->path());
  if (ec)
    throw PlatformError(ErrorKind::internal,
                        "cannot walk the home " + home.string() + ": " + ec.message());
}

// Runs a one-shot command for an Execution: captures output, applies timeout and cancellation.
class OneShotHandler : public detail::SupervisorHandler {
 public:
  OneShotHandler(std::shared_ptr<detail::SandboxCore> core,
                 std::shared_ptr<detail::ExecState> state)
      : core_(std::move(core)), state_(std::move(state)) {
    suspended_at_start_ = core_->suspended_time();
    oom_at_start_ = core_->cgroups->oom_kills();
  }

  void on_output(detail::Supervisor&, OutputStream stream, std::string_view data) override {
    state_->append(stream, data);
  }

  int wake_fd() override { return !acted_ && state_->cancel ? state_->cancel->fd() : -1; }

  Clock::time_point on_tick(detail::Supervisor& sup) override {
    if (acted_) return Clock::time_point::max();
    if (state_->kill_requested.load() || (state_->cancel && state_->cancel->cancelled())) {
      cancelled_ = acted_ = true;
      sup.kill();
      return Clock::time_point::max();
    }
    if (state_->timeout.count() == 0) return Clock::time_point::max();
    {
      std::lock_guard lock(core_->mu);
      // Suspended: time stands still; resume() wakes us to recompute.
      if (core_->suspended) return Clock::time_point::max();
    }
    auto now = Clock::now();
    auto active = (now - started_) - (core_->suspended_time() - suspended_at_start_);
    if (active >= state_->timeout) {
      timed_out_ = acted_ = true;
      sup.kill();
      return Clock::time_point::max();
    }
    return now + (state_->timeout - active);
  }

  void on_exit(detail::Supervisor& sup, const detail::ExitInfo& info) override {
    // Killed from outside the handler: Sandbox::kill_all.
    if (!timed_out_ && sup.kill_requested()) cancelled_ = true;
    ExecResult result;
    detail::decode_exit(info, result);
    result.timed_out = timed_out_;
    result.cancelled = cancelled_;
    const bool oom = core_->cgroups->oom_kills() > oom_at_start_;
    if (timed_out_ || cancelled_) {
      result.signal = SIGKILL;
      result.exit_code = 128 + SIGKILL;
    }
    if (timed_out_) {
      result.note =
          "killed after the timeout of " + std::to_string(state_->timeout.count()) + " ms";
    } else if (cancelled_) {
      result.note = "killed: the command was cancelled";
    } else if (oom && result.signal == SIGKILL) {
      result.memory_limit_hit = true;
      result.note = detail::memory_limit_note(*core_, true);
    } else if (!info.container_started && result.exit_code != 0) {
      state_->sandbox_failed.store(true);
      std::lock_guard lock(state_->mu);
      result.note = "the sandbox failed to start: " + first_line(state_->err.snapshot().data);
    } else if (oom) {
      // A process of the command (say a compiler under make) was killed and the command went on.
      result.memory_limit_hit = true;
      result.note = detail::memory_limit_note(*core_, false);
    }
    state_->complete(std::move(result));
  }

 private:
  std::shared_ptr<detail::SandboxCore> core_;
  std::shared_ptr<detail::ExecState> state_;
  Clock::time_point started_ = Clock::now();
  Clock::duration suspended_at_start_{};
  std::uint64_t oom_at_start_ = 0;
  bool acted_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
};

}  // namespace

// Ready containers. A one-shot command used to wait for its container: bwrap's namespaces and
// mounts, about two thirds of a `true` (docs/BENCHMARKS.md). Now each command that starts also
// starts the container of the next one, with the same arguments, limits, cgroups and namespaces,
// whose first program is the privilege-drop helper waiting on stdin for its command
// (drop_privileges_main.c, --command-on-stdin). The next command is written to that stdin, and
// the helper changes to its working directory, drops every privilege as before and executes it
// with its own environment. Every command still runs in a container of its own (its own /tmp,
// its own pid namespace), made for it alone; only the moment it was made moved. Servers that are
// not root run their commands without the helper and make no ready container.
namespace detail {

// The handler of a ready container: nothing until a command is in it, then that command's
// handler (OneShotHandler), to which it forwards every event.
class ReadyHandler : public SupervisorHandler {
 public:
  // From now on the container's events go to `target`; false when the container already ended.
  bool adopt(std::shared_ptr<SupervisorHandler> target) {
    std::lock_guard lock(mu_);
    if (exited_) return false;
    target_ = std::move(target);
    return true;
  }
  void on_output(Supervisor& sup, OutputStream stream, std::string_view data) override {
    if (auto t = target()) t->on_output(sup, stream, data);
  }
  Clock::time_point on_tick(Supervisor& sup) override {
    auto t = target();
    return t ? t->on_tick(sup) : Clock::time_point::max();
  }
  int wake_fd() override {
    auto t = target();
    return t ? t->wake_fd() : -1;
  }
  void on_info(Supervisor& sup, std::string_view info) override {
    if (auto t = target()) t->on_info(sup, info);
  }
  void on_exit(Supervisor& sup, const ExitInfo& info) override {
    std::shared_ptr<SupervisorHandler> t;
    {
      std::lock_guard lock(mu_);
      exited_ = true;
      t = target_;
    }
    if (t) t->on_exit(sup, info);
  }

 private:
  std::shared_ptr<SupervisorHandler> target() {
    std::lock_guard lock(mu_);
    return target_;
  }
  std::mutex mu_;
  std::shared_ptr<SupervisorHandler> target_;
  bool exited_ = false;
};

namespace {

// What the helper of a ready container reads on stdin (drop_privileges_main.c).
std::string command_message(const std::vector<std::string>& argv, const std::string& cwd,
                            const std::vector<std::string>& env, bool stdin_pipe) {
  std::string body;
  auto put = [&body](std::string_view text) {
    body.append(text);
    body.push_back('\0');
  };
  put(cwd);
  put(stdin_pipe ? "pipe" : "null");
  for (const auto& e : env) put(e);
  put("");
  for (const auto& a : argv) put(a);
  return std::to_string(body.size()) + "\n" + body;
}

// The ready container with `handler`'s command about to be written to it, or null when there is
// none alive. Under lifecycle_mu.
std::shared_ptr<Supervisor> take_ready(SandboxCore& core,
                                       const std::shared_ptr<SupervisorHandler>& handler) {
  auto sup = std::move(core.ready);
  auto forward = std::move(core.ready_handler);
  if (!sup) return nullptr;
  if (sup->exited() || sup->kill_requested() || !forward->adopt(handler)) {
    sup->kill();  // none is left waiting
    return nullptr;
  }
  return sup;
}

// Starts the container of the next command. Under lifecycle_mu, after check_can_start. A
// container that cannot start costs the next command its head start only: that command starts
// its own container and reports why it could not.
void make_ready(SandboxCore& core) {
  auto spec = core.ready_spec();
  if (!spec) return;
  auto handler = std::make_shared<ReadyHandler>();
  try {
    auto sup = Supervisor::start(std::move(*spec), handler);
    core.add(sup);
    core.ready = std::move(sup);
    core.ready_handler = std::move(handler);
  } catch (const PlatformError&) {
  }
}

}  // namespace
}  // namespace detail

SandboxSupport check_sandbox_support(const std::string& bwrap_path) {
  // The probe below is a bwrap too, whose init bwrap abandons (orphan_reaper.hpp).
  detail::adopt_orphans();
  static std::mutex mu;
  static std::map<std::string, SandboxSupport> cache;
  std::string bwrap = find_bwrap(bwrap_path);
  std::lock_guard lock(mu);
  auto it = cache.find(bwrap);
  if (it == cache.end()) it = cache.emplace(bwrap, probe(bwrap)).first;
  return it->second;
}

namespace detail {

Clock::duration SandboxCore::suspended_time() const {
  std::lock_guard lock(mu);
  return suspended_total + (suspended ? Clock::now() - suspended_since : Clock::duration{});
}

void SandboxCore::check_can_start() const {
  std::lock_guard lock(mu);
  if (closed)
    throw PlatformError(ErrorKind::conflict, "sandbox " + spec.id + " has been destroyed");
  if (suspended)
    throw PlatformError(ErrorKind::conflict,
                        "sandbox " + spec.id + " is suspended: resume it before running commands");
}

SpawnSpec SandboxCore::spawn_spec(const std::vector<std::string>& argv, const std::string& cwd,
                                  const std::map<std::string, std::string>& env,
                                  bool pipe_stdin) const {
  auto command = privilege_drop(*spec.uid, *spec.gid, helper_in_container());
  command.insert(command.end(), argv.begin(), argv.end());
  return container_spec(command, cwd, command_environment(env), pipe_stdin);
}

std::optional<SpawnSpec> SandboxCore::ready_spec() const {
  if (!makes_ready_containers()) return std::nullopt;
  const std::string helper = helper_in_container();
  return container_spec(
      {helper, "--command-on-stdin", std::to_string(*spec.uid), std::to_string(*spec.gid)},
      std::string(kSandboxHome), command_environment({}), true);
}

SpawnSpec SandboxCore::container_spec(const std::vector<std::string>& command,
                                      const std::string& cwd, std::vector<std::string> env,
                                      bool pipe_stdin) const {
  SpawnSpec s;
  s.program = bwrap;
  s.argv = container_args;
  s.argv.insert(s.argv.end(), {"--chdir", cwd, "--"});
  s.argv.insert(s.argv.end(), command.begin(), command.end());
  s.env = std::move(env);

  s.pipe_stdin = pipe_stdin;
  s.cgroup_tasks = cgroups->join_files();
  const auto& l = spec.limits;
  // A sandbox can only lower a limit: one above the server's own hard limit (a server started
  // under `ulimit -n 256`, say) is clamped to it, where setrlimit would fail with EPERM and no
  // command could start.
  auto limit = [](int resource, std::uint64_t soft, std::uint64_t hard) {
    rlimit own{};
    rlimit want{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
    if (::getrlimit(resource, &own) == 0 && own.rlim_max != RLIM_INFINITY) {
      want.rlim_cur = std::min(want.rlim_cur, own.rlim_max);
      want.rlim_max = std::min(want.rlim_max, own.rlim_max);
    }
    return std::pair<int, rlimit>{resource, want};
  };
  // Hard CPU limit one second above the soft one: SIGXCPU first, then SIGKILL.
  s.rlimits = {limit(RLIMIT_CPU, l.cpu_seconds, l.cpu_seconds + 1),
               limit(RLIMIT_FSIZE, l.file_size_bytes, l.file_size_bytes),
               limit(RLIMIT_NOFILE, l.open_files, l.open_files), limit(RLIMIT_CORE, 0, 0)};
  // Without cgroups, per-process fallbacks (see ResourceLimits for their weaknesses).
  if (!cgroups->has_pids())
    s.rlimits.push_back(limit(RLIMIT_NPROC, l.max_processes, l.max_processes));
  if (!cgroups->has_memory()) s.rlimits.push_back(limit(RLIMIT_AS, l.memory_bytes, l.memory_bytes));
  s.after_kill = [cg = cgroups](const std::vector<pid_t>& pids) { cg->release(pids); };
  s.join_userns_fd = network->userns_fd();
  s.join_netns_fd = network->netns_fd();
  s.data_source_fd = network->resolv_conf_fd();
  return s;
}

std::vector<std::string> SandboxCore::command_environment(
    const std::map<std::string, std::string>& env) const {
  std::map<std::string, std::string> vars = sandbox_base_environment();
  for (const auto& [k, v] : spec.env) vars[k] = v;
  for (const auto& [k, v] : env) vars[k] = v;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [k, v] : vars) out.push_back(k + "=" + v);
  return out;
}

void SandboxCore::add(const std::shared_ptr<Supervisor>& sup) {
  std::lock_guard lock(mu);
  std::erase_if(supervisors, [](const auto& w) {
    auto s = w.lock();
    return !s || s->finished();
  });
  supervisors.push_back(sup);
}

std::vector<std::shared_ptr<Supervisor>> SandboxCore::live_supervisors() const {
  std::lock_guard lock(mu);
  std::vector<std::shared_ptr<Supervisor>> live;
  for (const auto& w : supervisors)
    if (auto s = w.lock(); s && !s->finished()) live.push_back(s);
  return live;
}

}  // namespace detail

Sandbox::Sandbox(SandboxSpec spec) : core_(std::make_shared<detail::SandboxCore>()) {
  validate_spec(spec);
  SandboxSupport support = check_sandbox_support(spec.bwrap_path);
  if (!support.usable) throw PlatformError(ErrorKind::unavailable, support.message);
  core_->bwrap = support.bwrap_path;
  if (server_is_root()) adopt_home(spec.home_dir, *spec.uid, *spec.gid);
  // max_processes caps everything of the sandbox, the container kept ready for the next command
  // (bwrap, its init, the helper: 3 processes) included: a cap raised by its share would let a
  // command take that share while the ready container cannot start (a fork bomb).
  core_->cgroups = std::make_shared<detail::SandboxCgroups>(spec.id, spec.limits, spec.use_cgroups);
  detail::NetworkPlan plan;
  plan.holder_argv = holder_args(core_->bwrap, spec.network);
  plan.user_namespace = !server_is_root();
  plan.outbound = spec.network;
  if (spec.network) plan.slirp4netns = detail::find_slirp4netns();
  core_->network = detail::SandboxNetwork::open(plan);
  core_->container_args = container_args(spec, core_->bwrap, *core_->network);
  core_->spec = std::move(spec);
}

Sandbox::~Sandbox() {
  {
    std::lock_guard lifecycle(core_->lifecycle_mu);
    std::lock_guard lock(core_->mu);
    core_->closed = true;  // no shell may restart from here on
  }
  kill_all();
}

const SandboxSpec& Sandbox::spec() const {
  return core_->spec;
}

LimitEnforcement Sandbox::enforcement() const {
  LimitEnforcement e;
  e.processes_by_cgroup = core_->cgroups->has_pids();
  e.memory_by_cgroup = core_->cgroups->has_memory();
  e.freeze_by_cgroup = core_->cgroups->has_freezer();
  e.note = core_->cgroups->note();
  return e;
}

std::shared_ptr<Execution> Sandbox::start(const Command& command, ExecOptions options) {
  if (command.argv.empty())
    throw PlatformError(ErrorKind::invalid, "command is empty: give a program to run");
  for (const auto& arg : command.argv)
    if (arg.find('\0') != std::string::npos)
      throw PlatformError(ErrorKind::invalid, "command contains a NUL byte");
  detail::validate_output_cap(options.output_cap);
  detail::validate_timeout(options.timeout);
  detail::validate_env(options.env, "env");
  std::string cwd = detail::resolve_working_dir(core_->spec.home_dir, options.working_dir);

  auto state = std::make_shared<detail::ExecState>(options.output_cap, std::move(options.on_line),
                                                   options.cancel, options.timeout,
                                                   detail::open_output_files(*core_, options));
  if (state->cancel && state->cancel->cancelled()) {
    ExecResult result;
    result.cancelled = true;
    result.note = "not started: the command was cancelled before it began";
    state->complete(std::move(result));
    return std::shared_ptr<Execution>(new Execution(state));
  }

  std::lock_guard lifecycle(core_->lifecycle_mu);
  core_->check_can_start();
  const bool stdin_pipe = options.stdin_data.has_value() || options.stdin_pipe;
  auto handler = std::make_shared<OneShotHandler>(core_, state);
  state->set_running();
  auto sup = detail::take_ready(*core_, handler);
  if (sup) {
    sup->send_input(detail::command_message(command.argv, cwd,
                                            core_->command_environment(options.env), stdin_pipe));
    if (!stdin_pipe) sup->close_input();
    sup->wake();  // the command's timeout and cancellation count from here
  } else {
    sup = detail::Supervisor::start(core_->spawn_spec(command.argv, cwd, options.env, stdin_pipe),
                                    handler);
    core_->add(sup);
  }
  if (options.stdin_data) sup->send_input(std::move(*options.stdin_data));
  if (options.stdin_data && !options.stdin_pipe) sup->close_input();
  detail::make_ready(*core_);
  {
    std::lock_guard lock(state->mu);
    state->supervisor = sup;
    if (!state->result) {
      state->kill_fn = [weak = std::weak_ptr(sup)] {
        if (auto s = weak.lock()) s->kill();
      };
      state->stdin_open = options.stdin_pipe;
    }
  }
  // The handle exists only from here on: every earlier exit threw and left nothing to wait for.
  return std::shared_ptr<Execution>(new Execution(state));
}

ExecResult Sandbox::run(const Command& command, const ExecOptions& options) {
  auto execution = start(command, options);
  ExecResult result = execution->wait();
  if (execution->state_->sandbox_failed.load())
    throw PlatformError(ErrorKind::unavailable, result.note);
  return result;
}

void Sandbox::suspend() {
  std::lock_guard lifecycle(core_->lifecycle_mu);
  {
    std::lock_guard lock(core_->mu);
    if (core_->suspended) return;
  }
  if (core_->cgroups->has_freezer()) {
    if (!core_->cgroups->freeze(2000))
      throw PlatformError(ErrorKind::timeout,
                          "could not freeze every process of sandbox " + core_->spec.id +
                              " within 2 s (a process may be stuck in the kernel); it keeps "
                              "running: try again");
  } else {
    for (const auto& sup : core_->live_supervisors()) sup->stop_all();
  }
  std::lock_guard lock(core_->mu);
  core_->suspended = true;
  core_->suspended_since = Clock::now();
}

void Sandbox::resume() {
  std::lock_guard lifecycle(core_->lifecycle_mu);
  {
    std::lock_guard lock(core_->mu);
    if (!core_->suspended) return;
    core_->suspended = false;
    core_->suspended_total += Clock::now() - core_->suspended_since;
  }
  if (core_->cgroups->has_freezer()) {
    core_->cgroups->thaw();
  }
  for (const auto& sup : core_->live_supervisors()) {
    if (!core_->cgroups->has_freezer()) sup->continue_all();
    sup->wake();  // timeouts resume counting
  }
}

bool Sandbox::suspended() const {
  std::lock_guard lock(core_->mu);
  return core_->suspended;
}

void Sandbox::kill_all() {
  std::vector<std::shared_ptr<detail::Supervisor>> sups;
  std::vector<std::shared_ptr<detail::ShellCore>> shells;
  {
    std::lock_guard lifecycle(core_->lifecycle_mu);
    sups = core_->live_supervisors();
    std::lock_guard lock(core_->mu);
    for (const auto& w : core_->shells)
      if (auto s = w.lock()) shells.push_back(s);
  }
  for (const auto& shell : shells) detail::cancel_queued_commands(*shell);
  for (const auto& sup : sups) sup->kill();
  // SIGKILL reaches stopped and (on current kernels) frozen processes alike; thawing afterwards
  // lets older kernels finish them too.
  bool was_suspended = suspended();
  if (was_suspended) resume();
  for (const auto& sup : sups) sup->wait_finished();
  core_->cgroups->kill_all();
}

SandboxUsage Sandbox::usage() const {
  const auto& cg = *core_->cgroups;
  return {cg.cpu_time_ns(), cg.peak_memory_bytes(), cg.memory_bytes(), cg.usage_note()};
}

FileContents Sandbox::read_file(std::string_view path, std::uint64_t offset,
                                std::optional<std::uint64_t> length) const {
  return read_home_file(core_->spec.home_dir, path, offset, length);
}

void Sandbox::write_file(std::string_view path, std::string_view data,
                         const WriteOptions& options) const {
  WriteOptions owned = options;
  if (server_is_root()) {
    owned.owner_uid = core_->spec.uid;
    owned.owner_gid = core_->spec.gid;
  }
  write_home_file(core_->spec.home_dir, path, data, owned);
}

std::unique_ptr<PortForward> Sandbox::forward_port(int port, std::function<void()> on_connection) {
  if (port < 1 || port > 65535)
    throw PlatformError(ErrorKind::invalid,
                        "port " + std::to_string(port) + " is not a TCP port: give 1-65535");
  {
    std::lock_guard lock(core_->mu);
    if (core_->closed)
      throw PlatformError(ErrorKind::conflict, "sandbox " + core_->spec.id + " has been destroyed");
  }
  return std::unique_ptr<PortForward>(new PortForward(core_, port, std::move(on_connection)));
}

std::unique_ptr<PersistentShell> Sandbox::open_shell() {
  core_->check_can_start();
  auto shell = std::make_shared<detail::ShellCore>();
  shell->sandbox = core_;
  {
    std::lock_guard lock(core_->mu);
    std::erase_if(core_->shells, [](const auto& w) { return w.expired(); });
    core_->shells.push_back(shell);
  }
  return std::unique_ptr<PersistentShell>(new PersistentShell(shell));
}

}  // namespace runagents::platform::local
