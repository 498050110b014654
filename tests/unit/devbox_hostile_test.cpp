// Hostile commands against local devboxes, through the DevboxService as the tools use it: a fork
// bomb, a memory hog, network access, looking at the host, escaping the home through paths and
// symlinks, and processes that try to outlive a timeout or a cancel. What is left behind is
// checked from outside, in the host's /proc. Tests skip with a message when bubblewrap is not
// usable on the host.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "devbox_test_support.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

extern "C" char** environ;

// Polls `cond` for up to `limit`.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds limit = 5000ms) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

// A TCP listener on the host's 127.0.0.1 (any free port), closed with the object.
struct HostListener {
  int fd = -1;
  int port = 0;
  HostListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~HostListener() { ::close(fd); }
  // A bash command that connects to the listener and prints "connected" if it could.
  std::string connect_command() const {
    return "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) +
           "' && echo connected";
  }
};

// A TCP listener on every address of the host (0.0.0.0, any free port) that counts what it
// accepts, closed with the object.
struct AnyAddressListener {
  int fd = -1;
  int port = 0;
  AnyAddressListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 64) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port = ntohs(addr.sin_port);
  }
  ~AnyAddressListener() { ::close(fd); }
  // Connections accepted (and closed) since the last call.
  int accepted() {
    int n = 0;
    for (int c; (c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; ++n) ::close(c);
    return n;
  }
};

// The host's non-loopback IPv4 addresses.
std::vector<std::string> host_ipv4_addresses() {
  std::vector<std::string> found;
  ifaddrs* list = nullptr;
  REQUIRE(::getifaddrs(&list) == 0);
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    found.emplace_back(::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text));
  }
  ::freeifaddrs(list);
  return found;
}

// Whether this process connects to `address`:`port` within a second, then hangs up.
bool host_can_connect(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Whether this process resolves `host` and connects to it within 3 seconds.
bool host_resolves_and_connects(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return false;
  bool ok = false;
  for (addrinfo* a = found; a != nullptr && !ok; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    timeval tv{3, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ok = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return ok;
}

// A bash command that connects to `address`:`port` (5 s at most) and prints "connected" if it
// could.
std::string connect_command(const std::string& address, int port) {
  return "timeout 5 bash -c 'exec 3<>/dev/tcp/" + address + "/" + std::to_string(port) +
         "' && echo connected";
}

DevboxCreateRequest with_network() {
  DevboxCreateRequest r;
  r.launch_parameters.network = true;
  r.network_set = true;
  return r;
}

// slirp4netns processes this process started (one per live networked devbox).
int slirp_children() {
  int n = 0;
  for_each_host_process([&](pid_t pid, const std::string& cmd) {
    if (cmd.rfind("slirp4netns", 0) != 0 && cmd.find("/slirp4netns ") == std::string::npos) return;
    const std::string stat = read_proc_text("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid()) ++n;
  });
  return n;
}

// Forks and execs /bin/true on the host; returns how long it took, or -1ms if it failed.
std::chrono::milliseconds host_fork_exec_true() {
  const auto t0 = Clock::now();
  pid_t pid = 0;
  char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
  if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) return -1ms;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a fork bomb in a devbox is held by its process limit and leaves nothing behind" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest limited;
  limited.launch_parameters.resources.max_processes = 32;
  const auto bombed = create_devbox(*s, limited);
  const auto neighbour = create_devbox(*s);

  // The classic bomb; the command itself then becomes `sleep 3` (exec needs no new process), so
  // the bomb rages for 3 s and the command ends by itself.
  const std::string marker = unique_marker();
  ExecRequest bomb;
  bomb.devbox_id = bombed.id;
  bomb.command = ": " + marker + "; bomb() { bomb | bomb & }; bomb; exec sleep 3";
  bomb.timeout = 30s;
  const auto started = s->execute_async(bomb);

  int peak = 0, peak_in_cgroup = 0;
  std::chrono::milliseconds slowest_host_fork{0};
  bool host_fork_failed = false;
  const auto until = Clock::now() + 2500ms;
  while (Clock::now() < until) {
    peak = std::max(peak, devbox_host_processes(bombed.id, marker));
    peak_in_cgroup = std::max(peak_in_cgroup, devbox_cgroup_processes(bombed.id));
    const auto took = host_fork_exec_true();
    if (took < 0ms) host_fork_failed = true;
    slowest_host_fork = std::max(slowest_host_fork, took);
    std::this_thread::sleep_for(100ms);
  }
  MESSAGE("fork bomb: peak " << peak << " processes (" << peak_in_cgroup
                             << " seen in its cgroups), slowest host fork/exec "
                             << slowest_host_fork.count() << " ms");
  CHECK(peak > 8);    // the bomb did run
  CHECK(peak <= 32);  // and was held by max_processes (bwrap's own processes included)
  // The host kept forking.
  CHECK_FALSE(host_fork_failed);
  CHECK(slowest_host_fork < 2000ms);
  // Another devbox answers meanwhile (each devbox has its own pids cgroup; without cgroups the
  // limit is RLIMIT_NPROC of the sandboxes' shared uid, which the bomb exhausts for all).
  if (peak_in_cgroup > 0) {
    const auto t0 = Clock::now();
    CHECK(run_in(*s, neighbour.id, "echo alive").stdout_text == "alive\n");
    CHECK(Clock::now() - t0 < 5s);
  } else {
    MESSAGE("no pids cgroup: not checking another devbox during the bomb");
  }

  const auto done = s->wait_for_execution(bombed.id, started.execution_id, {"completed"}, 30s);
  CHECK(done.status == "completed");
  CHECK_FALSE(done.timed_out);
  CHECK(devbox_host_processes(bombed.id, marker) == 0);
  // The bombed devbox itself is usable again.
  CHECK(run_in(*s, bombed.id, "echo recovered").stdout_text == "recovered\n");
}

TEST_CASE("a memory hog in a devbox is killed and the execution says why" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest small;
  small.launch_parameters.resources.resource_size_request = "X_SMALL";  // 1 GiB
  const auto d = create_devbox(*s, small);
  const std::string hog = "/usr/bin/python3 -c 'b = b\"x\" * (3 << 30); print(\"allocated\")'";
  // In a fresh shell and in a named one; the hog behind a shell that goes on, and on its own.
  for (const std::string shell : {"", "main"}) {
    CAPTURE(shell);
    const auto behind = run_in(*s, d.id, hog + "; echo python-exit=$?", shell);
    CAPTURE(behind.note);
    CAPTURE(behind.stderr_text);
    CHECK(behind.status == "completed");
    CHECK(behind.stdout_text.find("allocated") == std::string::npos);
    CHECK(behind.stdout_text.find("python-exit=0") == std::string::npos);
    if (behind.stdout_text.find("python-exit=137") != std::string::npos) {
      // Memory cgroup: the kernel killed python; the shell went on, and the note says why.
      CHECK(behind.exit_status == 0);
      CHECK(behind.note.find("memory limit") != std::string::npos);
    } else {
      // Without a memory cgroup, RLIMIT_AS makes the allocation fail instead.
      MESSAGE("no memory cgroup: the allocation failed under RLIMIT_AS");
      CHECK(behind.stderr_text.find("MemoryError") != std::string::npos);
    }
    const auto alone = run_in(*s, d.id, "exec " + hog, shell);
    CAPTURE(alone.note);
    CHECK(alone.exit_status != 0);
    if (alone.exit_status == 137) CHECK(alone.note.find("memory limit") != std::string::npos);
  }
  // The devbox survives its hog.
  CHECK(run_in(*s, d.id, "echo fine").stdout_text == "fine\n");
  CHECK(s->get(d.id).status == "running");
}

TEST_CASE("a devbox has only lo by default; with network:true its own network, without the host" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  HostListener listener;
  const std::string interfaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort";

  const auto isolated = create_devbox(*s);
  CHECK_FALSE(isolated.launch_parameters.network);
  // Only its own loopback: /proc/net/dev lists the interfaces of the reader's namespace.
  CHECK(run_in(*s, isolated.id, interfaces).stdout_text == "lo\n");
  auto e = run_in(*s, isolated.id, listener.connect_command());
  CHECK(e.exit_status != 0);
  CHECK(e.stdout_text.empty());
  CHECK(e.stderr_text.find("refused") != std::string::npos);

  const auto networked = create_devbox(*s, with_network());
  CHECK(networked.launch_parameters.network);
  CHECK(run_in(*s, networked.id, interfaces).stdout_text == "lo\ntap0\n");
  // Outbound is wired: a default route through tap0, and a resolver slirp4netns answers.
  CHECK(
      run_in(*s, networked.id, "awk '$2 == \"00000000\" {print $1}' /proc/net/route").stdout_text ==
      "tap0\n");
  CHECK(run_in(*s, networked.id, "grep nameserver /etc/resolv.conf").stdout_text ==
        "nameserver 10.0.2.3\n");
  // The host's loopback is not reachable: 127.0.0.1 is the devbox's own.
  e = run_in(*s, networked.id, listener.connect_command());
  CHECK(e.exit_status != 0);
  CHECK(e.stdout_text.empty());
}

TEST_CASE("a networked devbox reaches no port of the host: loopback, its addresses, slirp's" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  // A listener on every address of the host, and the addresses to try it on: the host's own
  // (every non-loopback IPv4 address it has), and slirp4netns's gateway and DNS forwarder, which
  // stand for the host's side.
  AnyAddressListener listener;
  std::vector<std::string> targets = {"127.0.0.1", "10.0.2.2", "10.0.2.3"};
  for (const auto& a : host_ipv4_addresses()) targets.push_back(a);
  MESSAGE("the host's addresses tried: " << targets.size() - 3);
  for (const auto& a : targets) {
    INFO(a);
    // The listener answers on the host's addresses, from the host (10.0.2.x exist only inside).
    if (a.rfind("10.0.2.", 0) != 0) CHECK(host_can_connect(a, listener.port));
  }
  listener.accepted();  // forget those

  const auto d = create_devbox(*s, with_network());
  for (const auto& a : targets) {
    INFO(a);
    auto e = run_in(*s, d.id, connect_command(a, listener.port));
    CHECK(e.exit_status != 0);
    CHECK(e.stdout_text.empty());
  }
  CHECK(listener.accepted() == 0);
  // The devbox cannot take its fences down: it has no capability over its namespace.
  auto e = run_in(*s, d.id, "ip route flush table main 2>&1; ip route del prohibit 10.0.2.2 2>&1");
  CHECK(e.stdout_text.find("Operation not permitted") != std::string::npos);
}

TEST_CASE("two networked devboxes listen on port 8080 at once; commands of one share its ports" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  const int helpers_before = slirp_children();
  std::vector<Devbox> boxes = {create_devbox(*s, with_network()),
                               create_devbox(*s, with_network())};
  CHECK(slirp_children() == helpers_before + 2);
  for (size_t i = 0; i < boxes.size(); ++i) {
    ExecRequest serve;
    serve.devbox_id = boxes[i].id;
    serve.command =
        "exec python3 -c \"import socket\n"
        "s = socket.socket(); s.bind(('0.0.0.0', 8080)); s.listen()\n"
        "while True:\n"
        "    c, _ = s.accept(); c.sendall(b'devbox " +
        std::to_string(i) + "'); c.close()\"";
    s->execute_async(serve);
  }
  // Each devbox's next command reaches its own server on 127.0.0.1:8080.
  for (size_t i = 0; i < boxes.size(); ++i) {
    auto e = run_in(*s, boxes[i].id,
                    "for i in $(seq 100); do exec 3<>/dev/tcp/127.0.0.1/8080 && break; "
                    "sleep 0.05; done 2>/dev/null; cat <&3");
    CHECK(e.stdout_text == "devbox " + std::to_string(i));
  }
  // Shut down, nothing of them is left running: neither the servers nor slirp4netns.
  for (const auto& b : boxes) s->shutdown(b.id);
  CHECK(eventually([&] { return slirp_children() == helpers_before; }));
  for (const auto& b : boxes) CHECK(devbox_host_processes(b.id, "") == 0);
}

TEST_CASE("a networked devbox reaches the internet where the host does" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  // Only shown where the host itself has a way out; this machine may have none.
  const std::string host = "deb.debian.org";
  if (!host_resolves_and_connects(host, 80)) {
    MESSAGE("skipped: the host cannot reach " << host
                                              << ":80 itself, so outbound access cannot "
                                                 "be shown here");
    return;
  }
  TempDir dir;
  auto s = open_devboxes(dir);
  const auto d = create_devbox(*s, with_network());
  auto e = run_in(*s, d.id,
                  "timeout 10 bash -c 'exec 3<>/dev/tcp/" + host +
                      "/80 && printf \"HEAD / HTTP/1.0\\r\\nHost: " + host +
                      "\\r\\n\\r\\n\" >&3 && head -n 1 <&3'");
  INFO(e.stderr_text);
  CHECK(e.stdout_text.rfind("HTTP/", 0) == 0);
}

TEST_CASE("the host's home, /root, the data dir and other devboxes are invisible in a devbox" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  const auto d = create_devbox(*s);
  const auto other = create_devbox(*s);
  s->write_file(other.id, "secret.txt", "other devbox's secret");
  const fs::path other_home = dir.path / "devboxes" / other.id / "home";
  REQUIRE(fs::exists(other_home / "secret.txt"));

  // Paths that exist on the host and must not exist inside.
  std::vector<std::string> host_paths = {"/root", "/work", dir.path.string(),
                                         (dir.path / "platform.db").string(),
                                         (other_home / "secret.txt").string()};
  if (const char* home = std::getenv("HOME"); home && *home && std::string(home) != "/") {
    host_paths.emplace_back(home);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(home, ec)) {
      host_paths.push_back(entry.path().string());  // one file of the host's home
      break;
    }
  }
  std::string script;
  for (const auto& p : host_paths)
    if (fs::exists(p)) script += "ls -A '" + p + "' >/dev/null 2>&1 && echo 'visible: " + p + "'\n";
  REQUIRE(!script.empty());
  script += "echo home=$HOME; ls -A /home";
  const auto e = run_in(*s, d.id, script);
  CAPTURE(script);
  CHECK(e.stdout_text.find("visible:") == std::string::npos);
  CHECK(e.stdout_text.find("home=/home/user\nuser\n") != std::string::npos);
  CHECK(run_in(*s, d.id, "cat secret.txt 2>&1").stdout_text.find("other devbox") ==
        std::string::npos);
}

TEST_CASE("devbox files refuse traversal, absolute paths and symlinks leading out of the home" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  const auto d = create_devbox(*s);
  const fs::path home = dir.path / "devboxes" / d.id / "home";
  // A host file next to the data dir's devboxes: the target of the escapes below.
  const fs::path outside = dir.path / "outside.txt";
  std::ofstream(outside) << "host secret";
  // Written to host paths only if confinement failed (they are removed again then).
  const std::string etc_probe = "/etc/ra-devbox-hostile-" + std::to_string(::getpid());

  const std::vector<std::string> escapes = {
      "../x",        "../../../outside.txt",        "a/../../x",
      "/etc/passwd", "/home/user/../../etc/passwd", "/tmp/x",
      etc_probe};
  for (const auto& path : escapes) {
    CAPTURE(path);
    CHECK(kind_of([&] { s->read_file(d.id, path, 0, std::nullopt); }) == ErrorKind::forbidden);
    if (path != "/etc/passwd")
      CHECK(kind_of([&] { s->write_file(d.id, path, "escaped"); }) == ErrorKind::forbidden);
  }
  CHECK_FALSE(fs::exists(home.parent_path() / "x"));
  CHECK_FALSE(fs::exists(etc_probe));
  fs::remove(etc_probe);

  // Symlinks made inside, pointing out: to a sandbox path, to the host file by its host path and
  // by a relative path that leads there on the host, to / and to .. (as directories), and to a
  // host path that does not exist yet (writing through it would create it).
  const std::string links =
      "echo inside > notes.txt && ln -s notes.txt ok && "
      "ln -s /etc/passwd passwd && ln -s " +
      outside.string() + " abs && " +
      "ln -s ../../../outside.txt rel && ln -s / root && ln -s .. up && " +
      "ln -s /etc etc && ln -s " + etc_probe + " probe";
  REQUIRE(run_in(*s, d.id, links).exit_status == 0);
  CHECK(s->read_file(d.id, "ok", 0, std::nullopt).data == "inside\n");  // a link inside is fine
  for (const std::string path :
       {"passwd", "abs", "rel", "root/etc/passwd", "up/outside.txt", "etc/passwd"}) {
    CAPTURE(path);
    CHECK(kind_of([&] { s->read_file(d.id, path, 0, std::nullopt); }) == ErrorKind::forbidden);
  }
  const std::vector<std::string> written = {
      "abs",        "rel",   "up/x",
      "root/tmp/x", "probe", "etc/" + fs::path(etc_probe).filename().string()};
  for (const auto& path : written) {
    CAPTURE(path);
    CHECK(kind_of([&] { s->write_file(d.id, path, "escaped"); }) == ErrorKind::forbidden);
  }
  CHECK(slurp(outside) == "host secret");
  CHECK_FALSE(fs::exists(home.parent_path() / "x"));
  CHECK_FALSE(fs::exists(etc_probe));
  fs::remove(etc_probe);
  // Inside, the same links lead nowhere on the host either.
  CHECK(run_in(*s, d.id, "cat abs rel 2>&1").stdout_text.find("host secret") == std::string::npos);
}

TEST_CASE("timeout and cancel of a devbox command leave no process, even detached ones" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  const auto d = create_devbox(*s);
  // Background, double-forked into a new session, and nohup'd sleeps, then one in front: four
  // processes carrying the marker `m`.
  auto escaping = [&](const std::string& m) {
    ExecRequest r;
    r.devbox_id = d.id;
    r.command = "sleep 600 " + m + " & (setsid sleep 600 " + m + " &); nohup sleep 600 " + m +
                " >/dev/null 2>&1 & echo started; sleep 600 " + m;
    return r;
  };

  SUBCASE("timeout") {
    const std::string m = unique_marker();
    auto r = escaping(m);
    r.timeout = 1s;
    const auto t0 = Clock::now();
    const auto started = s->execute_async(r);
    CHECK(eventually([&] { return host_processes_with(m) >= 4; }));
    const auto e = s->wait_for_execution(d.id, started.execution_id, {"completed"}, 10s);
    CHECK(e.status == "completed");
    CHECK(e.timed_out);
    CHECK(e.exit_status == 137);
    CHECK(e.note.find("timeout") != std::string::npos);
    CHECK(Clock::now() - t0 < 5s);
    CHECK(devbox_host_processes(d.id, m) == 0);
  }

  SUBCASE("cancel") {
    const std::string m = unique_marker();
    auto r = escaping(m);
    r.cancel = std::make_shared<ExecCancel>();
    std::thread canceller([&] {
      eventually([&] { return host_processes_with(m) >= 4; });
      r.cancel->cancel();
    });
    const auto t0 = Clock::now();
    const auto e = s->execute(r);
    canceller.join();
    CHECK(e.killed);
    CHECK(e.stdout_text == "started\n");
    CHECK(Clock::now() - t0 < 10s);
    CHECK(devbox_host_processes(d.id, m) == 0);
  }

  SUBCASE("kill of an async execution in a named shell") {
    const std::string m = unique_marker();
    auto r = escaping(m);
    r.shell_name = "main";
    const auto started = s->execute_async(r);
    REQUIRE(eventually([&] { return host_processes_with(m) >= 4; }));
    const auto e = s->kill_execution(d.id, started.execution_id);
    CHECK(e.status == "completed");
    CHECK(e.killed);
    CHECK(host_processes_with(m) == 0);
    CHECK(run_in(*s, d.id, "echo next", "main").stdout_text == "next\n");
  }
  CHECK(run_in(*s, d.id, "echo still-usable").stdout_text == "still-usable\n");
}
