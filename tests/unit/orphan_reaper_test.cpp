// Tests of the orphan reaping behind sandboxes (platform/local/sandbox/orphan_reaper.hpp): bwrap
// abandons its container's init, so this process adopts it (child subreaper) and reaps it, while
// never taking the exit status of a child that someone else waits for.
#include "platform/local/sandbox/orphan_reaper.hpp"

#include <dirent.h>
#include <doctest/doctest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "platform/local/sandbox/sandbox.hpp"
#include "platform_test_support.hpp"
#include "proc_text.hpp"

extern char** environ;

using namespace runagents::platform::local;
using runagents::platform::testing::TempDir;
using namespace std::chrono_literals;

namespace {

bool bwrap_usable() {
  auto support = check_sandbox_support();
  if (!support.usable) MESSAGE("skipped: " << support.message);
  return support.usable;
}

SandboxSpec make_spec(const TempDir& home) {
  static std::atomic<int> n{0};
  SandboxSpec spec;
  spec.id = "orphan-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
  spec.home_dir = home.path;
  return spec;
}

struct Proc {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::string cmdline;
};

std::vector<Proc> process_table() {
  std::vector<Proc> table;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return table;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat =
        runagents::platform::testing::read_proc_text("/proc/" + name + "/stat");
    auto paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 4 > stat.size()) continue;
    Proc p;
    p.cmdline = runagents::platform::testing::read_proc_text("/proc/" + name + "/cmdline");
    p.pid = std::stoi(name);
    p.state = stat[paren + 2];
    p.ppid = std::atoi(stat.c_str() + paren + 4);
    table.push_back(p);
  }
  ::closedir(dir);
  return table;
}

// This process's children that are zombies.
int own_zombies() {
  int count = 0;
  for (const auto& p : process_table())
    if (p.ppid == ::getpid() && p.state == 'Z') ++count;
  return count;
}

bool exists(pid_t pid) {
  return std::filesystem::exists("/proc/" + std::to_string(pid));
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = 5s) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

}  // namespace

TEST_CASE("commands leave no zombie: 60 under a limit of 16 processes all run" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempDir home;
  SandboxSpec spec = make_spec(home);
  spec.limits.max_processes = 16;
  Sandbox sandbox(spec);
  CHECK(detail::adopting_orphans());
  for (int i = 0; i < 60; ++i) {
    auto r = sandbox.run("echo " + std::to_string(i));
    REQUIRE_MESSAGE(r.exit_code == 0, "command " << i << ": " << r.err.data << r.note);
    CHECK(r.out.data == std::to_string(i) + "\n");
  }
  // Timed out and killed ones too.
  for (int i = 0; i < 5; ++i) {
    ExecOptions options;
    options.timeout = 100ms;
    CHECK(sandbox.run("sleep 30", options).timed_out);
    auto running = sandbox.start("sleep 30");
    running->kill();
    CHECK(running->wait().cancelled);
  }
  CHECK(sandbox.run("echo still").out.data == "still\n");
  CHECK(eventually([] { return own_zombies() == 0; }));
}

TEST_CASE("a container whose bwrap is killed from outside leaves no zombie" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempDir home;
  Sandbox sandbox(make_spec(home));
  const std::string marker = "3000.0" + std::to_string(::getpid()) + "1";
  auto execution = sandbox.start("sleep " + marker);
  // sleep's parent is the container's init, whose parent is bwrap, a child of ours.
  pid_t init = 0, bwrap = 0;
  REQUIRE(eventually([&] {
    auto table = process_table();
    for (const auto& p : table)
      if (p.cmdline.find(marker) != std::string::npos && p.cmdline.rfind("sleep", 0) == 0)
        init = p.ppid;
    for (const auto& p : table)
      if (p.pid == init) bwrap = p.ppid;
    return init > 0 && bwrap > 0;
  }));
  REQUIRE(detail::is_namespace_init(init));
  ::kill(bwrap, SIGKILL);  // its init dies with it (--die-with-parent) and comes to us
  auto result = execution->wait();
  CHECK(result.exit_code != 0);
  CHECK(eventually([&] { return !exists(init) && !exists(bwrap); }));
  CHECK(eventually([] { return own_zombies() == 0; }));
  CHECK(sandbox.run("echo after").out.data == "after\n");
}

TEST_CASE("a command's exit status survives its bwrap being reaped by someone else" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempDir home;
  Sandbox sandbox(make_spec(home));
  CHECK(sandbox.run("exit 3").exit_code == 3);
  // With SIGCHLD ignored the kernel reaps every child at once: bwrap's wait status is lost, as
  // when any other code in the process reaps it first. bwrap's own report still says it.
  struct sigaction ignore {
  }, saved{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ignore, &saved);
  auto exited = sandbox.run("exit 3");
  auto signalled = sandbox.run("echo before; kill -KILL $$");
  auto fine = sandbox.run("echo fine");
  ::sigaction(SIGCHLD, &saved, nullptr);
  CHECK(exited.exit_code == 3);
  CHECK(signalled.exit_code == 128 + SIGKILL);
  CHECK(signalled.signal == SIGKILL);
  CHECK(signalled.out.data == "before\n");
  CHECK(fine.exit_code == 0);
  CHECK(fine.out.data == "fine\n");
}

TEST_CASE("an orphaned namespace init that nobody claims is reaped; other children are not" *
          doctest::test_suite("sandbox")) {
  detail::adopt_orphans();
  REQUIRE(detail::adopting_orphans());

  // A child that someone else waits for keeps its status, zombie or not, however long it waits.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(7);
  std::this_thread::sleep_for(300ms);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);

  // unshare forks the init of a new pid namespace; killing unshare orphans that init to us.
  std::vector<std::string> argv = {"/usr/bin/unshare", "--pid", "--fork"};
  if (::geteuid() != 0) argv.insert(argv.begin() + 1, {"--user", "--map-root-user"});
  const std::string marker = "3000.0" + std::to_string(::getpid()) + "2";
  argv.insert(argv.end(), {"/bin/sleep", marker});
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t unshare = 0;
  if (::access(argv[0].c_str(), X_OK) != 0 ||
      ::posix_spawn(&unshare, argv[0].c_str(), nullptr, nullptr, args.data(), environ) != 0) {
    MESSAGE("skipped the orphan part: cannot run unshare");
    return;
  }
  detail::note_new_child();  // as every spawner of a child whose descendants may be orphaned
  pid_t orphan = 0;
  bool started = eventually([&] {
    for (const auto& p : process_table())
      if (p.ppid == unshare && p.cmdline.find(marker) != std::string::npos) orphan = p.pid;
    return orphan > 0 || !exists(unshare);
  });
  if (!started || orphan == 0) {
    ::kill(unshare, SIGKILL);
    ::waitpid(unshare, nullptr, 0);
    MESSAGE("skipped the orphan part: unshare could not make a pid namespace here");
    return;
  }
  CHECK(detail::is_namespace_init(orphan));
  const auto reaped_before = detail::orphans_reaped();
  ::kill(unshare, SIGKILL);
  // unshare is our own child: its status is ours to take, not the reaper's.
  REQUIRE(::waitpid(unshare, &status, 0) == unshare);
  CHECK(WIFSIGNALED(status));
  ::kill(orphan, SIGKILL);  // now our child (we are its subreaper); nobody claims it
  CHECK(eventually([&] { return !exists(orphan); }));
  CHECK(detail::orphans_reaped() > reaped_before);
  CHECK(own_zombies() == 0);
}
