#include "platform/local/sandbox/orphan_reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace runagents::platform::local::detail {

namespace {

using namespace std::chrono_literals;

struct Reaper {
  std::mutex mu;  // guards claimed and children_made; held while deciding to reap a pid
  std::condition_variable cv;
  std::unordered_map<pid_t, int> claimed;
  std::uint64_t children_made = 0;
  std::atomic<unsigned long> reaped{0};
  std::atomic<bool> subreaper{false};
};

// Never destroyed: the reaper thread runs until the process ends, past static destructors.
Reaper& state() {
  static Reaper* r = new Reaper;
  return *r;
}

std::string read_small_file(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

// This process's children, all threads together (/proc/self/task/<tid>/children).
std::vector<pid_t> own_children() {
  std::vector<pid_t> children;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return children;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const std::string path = std::string("/proc/self/task/") + entry->d_name + "/children";
    const std::string text = read_small_file(path.c_str());
    const char* p = text.c_str();
    while (*p != '\0') {
      char* end = nullptr;
      long pid = std::strtol(p, &end, 10);
      if (end == p) break;
      if (pid > 0) children.push_back(static_cast<pid_t>(pid));
      p = end;
    }
  }
  ::closedir(dir);
  return children;
}

bool is_zombie(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const std::string text = read_small_file(path);
  auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

// Reaps every zombie child that is an unclaimed namespace init; returns how many.
int reap_unclaimed(Reaper& r) {
  int count = 0;
  for (pid_t pid : own_children()) {
    if (!is_zombie(pid) || !is_namespace_init(pid)) continue;
    std::lock_guard lock(r.mu);  // a claim and this decision exclude each other
    if (r.claimed.count(pid) != 0) continue;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | __WALL) == 0 &&
        info.si_pid == pid) {
      ++count;
      r.reaped.fetch_add(1);
    }
  }
  return count;
}

[[noreturn]] void reaper_loop() {
  Reaper& r = state();
  auto backoff = 1ms;
  for (;;) {
    std::uint64_t made;
    {
      std::lock_guard lock(r.mu);
      made = r.children_made;
    }
    // Blocks until some child is a zombie, and leaves it one (WNOWAIT): it may be someone's.
    siginfo_t info{};
    const auto asked = std::chrono::steady_clock::now();
    const int rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT | __WALL);
    const int error = errno;
    if (std::chrono::steady_clock::now() - asked > 5ms) backoff = 1ms;  // it waited: a new zombie
    if (rc != 0) {
      if (error == EINTR) continue;
      // ECHILD: no child at all. Orphans only come through our children, so sleep until a
      // container is started (or now and then, for children made elsewhere).
      std::unique_lock lock(r.mu);
      r.cv.wait_for(lock, 60s, [&] { return r.children_made != made; });
      continue;
    }
    if (reap_unclaimed(r) > 0) {
      backoff = 1ms;
      continue;
    }
    // The zombie is someone else's (a Supervisor's bwrap or claimed init, a child forked
    // elsewhere), who reaps it shortly: look again a little later.
    std::this_thread::sleep_for(backoff);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 200ms);
  }
}

}  // namespace

void adopt_orphans() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A SIGCHLD ignored (or SA_NOCLDWAIT) is inherited through exec from whoever started us; the
    // kernel would then reap every child at once and no wait status would reach us.
    struct sigaction current {};
    if (::sigaction(SIGCHLD, nullptr, &current) == 0 &&
        (current.sa_handler == SIG_IGN || (current.sa_flags & SA_NOCLDWAIT) != 0)) {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      ::sigaction(SIGCHLD, &dfl, nullptr);
    }
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return;
    try {
      std::thread(reaper_loop).detach();
    } catch (const std::system_error&) {
      // No thread: Supervisors still reap the inits they claim; unclaimed ones wait until the
      // process ends. Better than handing them to a pid 1 that may never reap.
    }
    state().subreaper.store(true);
  });
}

bool adopting_orphans() {
  return state().subreaper.load();
}

void note_new_child() {
  Reaper& r = state();
  {
    std::lock_guard lock(r.mu);
    ++r.children_made;
  }
  r.cv.notify_all();
}

void claim_orphan(pid_t pid) {
  Reaper& r = state();
  std::lock_guard lock(r.mu);
  ++r.claimed[pid];
}

void release_orphan(pid_t pid) {
  Reaper& r = state();
  std::lock_guard lock(r.mu);
  auto it = r.claimed.find(pid);
  if (it == r.claimed.end()) return;
  if (--it->second == 0) r.claimed.erase(it);
}

bool is_namespace_init(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/status", static_cast<int>(pid));
  const std::string text = read_small_file(path);
  auto line = text.find("\nNSpid:");
  if (line == std::string::npos) return false;
  auto end = text.find('\n', line + 1);
  std::string levels = text.substr(line + 7, end == std::string::npos ? end : end - line - 7);
  int count = 0;
  long last = 0;
  const char* p = levels.c_str();
  for (;;) {
    char* next = nullptr;
    long value = std::strtol(p, &next, 10);
    if (next == p) break;
    ++count;
    last = value;
    p = next;
  }
  return count > 1 && last == 1;
}

unsigned long orphans_reaped() {
  return state().reaped.load();
}

}  // namespace runagents::platform::local::detail
