// Supervision of one bwrap container (or a helper of the sandbox, such as slirp4netns): spawning
// it, pumping its pipes, killing its whole process tree, and reaping it. Internal to
// platform/local.
//
// Each Supervisor has its own thread, which forks bwrap and stays alive until bwrap is reaped:
// the container gets PR_SET_PDEATHSIG, which fires when the *thread* that forked it ends, so the
// forking thread must outlive it. The thread keeps the Supervisor alive (shared_from_this) until
// it has finished, so a handler may drop the last outside reference from a callback.
//
// bwrap does not wait for its container's init; the first Supervisor makes this process a child
// subreaper, and each Supervisor reaps the init of its container after bwrap (orphan_reaper.hpp),
// so a finished Supervisor leaves neither a process nor a zombie.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "platform/local/sandbox/command.hpp"

namespace runagents::platform::local::detail {

using Clock = std::chrono::steady_clock;

// A process as /proc shows it.
struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::uint64_t start_time = 0;  // clock ticks after boot; tells a pid's reuse apart
};

// /proc/<pid>/stat, read with plain syscalls (never throws); nullopt when the process is gone.
std::optional<ProcInfo> read_stat(pid_t pid);
std::vector<ProcInfo> read_process_table();
// Whether the process `pid` that started at `start_time` has exited (gone, a zombie, or its pid
// reused).
bool gone_or_zombie(pid_t pid, std::uint64_t start_time);
// The processes below `root` in `table`, not `root` itself.
std::vector<ProcInfo> descendants(const std::vector<ProcInfo>& table, pid_t root);

// How to start bwrap.
struct SpawnSpec {
  std::string program;                    // bwrap
  std::string package = "bubblewrap";     // what to install when `program` is missing
  std::vector<std::string> argv;          // argv[0] included
  std::vector<std::string> env;           // "NAME=value"
  bool pipe_stdin = false;                // else stdin is /dev/null
  std::vector<std::string> cgroup_tasks;  // cgroup `tasks` files to join (writing "0") before exec
  std::vector<std::pair<int, rlimit>> rlimits;
  // Called with the container's processes right after they were sent SIGKILL (to let frozen
  // ones die); may be empty.
  std::function<void(const std::vector<pid_t>&)> after_kill;
  // Namespaces the child joins (setns) before it execs, or -1: the sandbox's network namespace
  // and, when the server is not root, the user namespace that owns it. Borrowed: the caller keeps
  // them open until start() has returned.
  int join_userns_fd = -1;
  int join_netns_fd = -1;
  // A file the child gets as kDataFd, opened afresh for it (offset 0), or -1: the sandbox's
  // resolv.conf for bwrap --ro-bind-data. Borrowed as the join_* descriptors.
  int data_source_fd = -1;
};
inline constexpr int kInfoFd = 3;  // where bwrap --info-fd writes the container's init pid
inline constexpr int kDataFd = 4;  // SpawnSpec::data_source_fd, reopened

struct ExitInfo {
  int wait_status = 0;
  bool reaped = false;             // false if waitpid failed (status unknown)
  bool container_started = false;  // bwrap reported its init pid
  // What bwrap said the command exited with (--json-status-fd); the command's status even when
  // bwrap's own wait status is lost.
  std::optional<int> reported_exit_code;
};

class Supervisor;

// What a Supervisor reports to. All methods are called on the supervisor's thread.
class SupervisorHandler {
 public:
  virtual ~SupervisorHandler() = default;
  virtual void on_output(Supervisor& sup, OutputStream stream, std::string_view data) = 0;
  // Called after every wake-up; returns when it wants to be called again (Clock::time_point::max
  // for never) and may request kill() or kill processes itself.
  virtual Clock::time_point on_tick(Supervisor& sup) = 0;
  // An fd whose readability should wake the thread (e.g. an ExecCancel's fd()), or -1.
  virtual int wake_fd() { return -1; }
  // Called with what the process writes to fd kInfoFd (bwrap's --info-fd, slirp4netns's
  // --ready-fd), as it arrives.
  virtual void on_info(Supervisor&, std::string_view) {}
  // Called once, after bwrap was reaped and the pipes drained.
  virtual void on_exit(Supervisor& sup, const ExitInfo& info) = 0;
};

class Supervisor : public std::enable_shared_from_this<Supervisor> {
 public:
  // Spawns bwrap on a new thread and returns once it runs. Throws PlatformError(unavailable) if it
  // could not be started (message says which step failed and why).
  static std::shared_ptr<Supervisor> start(SpawnSpec spec,
                                           std::shared_ptr<SupervisorHandler> handler);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Asks for the whole container to be killed; returns at once. Thread-safe.
  void kill();
  // Whether kill() was called.
  bool kill_requested() const;
  // Wakes the thread so the handler's on_tick runs. Thread-safe.
  void wake();
  // Queues bytes for stdin (spec.pipe_stdin). Thread-safe.
  void send_input(std::string data);
  // Closes stdin once queued bytes are written. Thread-safe.
  void close_input();
  // Sends `sig` to the processes the container runs (those below its init; below bwrap until
  // the init is known), not to bwrap or the init themselves. Thread-safe.
  void signal_command(int sig) const;
  // Waits until the thread has finished (on_exit returned).
  void wait_finished();
  bool finished() const;
  bool exited() const { return exited_.load(); }

  pid_t pid() const { return pid_; }
  // Host pid of the container's init (bwrap's pid 1), 0 until bwrap reported it.
  pid_t container_init() const { return container_init_.load(); }

  // Host processes of the container (bwrap itself and all below it), from /proc.
  std::vector<ProcInfo> processes() const;
  // SIGSTOPs / SIGCONTs every process of the container until all are stopped / sent.
  void stop_all();
  void continue_all();

 private:
  Supervisor(SpawnSpec spec, std::shared_ptr<SupervisorHandler> handler);
  void run(std::shared_ptr<Supervisor> self);
  bool spawn(std::string& error);
  void loop();
  void released_after_kill();

  SpawnSpec spec_;
  std::shared_ptr<SupervisorHandler> handler_;

  pid_t pid_ = 0;
  int pidfd_ = -1;
  int out_fd_ = -1, err_fd_ = -1, in_fd_ = -1, info_fd_ = -1;
  int wake_fd_ = -1;  // eventfd
  std::atomic<pid_t> container_init_{0};
  std::atomic<bool> exited_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool spawn_done_ = false;
  std::string spawn_error_;
  bool finished_ = false;
  bool kill_requested_ = false;
  std::string input_;
  bool close_input_ = false;
};

}  // namespace runagents::platform::local::detail
