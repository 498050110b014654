#include "platform/local/sandbox/process_supervisor.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include "platform/error.hpp"
#include "platform/local/sandbox/orphan_reaper.hpp"

namespace runagents::platform::local::detail {

namespace {

using namespace std::chrono_literals;

// A container's init that its Supervisor reaps (orphan_reaper.hpp).
struct ClaimedInit {
  pid_t pid = 0;   // claimed when > 0
  int pidfd = -1;  // the init itself, whatever becomes of its pid; -1 if it could not be opened
};

// Claims `init`, which bwrap `bwrap_pid` named, and opens a pidfd on it if it is indeed that
// container's init: a namespace init whose parent is bwrap, or us once bwrap is gone.
ClaimedInit claim_init(pid_t init, pid_t bwrap_pid) {
  ClaimedInit claimed;
  claimed.pid = init;
  claim_orphan(init);
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, init, 0));
  if (fd < 0) return claimed;
  auto stat = read_stat(init);
  if (!stat || (stat->ppid != bwrap_pid && stat->ppid != ::getpid()) || !is_namespace_init(init)) {
    ::close(fd);  // gone already, and its pid perhaps someone else's
    return claimed;
  }
  claimed.pidfd = fd;
  return claimed;
}

// The number after `"key":` in bwrap's status text, once a character follows it (so it is whole).
std::optional<long> status_number(const std::string& text, std::string_view key) {
  auto at = text.find(key);
  if (at == std::string::npos) return std::nullopt;
  auto p = text.find_first_of("0123456789", at + key.size());
  auto end = p == std::string::npos ? p : text.find_first_not_of("0123456789", p);
  if (end == std::string::npos || end - p > 9) return std::nullopt;
  return std::stol(text.substr(p, end - p));
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// What the child reports through the exec-status pipe when a step before execve fails.
struct ChildFailure {
  int stage;
  int error;
};
enum ChildStage {
  kStageSetsid,
  kStageNamespace,
  kStageFds,
  kStageCgroup,
  kStageRlimit,
  kStageExec
};

const char* stage_name(int stage) {
  switch (stage) {
    case kStageSetsid:
      return "creating a session";
    case kStageNamespace:
      return "joining the sandbox's network namespace";
    case kStageFds:
      return "setting up file descriptors";
    case kStageCgroup:
      return "joining the sandbox's cgroup";
    case kStageRlimit:
      return "setting resource limits";
    default:
      return "executing bwrap";
  }
}

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ChildPlan {
  const char* program;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::vector<const char*> cgroup_tasks;
  const std::vector<std::pair<int, rlimit>>* rlimits;
  int fds[5];  // become 0 (stdin), 1, 2, kInfoFd and, when nfds is 5, kDataFd
  int nfds;
  int report_fd;
  pid_t parent;
  int userns_fd;
  int netns_fd;
};

[[noreturn]] void child_fail(int report_fd, int stage) {
  ChildFailure failure{stage, errno};
  [[maybe_unused]] ssize_t n = ::write(report_fd, &failure, sizeof failure);
  ::_exit(127);
}

[[noreturn]] void child_main(const ChildPlan& plan) {
  int report_fd = plan.report_fd;

  // The server may block or ignore signals; execve would hand both on to the sandbox. Every
  // signal is blocked on entry (start() blocked them), so no handler of the server runs here:
  // the handlers go back to default first, then the mask is cleared.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  // Own session and process group: kill(-pid) reaches bwrap and nothing of the server.
  if (::setsid() < 0) child_fail(report_fd, kStageSetsid);
  // Into the sandbox's network namespace (bwrap then keeps it: it does not unshare the network).
  // The user namespace first: it owns the network namespace when the server is not root.
  if (plan.userns_fd >= 0 && ::setns(plan.userns_fd, CLONE_NEWUSER) != 0)
    child_fail(report_fd, kStageNamespace);
  if (plan.netns_fd >= 0 && ::setns(plan.netns_fd, CLONE_NEWNET) != 0)
    child_fail(report_fd, kStageNamespace);
  // If the supervising thread dies (server crash), so does the sandbox.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != plan.parent) ::_exit(127);

  // Move the fds out of the way, then into place; only the report fd survives above them (and it
  // closes on exec). Done before RLIMIT_NOFILE is lowered.
  int high[5];
  for (int i = 0; i < plan.nfds; ++i) {
    high[i] = ::fcntl(plan.fds[i], F_DUPFD_CLOEXEC, 10);
    if (high[i] < 0) child_fail(report_fd, kStageFds);
  }
  int report_high = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 10);
  if (report_high < 0) child_fail(report_fd, kStageFds);
  report_fd = report_high;
  for (int i = 0; i < plan.nfds; ++i)
    if (::dup2(high[i], i) < 0) child_fail(report_fd, kStageFds);
  if (report_fd > plan.nfds) ::syscall(SYS_close_range, plan.nfds, report_fd - 1, 0);
  ::syscall(SYS_close_range, report_fd + 1, ~0U, 0);

  // Join the sandbox's cgroups: limits and freezing then cover bwrap and all it starts. "0" in a
  // `tasks` file moves the calling thread, which is this whole process (one thread after fork),
  // without the global lock a cgroup.procs write waits on (cgroup.hpp, join_files).
  for (const char* tasks : plan.cgroup_tasks) {
    int fd = ::open(tasks, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) child_fail(report_fd, kStageCgroup);
    ::close(fd);
  }

  for (const auto& [resource, limit] : *plan.rlimits)
    if (::setrlimit(resource, &limit) != 0) child_fail(report_fd, kStageRlimit);

  ::execve(plan.program, plan.argv.data(), plan.envp.data());
  child_fail(report_fd, kStageExec);
}

}  // namespace

std::optional<ProcInfo> read_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // "pid (comm) S ppid ..." where comm may contain spaces and parentheses.
  char* close_paren = std::strrchr(buf, ')');
  if (close_paren == nullptr || close_paren[1] == '\0') return std::nullopt;
  ProcInfo info;
  info.pid = pid;
  char* p = close_paren + 2;
  info.state = *p;
  // Fields after the state, numbered from 1: ppid is 1, starttime is 19.
  int field = 0;
  while (*p != '\0' && field < 19) {
    while (*p != '\0' && *p != ' ') ++p;
    while (*p == ' ') ++p;
    ++field;
    if (field == 1) info.ppid = static_cast<pid_t>(std::strtol(p, nullptr, 10));
    if (field == 19) info.start_time = std::strtoull(p, nullptr, 10);
  }
  return info;
}

bool gone_or_zombie(pid_t pid, std::uint64_t start_time) {
  auto info = read_stat(pid);
  return !info || info->start_time != start_time || info->state == 'Z' || info->state == 'X';
}

std::vector<ProcInfo> read_process_table() {
  std::vector<ProcInfo> table;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return table;
  while (struct dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    if (auto info = read_stat(static_cast<pid_t>(pid))) table.push_back(*info);
  }
  ::closedir(dir);
  return table;
}

std::vector<ProcInfo> descendants(const std::vector<ProcInfo>& table, pid_t root) {
  std::multimap<pid_t, const ProcInfo*> children;
  for (const auto& info : table) children.emplace(info.ppid, &info);
  std::vector<ProcInfo> found;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t parent = todo.back();
    todo.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(*it->second);
      todo.push_back(it->second->pid);
    }
  }
  return found;
}

Supervisor::Supervisor(SpawnSpec spec, std::shared_ptr<SupervisorHandler> handler)
    : spec_(std::move(spec)), handler_(std::move(handler)) {}

Supervisor::~Supervisor() {
  close_fd(wake_fd_);
  close_fd(pidfd_);
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(in_fd_);
  close_fd(info_fd_);
}

std::shared_ptr<Supervisor> Supervisor::start(SpawnSpec spec,
                                              std::shared_ptr<SupervisorHandler> handler) {
  // Before the first fork: the inits bwrap abandons must come to this process (orphan_reaper.hpp).
  adopt_orphans();
  std::shared_ptr<Supervisor> sup(new Supervisor(std::move(spec), std::move(handler)));
  sup->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (sup->wake_fd_ < 0)
    throw PlatformError(ErrorKind::unavailable,
                        std::string("cannot create an eventfd: ") + std::strerror(errno));
  try {
    std::thread([sup] { sup->run(sup); }).detach();
  } catch (const std::system_error& e) {
    throw PlatformError(ErrorKind::unavailable,
                        std::string("cannot start a thread to supervise the sandbox: ") + e.what());
  }
  std::unique_lock lock(sup->mu_);
  sup->cv_.wait(lock, [&] { return sup->spawn_done_; });
  if (!sup->spawn_error_.empty()) {
    sup->cv_.wait(lock, [&] { return sup->finished_; });
    throw PlatformError(ErrorKind::unavailable, sup->spawn_error_);
  }
  return sup;
}

void Supervisor::run(std::shared_ptr<Supervisor> self) {
  // Writes to a stdin whose reader is gone must fail with EPIPE, not kill the server.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

  std::string error;
  bool ok = spawn(error);
  {
    std::lock_guard lock(mu_);
    spawn_done_ = true;
    spawn_error_ = error;
    if (!ok) finished_ = true;
  }
  cv_.notify_all();
  if (ok) {
    loop();
    {
      std::lock_guard lock(mu_);
      finished_ = true;
    }
    cv_.notify_all();
  }
  // Drop what the handler holds (its captures, callbacks) here rather than whenever the last
  // reference to this Supervisor goes.
  handler_.reset();
  self.reset();
}

bool Supervisor::spawn(std::string& error) {
  int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1}, info[2] = {-1, -1},
      report[2] = {-1, -1}, data[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {out, err, in, info, report, data}) {
      close_fd(p[0]);
      close_fd(p[1]);
    }
  };
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(info, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC) != 0) {
    error = std::string("cannot create pipes for the sandbox: ") + std::strerror(errno);
    close_all();
    return false;
  }
  if (spec_.pipe_stdin) {
    if (::pipe2(in, O_CLOEXEC) != 0) {
      error = std::string("cannot create pipes for the sandbox: ") + std::strerror(errno);
      close_all();
      return false;
    }
  } else {
    in[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in[0] < 0) {
      error = std::string("cannot open /dev/null: ") + std::strerror(errno);
      close_all();
      return false;
    }
  }

  if (spec_.data_source_fd >= 0) {
    // A description of its own, at offset 0: bwrap reads it to the end.
    const std::string path = "/proc/self/fd/" + std::to_string(spec_.data_source_fd);
    data[0] = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (data[0] < 0) {
      error = "cannot reopen " + path + " for the sandbox: " + std::strerror(errno);
      close_all();
      return false;
    }
  }

  ChildPlan plan;
  plan.program = spec_.program.c_str();
  for (auto& a : spec_.argv) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : spec_.env) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  for (auto& c : spec_.cgroup_tasks) plan.cgroup_tasks.push_back(c.c_str());
  plan.rlimits = &spec_.rlimits;
  plan.fds[0] = in[0];
  plan.fds[1] = out[1];
  plan.fds[2] = err[1];
  plan.fds[3] = info[1];
  plan.fds[4] = data[0];
  plan.nfds = data[0] >= 0 ? 5 : 4;
  plan.report_fd = report[1];
  plan.parent = ::getpid();
  plan.userns_fd = spec_.join_userns_fd;
  plan.netns_fd = spec_.join_netns_fd;

  // vfork: the child borrows this process's memory until it execs bwrap, so none of the server's
  // page tables are copied (a fork of a 17 MB server took ~2.6 ms here, a vfork-style start
  // ~1.0 ms, and fork grows with the server's size). This thread waits meanwhile. Joining a user
  // namespace needs a child with memory of its own (setns refuses a shared one): that case forks.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = plan.userns_fd >= 0 ? ::fork() : ::vfork();
  if (pid == 0) child_main(plan);
  const int fork_error = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    error = std::string("cannot fork to start the sandbox: ") + std::strerror(fork_error);
    close_all();
    return false;
  }
  note_new_child();

  close_fd(out[1]);
  close_fd(err[1]);
  close_fd(info[1]);
  close_fd(report[1]);
  close_fd(in[0]);
  close_fd(data[0]);

  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  close_fd(report[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_all();
    if (failure.stage == kStageExec && failure.error == ENOENT)
      error = spec_.program + " not found: install the " + spec_.package + " package";
    else
      error = std::string("cannot start the sandbox: ") + stage_name(failure.stage) +
              " failed: " + std::strerror(failure.error);
    return false;
  }

  pid_ = pid;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // -1: poll waitpid instead
  out_fd_ = out[0];
  err_fd_ = err[0];
  info_fd_ = info[0];
  in_fd_ = in[1];
  for (int fd : {out_fd_, err_fd_, info_fd_, in_fd_})
    if (fd >= 0) set_nonblocking(fd);
  return true;
}

void Supervisor::loop() {
  std::string pending_input;
  bool want_close_input = false;
  std::string info_text;
  std::uint64_t init_start_time = 0;
  ClaimedInit claimed_init;
  int kill_stage = 0;  // 0 none, 1 requested, 2 init killed, 3 process group killed
  Clock::time_point kill_requested_at{}, kill_stage_deadline{}, exited_at{};
  ExitInfo exit_info;
  static constexpr std::size_t kReadSize = 64 * 1024;
  std::string buffer(kReadSize, '\0');

  for (;;) {
    Clock::time_point deadline = handler_->on_tick(*this);
    auto now = Clock::now();

    {
      std::lock_guard lock(mu_);
      if (kill_requested_ && kill_stage == 0) {
        kill_stage = 1;
        kill_requested_at = now;
      }
      pending_input += input_;
      input_.clear();
      want_close_input = want_close_input || close_input_;
    }

    // Killing the container's init makes the kernel kill every process of its pid namespace;
    // bwrap then exits and is reaped by us only after the namespace is empty. Until bwrap has
    // said which pid its init has, killing bwrap's process group is the way (its init dies
    // with it through --die-with-parent); wait a little for that pid first.
    if (kill_stage == 1 && !exited_) {
      if (pid_t init = container_init_.load(); init > 0) {
        ::kill(init, SIGKILL);
        kill_stage = 2;
        kill_stage_deadline = now + 1s;
        released_after_kill();
      } else if (info_fd_ < 0 || now - kill_requested_at >= 500ms) {
        ::kill(-pid_, SIGKILL);
        kill_stage = 3;
        released_after_kill();
      } else {
        deadline = std::min(deadline, kill_requested_at + 500ms);
      }
    } else if (kill_stage == 2 && !exited_) {
      if (now >= kill_stage_deadline) {
        ::kill(-pid_, SIGKILL);
        kill_stage = 3;
        released_after_kill();
      } else {
        deadline = std::min(deadline, kill_stage_deadline);
      }
    }

    if (exited_ && out_fd_ < 0 && err_fd_ < 0) break;
    // After bwrap is gone nothing of the container can hold the pipes; if something does, do not
    // wait for it forever.
    if (exited_ && now - exited_at >= 2s) break;
    if (exited_) deadline = std::min(deadline, exited_at + 2s);
    if (!exited_ && pidfd_ < 0) deadline = std::min(deadline, now + 20ms);

    if (in_fd_ >= 0 && pending_input.empty() && (want_close_input || exited_)) close_fd(in_fd_);

    pollfd fds[7];
    int nfds = 0;
    auto add = [&](int fd, short events) {
      if (fd < 0) return -1;
      fds[nfds] = pollfd{fd, events, 0};
      return nfds++;
    };
    int i_out = add(out_fd_, POLLIN);
    int i_err = add(err_fd_, POLLIN);
    int i_info = add(info_fd_, POLLIN);
    int i_in = pending_input.empty() ? -1 : add(in_fd_, POLLOUT);
    int i_pid = exited_ ? -1 : add(pidfd_, POLLIN);
    int i_wake = add(wake_fd_, POLLIN);
    add(handler_->wake_fd(), POLLIN);

    int timeout_ms = -1;
    if (deadline != Clock::time_point::max()) {
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
      timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
    }
    int ready = ::poll(fds, static_cast<nfds_t>(nfds), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      // Should not happen; avoid a busy loop.
      std::this_thread::sleep_for(10ms);
    }
    auto revents = [&](int index) { return index >= 0 && ready > 0 ? fds[index].revents : 0; };

    if (revents(i_wake)) {
      std::uint64_t value;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &value, sizeof value);
    }

    for (auto [index, fd, stream] : {std::tuple{i_out, &out_fd_, OutputStream::stdout_stream},
                                     std::tuple{i_err, &err_fd_, OutputStream::stderr_stream}}) {
      if (!revents(index)) continue;
      ssize_t n = ::read(*fd, buffer.data(), buffer.size());
      if (n > 0) {
        handler_->on_output(*this, stream, std::string_view(buffer.data(), n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(*fd);
      }
    }

    if (revents(i_info)) {
      ssize_t n = ::read(info_fd_, buffer.data(), buffer.size());
      if (n > 0) {
        info_text.append(buffer.data(), n);
        handler_->on_info(*this, std::string_view(buffer.data(), n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(info_fd_);
      }
      if (container_init_.load() == 0) {
        // bwrap writes {"child-pid": N, ...}.
        if (auto number = status_number(info_text, "\"child-pid\"")) {
          auto init = static_cast<pid_t>(*number);
          if (auto stat = read_stat(init)) init_start_time = stat->start_time;
          claimed_init = claim_init(init, pid_);
          container_init_.store(init);
          exit_info.container_started = true;
        }
      }
    }

    if (revents(i_in)) {
      ssize_t n = ::write(in_fd_, pending_input.data(), pending_input.size());
      if (n > 0) {
        pending_input.erase(0, static_cast<std::size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        pending_input.clear();  // the reader is gone (EPIPE): nobody will read the rest
        close_fd(in_fd_);
      }
    }

    if (!exited_ && (pidfd_ < 0 || revents(i_pid))) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        exit_info.reaped = r == pid_;
        exit_info.wait_status = status;
        exited_at = Clock::now();
        exited_.store(true);
        close_fd(pidfd_);
      }
    }
  }

  // bwrap does not wait for its init (orphan_reaper.hpp): the init, handed to us, empties its pid
  // namespace before it exits. Wait for that, so that "exited" means "nothing left", and reap it.
  if (claimed_init.pidfd >= 0) {
    pollfd gone{claimed_init.pidfd, POLLIN, 0};
    while (::poll(&gone, 1, 2000) < 0 && errno == EINTR) {
    }
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(claimed_init.pidfd), &info,
             WEXITED | WNOHANG | __WALL);  // ECHILD: bwrap reaped it, or we are no subreaper
    close_fd(claimed_init.pidfd);
  } else if (pid_t init = container_init_.load(); init > 0) {
    auto until = Clock::now() + 2s;
    while (!gone_or_zombie(init, init_start_time) && Clock::now() < until)
      std::this_thread::sleep_for(2ms);
  }
  if (claimed_init.pid > 0) release_orphan(claimed_init.pid);
  // bwrap's last words, {"exit-code": N} under --json-status-fd, were written before it exited.
  if (info_fd_ >= 0) {
    ssize_t n;
    while ((n = ::read(info_fd_, buffer.data(), buffer.size())) > 0 || (n < 0 && errno == EINTR))
      if (n > 0) info_text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (auto code = status_number(info_text, "\"exit-code\""))
    exit_info.reported_exit_code = static_cast<int>(*code);
  close_fd(out_fd_);
  close_fd(err_fd_);
  close_fd(info_fd_);
  close_fd(in_fd_);
  handler_->on_exit(*this, exit_info);
}

void Supervisor::released_after_kill() {
  std::vector<pid_t> pids;
  for (const auto& info : processes()) {
    pids.push_back(info.pid);
    // A SIGSTOPped bwrap (suspended without freezer) must run to reap its init and exit.
    ::kill(info.pid, SIGCONT);
  }
  if (spec_.after_kill) spec_.after_kill(pids);
}

void Supervisor::kill() {
  {
    std::lock_guard lock(mu_);
    kill_requested_ = true;
  }
  wake();
}

bool Supervisor::kill_requested() const {
  std::lock_guard lock(mu_);
  return kill_requested_;
}

void Supervisor::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Supervisor::send_input(std::string data) {
  {
    std::lock_guard lock(mu_);
    input_ += data;
  }
  wake();
}

void Supervisor::close_input() {
  {
    std::lock_guard lock(mu_);
    close_input_ = true;
  }
  wake();
}

void Supervisor::signal_command(int sig) const {
  if (exited_.load()) return;
  const pid_t init = container_init_.load();
  auto table = read_process_table();
  const pid_t root = init > 0 ? init : pid_;
  for (const auto& info : descendants(table, root))
    if (info.pid != init) ::kill(info.pid, sig);
}

void Supervisor::wait_finished() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return finished_; });
}

bool Supervisor::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

std::vector<ProcInfo> Supervisor::processes() const {
  std::vector<ProcInfo> result;
  if (exited_.load()) return result;
  auto table = read_process_table();
  for (const auto& info : table)
    if (info.pid == pid_) result.push_back(info);
  if (result.empty()) return result;
  auto below = descendants(table, pid_);
  result.insert(result.end(), below.begin(), below.end());
  return result;
}

void Supervisor::stop_all() {
  for (int round = 0; round < 200; ++round) {
    bool all_stopped = true;
    for (const auto& info : processes()) {
      if (info.state == 'T' || info.state == 't' || info.state == 'Z' || info.state == 'X')
        continue;
      all_stopped = false;
      ::kill(info.pid, SIGSTOP);
    }
    if (all_stopped) return;
    std::this_thread::sleep_for(1ms);
  }
}

void Supervisor::continue_all() {
  for (const auto& info : processes()) ::kill(info.pid, SIGCONT);
}

}  // namespace runagents::platform::local::detail
