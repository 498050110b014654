// Tests of the local sandbox engine (platform/local/sandbox/sandbox.hpp). The ones that need
// bubblewrap skip with a message when it is not usable on the host.
#include "platform/local/sandbox/sandbox.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "devbox_test_support.hpp"
#include "platform/local/sandbox/output_capture.hpp"
#include "proc_text.hpp"

using namespace runagents::platform;
using namespace runagents::platform::local;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

int next_number() {
  static std::atomic<int> n{0};
  return ++n;
}

// A fresh host directory to serve as a sandbox home, removed afterwards.
struct TempHome {
  std::filesystem::path path;
  TempHome() {
    std::string templ = "/tmp/ra-sbx-test-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    REQUIRE(made != nullptr);
    path = made;
  }
  ~TempHome() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

bool bwrap_usable() {
  auto support = check_sandbox_support();
  if (!support.usable) MESSAGE("skipped: " << support.message);
  return support.usable;
}

SandboxSpec make_spec(const TempHome& home) {
  SandboxSpec spec;
  spec.id = "test-" + std::to_string(::getpid()) + "-" + std::to_string(next_number());
  spec.home_dir = home.path;
  return spec;
}

// A string unique to this test run, usable as an extra `sleep` argument (sleep adds them up).
std::string unique_marker() {
  return "0.0" + std::to_string(::getpid()) + "0" + std::to_string(next_number()) + "7";
}

// Host processes whose command line mentions `marker`.
int processes_with(const std::string& marker) {
  int count = 0;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return 0;
  while (auto* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoi(name) == ::getpid()) continue;
    const std::string cmdline = testing::read_proc_text("/proc/" + name + "/cmdline");
    if (cmdline.find(marker) != std::string::npos) ++count;
  }
  ::closedir(dir);
  return count;
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return e.kind();
  }
  FAIL("no PlatformError thrown");
  return ErrorKind::internal;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return e.what();
  }
  return "";
}

long read_counter(const std::filesystem::path& file) {
  std::ifstream in(file);
  long value = -1;
  in >> value;
  return value;
}

// Polls `cond` for up to `limit`.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds limit = 2000ms) {
  auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// No bwrap needed

TEST_CASE("limits are validated with the field and its range" * doctest::test_suite("sandbox")) {
  ResourceLimits limits;
  CHECK_NOTHROW(limits.validate());
  limits.max_processes = 1;
  CHECK(kind_of([&] { limits.validate(); }) == ErrorKind::invalid);
  std::string message = error_of([&] { limits.validate(); });
  CHECK(message.find("max_processes") != std::string::npos);
  CHECK(message.find("8 .. 65536") != std::string::npos);
  limits = {};
  limits.memory_bytes = 1024;
  CHECK(error_of([&] { limits.validate(); }).find("memory_bytes") != std::string::npos);
}

TEST_CASE("sandbox spec errors are actionable" * doctest::test_suite("sandbox")) {
  TempHome home;
  SandboxSpec spec = make_spec(home);
  spec.id = "bad/id";
  CHECK(kind_of([&] { Sandbox s(spec); }) == ErrorKind::invalid);
  spec = make_spec(home);
  spec.home_dir = home.path / "missing";
  CHECK(kind_of([&] { Sandbox s(spec); }) == ErrorKind::not_found);
  spec = make_spec(home);
  spec.ro_binds = {{"/usr/share", "/home/user/share"}};
  CHECK(kind_of([&] { Sandbox s(spec); }) == ErrorKind::invalid);
  spec = make_spec(home);
  spec.env = {{"1BAD", "x"}};
  CHECK(kind_of([&] { Sandbox s(spec); }) == ErrorKind::invalid);
  spec = make_spec(home);
  spec.uid = 0;
  CHECK(error_of([&] { Sandbox s(spec); }).find("host's root") != std::string::npos);
}

TEST_CASE("output capture keeps head and tail and marks the cut" * doctest::test_suite("sandbox")) {
  detail::OutputCapture small(1024);
  small.append("hello\n");
  auto out = small.snapshot();
  CHECK(out.data == "hello\n");
  CHECK_FALSE(out.truncated);
  CHECK(out.total_bytes == 6);

  detail::OutputCapture capture(1024);
  std::string all;
  for (int i = 0; i < 1000; ++i) all += "line " + std::to_string(i) + "\n";
  for (std::size_t i = 0; i < all.size(); i += 7) capture.append(all.substr(i, 7));
  out = capture.snapshot();
  CHECK(out.truncated);
  CHECK(out.total_bytes == all.size());
  CHECK(out.data.rfind("line 0\nline 1\n", 0) == 0);
  CHECK(out.data.size() < 1100);
  CHECK(out.data.find("bytes omitted ...]") != std::string::npos);
  CHECK(out.data.substr(out.data.size() - 9) == "line 999\n");

  // The cut never splits a UTF-8 character.
  detail::OutputCapture utf8(1024);
  std::string euro;
  for (int i = 0; i < 1000; ++i) euro += "\xE2\x82\xAC";
  utf8.append(euro);
  out = utf8.snapshot();
  auto marker = out.data.find("\n[...");
  REQUIRE(marker != std::string::npos);
  CHECK(marker % 3 == 0);
  auto tail = out.data.substr(out.data.find("]\n") + 2);
  CHECK(tail.size() % 3 == 0);
  CHECK(tail.rfind("\xE2", 0) == 0);
}

TEST_CASE("paths are confined to the home" * doctest::test_suite("sandbox")) {
  TempHome home;
  const auto& h = home.path;
  std::filesystem::create_directories(h / "sub");
  std::filesystem::create_symlink("/etc", h / "etc_link");
  std::filesystem::create_symlink("/etc/passwd", h / "passwd_link");
  std::filesystem::create_symlink("../../..", h / "sub" / "up");
  std::filesystem::create_symlink("/home/user/sub", h / "abs_inside");
  std::filesystem::create_symlink("sub", h / "rel_inside");

  CHECK(resolve_in_home(h, "a/b").relative == "a/b");
  CHECK(resolve_in_home(h, "a/b").sandbox_path == "/home/user/a/b");
  CHECK(resolve_in_home(h, "/home/user/a").relative == "a");
  CHECK(resolve_in_home(h, "/home/user").relative.empty());
  CHECK(resolve_in_home(h, "a/../b/./c").relative == "b/c");
  CHECK(resolve_in_home(h, "abs_inside/f").relative == "sub/f");
  CHECK(resolve_in_home(h, "rel_inside/f").host_path == h / "sub" / "f");

  CHECK(kind_of([&] { resolve_in_home(h, ""); }) == ErrorKind::invalid);
  CHECK(kind_of([&] { resolve_in_home(h, "../x"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "a/../../x"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "/etc/passwd"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "/home/userx/a"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "etc_link/passwd"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "passwd_link"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { resolve_in_home(h, "sub/up/etc"); }) == ErrorKind::forbidden);
  std::string message = error_of([&] { resolve_in_home(h, "etc_link/passwd"); });
  CHECK(message.find("etc_link -> /etc") != std::string::npos);

  CHECK(kind_of([&] { read_home_file(h, "passwd_link"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { write_home_file(h, "etc_link/evil", "x"); }) == ErrorKind::forbidden);
  CHECK(kind_of([&] { read_home_file(h, "../../etc/passwd"); }) == ErrorKind::forbidden);
}

TEST_CASE("files are read and written as bytes inside the home" * doctest::test_suite("sandbox")) {
  TempHome home;
  std::string bytes("a\0b\xff", 4);
  write_home_file(home.path, "deep/er/f.bin", bytes);
  CHECK(read_home_file(home.path, "deep/er/f.bin").data == bytes);
  auto part = read_home_file(home.path, "/home/user/deep/er/f.bin", 1, 2);
  CHECK(part.data == std::string("\0b", 2));
  CHECK(part.size == 4);
  WriteOptions append;
  append.append = true;
  write_home_file(home.path, "deep/er/f.bin", "cd", append);
  CHECK(read_home_file(home.path, "deep/er/f.bin").size == 6);
  CHECK(kind_of([&] { read_home_file(home.path, "deep/er/f.bin", 7); }) == ErrorKind::invalid);
  CHECK(kind_of([&] { read_home_file(home.path, "nope"); }) == ErrorKind::not_found);
  CHECK(kind_of([&] { read_home_file(home.path, "deep"); }) == ErrorKind::invalid);
  WriteOptions no_parents;
  no_parents.create_parents = false;
  CHECK(kind_of([&] { write_home_file(home.path, "x/y", "z", no_parents); }) ==
        ErrorKind::not_found);
  CHECK(kind_of([&] { write_home_file(home.path, "/home/user", "z"); }) == ErrorKind::invalid);
}

// ---------------------------------------------------------------------------------------------
// Commands

TEST_CASE("echo, exit codes, argv and stdin" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));

  auto r = sandbox.run("echo hello; echo oops >&2");
  CHECK(r.exit_code == 0);
  CHECK(r.out.data == "hello\n");
  CHECK(r.err.data == "oops\n");
  CHECK_FALSE(r.out.truncated);

  CHECK(sandbox.run("exit 42").exit_code == 42);
  r = sandbox.run("kill -9 $$");
  CHECK(r.exit_code == 137);
  CHECK(r.signal == 9);

  r = sandbox.run(Command::exec({"printf", "%s|", "a b", "c"}));
  CHECK(r.out.data == "a b|c|");

  ExecOptions with_input;
  with_input.stdin_data = "line one\nline two";
  CHECK(sandbox.run("cat", with_input).out.data == "line one\nline two");
  CHECK(sandbox.run("cat").out.data.empty());  // stdin is /dev/null by default

  CHECK(kind_of([&] { sandbox.run(Command::exec({})); }) == ErrorKind::invalid);
}

TEST_CASE("a stdin pipe takes input while the command runs, until closed or completed" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));

  ExecOptions piped;
  piped.stdin_pipe = true;
  piped.stdin_data = "first\n";  // written first, stdin stays open
  auto cat = sandbox.start("cat", piped);
  CHECK(cat->write_input("second\n"));
  CHECK_FALSE(cat->wait_for(std::chrono::milliseconds(300)));  // cat waits for more
  CHECK(cat->close_input());
  CHECK_FALSE(cat->close_input());          // closed already
  CHECK_FALSE(cat->write_input("late\n"));  // ditto
  auto r = cat->wait();
  CHECK(r.exit_code == 0);
  CHECK(r.out.data == "first\nsecond\n");
  CHECK_FALSE(cat->write_input("after\n"));
  CHECK_FALSE(cat->interrupt());

  // Without stdin_pipe there is nothing to write to.
  auto plain = sandbox.start("sleep 5");
  CHECK_FALSE(plain->write_input("x"));
  plain->kill();

  // interrupt() is SIGINT to the command, as Ctrl-C; a kill closes the pipe with the command.
  auto trapped =
      sandbox.start("trap 'echo got-int; exit 5' INT; while :; do sleep 0.05; done", piped);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(trapped->interrupt());
  r = trapped->wait();
  CHECK(r.exit_code == 5);
  CHECK(r.out.data == "got-int\n");
  auto killed = sandbox.start("cat", piped);
  killed->kill();
  CHECK(killed->result()->cancelled);
  CHECK_FALSE(killed->write_input("x"));
}

TEST_CASE("usage comes from the sandbox's cgroups, or says why not" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  sandbox.run("python3 -c 'x = bytearray(30 << 20); sum(range(3000000))'");
  auto u = sandbox.usage();
  if (u.cpu_time_ns)
    CHECK(*u.cpu_time_ns > 10'000'000);  // python's start and the sum
  else
    CHECK_FALSE(u.note.empty());
  if (u.peak_memory_bytes)
    CHECK(*u.peak_memory_bytes >= (30u << 20));
  else
    CHECK(u.note.find("memory") != std::string::npos);
  MESSAGE("usage: cpu " << (u.cpu_time_ns ? *u.cpu_time_ns : 0) << " ns, peak "
                        << (u.peak_memory_bytes ? *u.peak_memory_bytes : 0) << " bytes, note '"
                        << u.note << "'");

  SandboxSpec off = make_spec(home);
  off.use_cgroups = false;
  Sandbox without(off);
  auto none = without.usage();
  CHECK_FALSE(none.cpu_time_ns);
  CHECK_FALSE(none.peak_memory_bytes);
  CHECK(none.note.find("disabled") != std::string::npos);
}

TEST_CASE("environment and working directory" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  ::setenv("RA_HOST_ONLY_VARIABLE", "leak", 1);
  SandboxSpec spec = make_spec(home);
  spec.env = {{"SPEC_VAR", "from-spec"}};
  Sandbox sandbox(spec);
  std::filesystem::create_directories(home.path / "proj" / "src");

  ExecOptions options;
  options.env = {{"OPT_VAR", "from-options"}};
  options.working_dir = "proj/src";
  auto r = sandbox.run("pwd; echo $HOME $SPEC_VAR $OPT_VAR; env", options);
  std::istringstream lines(r.out.data);
  std::string pwd, vars;
  std::getline(lines, pwd);
  std::getline(lines, vars);
  CHECK(pwd == "/home/user/proj/src");
  CHECK(vars == "/home/user from-spec from-options");
  CHECK(r.out.data.find("RA_HOST_ONLY_VARIABLE") == std::string::npos);
  CHECK(r.out.data.find("PATH=/usr/local/sbin") != std::string::npos);
  ::unsetenv("RA_HOST_ONLY_VARIABLE");

  CHECK(sandbox.run("pwd").out.data == "/home/user\n");
  options = {};
  options.working_dir = "../..";
  CHECK(kind_of([&] { sandbox.run("pwd", options); }) == ErrorKind::forbidden);
  options.working_dir = "missing";
  CHECK(kind_of([&] { sandbox.run("pwd", options); }) == ErrorKind::not_found);
}

TEST_CASE("a sandbox has a network of its own: only lo, or outbound without the host" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::string connect = "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/" +
                        std::to_string(ntohs(addr.sin_port)) + "' && echo connected";
  const std::string interfaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort";

  TempHome home;
  Sandbox isolated(make_spec(home));
  auto r = isolated.run(connect);
  CHECK(r.exit_code != 0);
  CHECK(r.out.data.empty());
  CHECK(isolated.run(interfaces).out.data == "lo\n");

  SandboxSpec spec = make_spec(home);
  spec.network = true;
  Sandbox networked(spec);
  r = networked.run(connect);
  CHECK(r.exit_code != 0);  // the host's loopback is not the sandbox's
  CHECK(r.out.data.empty());
  CHECK(networked.run(interfaces).out.data == "lo\ntap0\n");
  // A default route (destination 00000000) through tap0: outbound is wired.
  CHECK(networked.run("awk '$2 == \"00000000\" {print $1}' /proc/net/route").out.data == "tap0\n");
  ::close(listener);
}

TEST_CASE("the commands of a sandbox share its network namespace, which outlives kill_all" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  // A listener in one command is reached from another.
  auto server = sandbox.start(
      "exec python3 -c \"import socket; s = socket.socket(); s.bind(('127.0.0.1', 8080)); "
      "s.listen(); c, _ = s.accept(); c.sendall(b'hello from the server')\"");
  auto r = sandbox.run(
      "for i in $(seq 100); do exec 3<>/dev/tcp/127.0.0.1/8080 && break; sleep 0.05; done "
      "2>/dev/null; cat <&3");
  CHECK(r.out.data == "hello from the server");
  CHECK(server->wait().exit_code == 0);
  auto inode = [&] { return sandbox.run("readlink /proc/self/ns/net").out.data; };
  const auto before = inode();
  sandbox.kill_all();
  CHECK(inode() == before);
}

namespace {

// Connects to 127.0.0.1:`port` on the host (with a 10 s read timeout); -1 when refused.
int connect_host(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

struct Reply {
  std::string data;
  int error = 0;  // errno of the read that ended it (ECONNRESET for a reset); 0 at end of stream
};

// Reads `fd` to its end (or an error) and closes it.
Reply read_to_end(int fd) {
  Reply r;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) r.data.append(buf, static_cast<std::size_t>(n));
  if (n < 0) r.error = errno;
  ::close(fd);
  return r;
}

// Connects to 127.0.0.1:`port` on the host, sends `request`, half-closes and reads to the end.
// Returns nullopt when the connection is refused.
std::optional<Reply> exchange_reply(int port, const std::string& request) {
  int fd = connect_host(port);
  if (fd < 0) return std::nullopt;
  if (!request.empty())
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
  ::shutdown(fd, SHUT_WR);
  return read_to_end(fd);
}

// The bytes of exchange_reply's answer.
std::optional<std::string> exchange(int port, const std::string& request) {
  auto r = exchange_reply(port, request);
  if (!r) return std::nullopt;
  return r->data;
}

}  // namespace

TEST_CASE("a forwarded port reaches a server in the sandbox, both ways, and ends with it" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  for (bool network : {false, true}) {
    CAPTURE(network);
    SandboxSpec spec = make_spec(home);
    spec.network = network;
    Sandbox sandbox(spec);
    // An echo server that upper-cases what it reads, until the client half-closes; many clients.
    auto server = sandbox.start(
        "exec python3 -c \"import socket\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', 8080)); s.listen()\n"
        "while True:\n"
        "    c, _ = s.accept(); data = b''\n"
        "    while True:\n"
        "        b = c.recv(65536)\n"
        "        if not b: break\n"
        "        data += b\n"
        "    c.sendall(data.upper()); c.close()\n\"");
    std::atomic<int> connections{0};
    auto forward = sandbox.forward_port(8080, [&] { ++connections; });
    CHECK(forward->port() == 8080);
    REQUIRE(forward->host_port() > 0);
    // A connection made before the server listens waits for it.
    REQUIRE(eventually([&] { return exchange(forward->host_port(), "ping") == "PING"; }, 10000ms));
    // A megabyte each way, and several connections at once.
    std::string big(1 << 20, 'x');
    CHECK(exchange(forward->host_port(), big) == std::string(1 << 20, 'X'));
    std::vector<std::thread> clients;
    std::atomic<int> good{0};
    for (int i = 0; i < 8; ++i)
      clients.emplace_back([&, i] {
        if (exchange(forward->host_port(), "client " + std::to_string(i)) ==
            "CLIENT " + std::to_string(i))
          ++good;
      });
    for (auto& t : clients) t.join();
    CHECK(good.load() == 8);
    CHECK(connections.load() >= 10);  // each connection made inside was reported
    // Nothing listens on 9090 inside: a connection waits 3 s for a listener, then is reset
    // (never an orderly, empty close).
    auto nothing = sandbox.forward_port(9090);
    const auto asked = std::chrono::steady_clock::now();
    auto refused = exchange_reply(nothing->host_port(), "hello");
    const auto waited = std::chrono::steady_clock::now() - asked;
    REQUIRE(refused.has_value());
    CHECK(refused->data.empty());
    CHECK(refused->error == ECONNRESET);
    CHECK(waited >= 2500ms);
    CHECK(waited < 8000ms);
    // Connections made before the server on 7070 starts are served once it listens.
    auto late = sandbox.forward_port(7070);
    std::optional<std::string> late_replies[2];
    std::thread late_clients[2];
    for (int i = 0; i < 2; ++i)
      late_clients[i] = std::thread(
          [&, i] { late_replies[i] = exchange(late->host_port(), "late " + std::to_string(i)); });
    std::this_thread::sleep_for(300ms);
    auto late_server = sandbox.start(
        "exec python3 -c \"import socket\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 7070)); s.listen()\n"
        "for _ in range(2):\n"
        "    c, _ = s.accept(); data = b''\n"
        "    while True:\n"
        "        b = c.recv(65536)\n"
        "        if not b: break\n"
        "        data += b\n"
        "    c.sendall(data.upper()); c.close()\n\"");
    for (auto& t : late_clients) t.join();
    CHECK(late_replies[0] == "LATE 0");
    CHECK(late_replies[1] == "LATE 1");
    CHECK(late_server->wait().exit_code == 0);
    // Destroying the PortForward resets a connection still open through it.
    const int before_open = connections.load();
    const int open_fd = connect_host(forward->host_port());
    REQUIRE(open_fd >= 0);
    REQUIRE(::send(open_fd, "x", 1, MSG_NOSIGNAL) == 1);  // the server now waits for the end
    REQUIRE(eventually([&] { return connections.load() > before_open; }, 5000ms));
    // Gone with its PortForward: the host port refuses.
    const int host_port = forward->host_port();
    forward.reset();
    auto cut = read_to_end(open_fd);
    CHECK(cut.error == ECONNRESET);
    CHECK_FALSE(exchange(host_port, "ping").has_value());
    server->kill();
  }
  CHECK(kind_of([&] {
          TempHome other;
          Sandbox s(make_spec(other));
          s.forward_port(0);
        }) == ErrorKind::invalid);
}

TEST_CASE("a port whose accept queue is full holds up no other connection of its tunnel" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  // Accepts one connection, upper-cases what it reads, and never accepts again: with a backlog
  // of 0 the next connection fills the queue, and the SYNs of the ones after are dropped.
  auto server = sandbox.start(
      "exec python3 -c \"import socket\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 6060)); s.listen(0)\n"
      "c, _ = s.accept()\n"
      "while True:\n"
      "    b = c.recv(100)\n"
      "    if not b: break\n"
      "    c.sendall(b.upper())\n\"");
  auto forward = sandbox.forward_port(6060);
  auto round_trip = [](int fd, const std::string& text) {
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
      return std::string();
    std::string got(text.size(), '\0');
    std::size_t have = 0;
    while (have < got.size()) {
      ssize_t n = ::read(fd, got.data() + have, got.size() - have);
      if (n <= 0) return std::string();
      have += static_cast<std::size_t>(n);
    }
    return got;
  };
  int first = -1;
  REQUIRE(eventually(
      [&] {
        if (first >= 0) ::close(first);
        first = connect_host(forward->host_port());
        return first >= 0 && round_trip(first, "a") == "A";
      },
      10000ms));
  // Three more: one fills the queue, two wait on dropped SYNs.
  std::vector<int> stuck;
  for (int i = 0; i < 3; ++i) {
    stuck.push_back(connect_host(forward->host_port()));
    REQUIRE(stuck.back() >= 0);
    REQUIRE(::send(stuck.back(), "x", 1, MSG_NOSIGNAL) == 1);
  }
  std::this_thread::sleep_for(300ms);  // the relay has started their connects inside
  const auto asked = std::chrono::steady_clock::now();
  CHECK(round_trip(first, "ping") == "PING");
  // A connect that blocked the relay held this for up to 5 s each.
  CHECK(std::chrono::steady_clock::now() - asked < 2000ms);
  ::close(first);
  for (int fd : stuck) ::close(fd);
  server->kill();
}

TEST_CASE("the host is invisible and read-only" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  std::string host_tmp = "/tmp/ra-host-only-" + std::to_string(::getpid());
  std::ofstream(host_tmp) << "secret";

  auto r = sandbox.run(
      "ls -A /root 2>&1; test -e /root/.bashrc || echo no-root; "
      "test -e /work || echo no-work; ls /home; test -e " +
      host_tmp + " || echo private-tmp");
  CHECK(r.out.data.find("no-root") != std::string::npos);
  CHECK(r.out.data.find("no-work") != std::string::npos);
  CHECK(r.out.data.find("private-tmp") != std::string::npos);
  CHECK(r.out.data.find("\nuser\n") != std::string::npos);
  std::filesystem::remove(host_tmp);

  for (const char* path : {"/usr/ra-test", "/etc/ra-test", "/ra-test", "/bin/ra-test"}) {
    CAPTURE(path);
    CHECK(sandbox.run(std::string("echo x > ") + path).exit_code != 0);
  }
  CHECK(sandbox.run("cat /etc/shadow 2>/dev/null | grep -c root").out.data == "0\n");
  CHECK(sandbox.run("grep CapEff /proc/self/status").out.data.find("0000000000000000") !=
        std::string::npos);
  // Never the host's root: a global, root-only (and here harmless) sysctl stays out of reach.
  CHECK(sandbox.run("id -u").out.data == std::to_string(*sandbox.spec().uid) + "\n");
  CHECK(*sandbox.spec().uid != 0);
  CHECK(sandbox.run("echo 1 > /proc/sys/vm/drop_caches").exit_code != 0);
  CHECK(sandbox.run("grep NoNewPrivs /proc/self/status").out.data == "NoNewPrivs:\t1\n");
  // Nothing to regain either: every capability set empty, no supplementary group, and the ids
  // set throughout (real, effective, saved, filesystem).
  CHECK(sandbox
            .run("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status | grep -vc "
                 "':\t0000000000000000$'")
            .out.data == "0\n");
  CHECK(sandbox.run("grep -E '^Groups:' /proc/self/status").out.data == "Groups:\t \n");
  const std::string id = std::to_string(*sandbox.spec().uid);
  CHECK(sandbox.run("grep -E '^Uid:' /proc/self/status").out.data ==
        "Uid:\t" + id + "\t" + id + "\t" + id + "\t" + id + "\n");
  if (::geteuid() == 0) {
    // A root server drops them with its own static helper, bound read-only into the container
    // (setpriv only when the helper is missing); after the first command, in the container made
    // ready for the next one, where the helper reads its command on stdin.
    CHECK(sandbox.run("tr '\\0' ' ' < /proc/1/cmdline")
              .out.data.find("/.runagents/drop-privileges --command-on-stdin " + id + " ") !=
          std::string::npos);
    CHECK(sandbox.run("echo x > /.runagents/drop-privileges").exit_code != 0);
  }

  r = sandbox.run("echo kept > in-home && echo tmp > /tmp/t && touch /dev/shm/s && cat /tmp/t");
  CHECK(r.exit_code == 0);
  CHECK(r.out.data == "tmp\n");
  CHECK(read_home_file(home.path, "in-home").data == "kept\n");
  // Files the server writes belong to the sandbox's user, which can change them.
  sandbox.write_file("from-host/notes.txt", "one\n");
  CHECK(sandbox.run("echo two >> from-host/notes.txt && touch from-host/new").exit_code == 0);
  CHECK(sandbox.read_file("from-host/notes.txt").data == "one\ntwo\n");
}

TEST_CASE("a fork bomb is held by the process limit" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  SandboxSpec spec = make_spec(home);
  spec.limits.max_processes = 32;
  Sandbox sandbox(spec);
  if (!sandbox.enforcement().processes_by_cgroup)
    MESSAGE("no writable pids cgroup: testing RLIMIT_NPROC (" << sandbox.enforcement().note << ")");
  std::string marker = "bomb" + unique_marker();
  auto r = sandbox.run("/usr/bin/python3 -c '\nimport os, time  # " + marker +
                       "\nn = 0\nfor i in range(200):\n"
                       "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
                       "    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
                       "    n += 1\nprint(n)\n'");
  CHECK(r.exit_code == 0);
  int spawned = std::atoi(r.out.data.c_str());
  CHECK(spawned > 0);
  CHECK(spawned < 32);
  CHECK(eventually([&] { return processes_with(marker) == 0; }));
  // The host can still fork.
  CHECK(sandbox.run("true").exit_code == 0);
}

TEST_CASE("a memory hog is killed and reported" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  SandboxSpec spec = make_spec(home);
  spec.limits.memory_bytes = 256ULL << 20;
  Sandbox sandbox(spec);
  auto r = sandbox.run("/usr/bin/python3 -c 'b = b\"x\" * (1 << 30); print(\"allocated\")'");
  CHECK(r.exit_code != 0);
  CHECK(r.out.data.find("allocated") == std::string::npos);
  if (sandbox.enforcement().memory_by_cgroup) {
    CHECK(r.memory_limit_hit);
    CHECK(r.signal == 9);
    CHECK(r.note.find("memory limit") != std::string::npos);
  } else {
    CHECK(r.err.data.find("MemoryError") != std::string::npos);
  }
}

TEST_CASE("commands after the first start in a container made ready for them, each its own" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  if (::geteuid() != 0) {
    MESSAGE("skipped: only a root server makes ready containers (they need its helper)");
    return;
  }
  TempHome home;
  SandboxSpec spec = make_spec(home);
  spec.env = {{"SPEC_VAR", "from-spec"}};
  const std::string home_path = home.path.string();
  std::filesystem::create_directories(home.path / "proj");
  {
    Sandbox sandbox(spec);
    CHECK(sandbox.run("true").exit_code == 0);  // its container was made for it
    // The container waiting for the next command: a helper on stdin below an init and a bwrap
    // whose arguments name this sandbox's home (it may still be on its way up: waited for).
    const auto ready_bwrap = [&] {
      int n = 0;
      for (auto until = Clock::now() + 3s; n != 2 && Clock::now() < until;
           std::this_thread::sleep_for(10ms)) {
        n = 0;
        for (pid_t pid : testing::ready_container_processes())
          if (testing::read_proc_text("/proc/" + std::to_string(pid) + "/cmdline")
                  .find(home_path) != std::string::npos)
            ++n;
      }
      return n;
    };
    CHECK(ready_bwrap() == 2);

    // Each command gets the container's state afresh: /tmp, the pid namespace, the environment.
    ExecOptions options;
    options.env = {{"OPT_VAR", "from-options"}};
    options.working_dir = "proj";
    auto r = sandbox.run("echo x > /tmp/mine; echo $$ $SPEC_VAR $OPT_VAR; pwd", options);
    CHECK(r.exit_code == 0);
    CHECK(r.out.data == "2 from-spec from-options\n/home/user/proj\n");  // pid 2: after init
    r = sandbox.run("cat /tmp/mine; echo \"[$OPT_VAR]\"; pwd; cat");
    CHECK(r.out.data == "[]\n/home/user\n");  // no /tmp/mine; cat reads /dev/null
    CHECK(r.exit_code == 0);
    CHECK(r.err.data.find("No such file") != std::string::npos);

    // Limits, timeouts and exit statuses hold in a ready container as in any other.
    options = {};
    options.timeout = 300ms;
    r = sandbox.run("sleep 30; echo never", options);
    CHECK(r.timed_out);
    CHECK(r.out.data.empty());
    CHECK(sandbox.run("exit 3").exit_code == 3);
    CHECK(sandbox.run("ulimit -c").out.data == "0\n");
    CHECK(ready_bwrap() == 2);
  }
  // Destroying the sandbox ends the container that waited: no bwrap of this home is left.
  CHECK(processes_with(home_path) == 0);
}

TEST_CASE("a timeout leaves no process behind" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  std::string marker = unique_marker();
  ExecOptions options;
  options.timeout = 300ms;
  auto started = Clock::now();
  auto r = sandbox.run("sleep 1000 " + marker + " & (sleep 1000 " + marker + ") & sleep 1000 " +
                           marker + "; echo never",
                       options);
  CHECK(r.timed_out);
  CHECK_FALSE(r.cancelled);
  CHECK(r.signal == 9);
  CHECK(r.out.data.empty());
  CHECK(Clock::now() - started < 2s);
  CHECK(r.duration_ms >= 300);
  CHECK(processes_with(marker) == 0);
}

TEST_CASE("cancel and kill leave no process behind" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));

  SUBCASE("cancel token") {
    std::string marker = unique_marker();
    auto token = std::make_shared<ExecCancel>();
    std::atomic<bool> started{false};
    ExecOptions options;
    options.cancel = token;
    options.on_line = [&](OutputStream, std::string_view line) {
      if (line == "started") started = true;
    };
    auto execution = sandbox.start("sleep 1000 " + marker + " & echo started; wait", options);
    REQUIRE(eventually([&] { return started.load(); }));
    CHECK(execution->status() == ExecStatus::running);
    auto t0 = Clock::now();
    token->cancel();
    REQUIRE(execution->wait_for(2s));
    CHECK(Clock::now() - t0 < 1s);
    auto r = execution->wait();
    CHECK(r.cancelled);
    CHECK(r.out.data == "started\n");
    CHECK(processes_with(marker) == 0);
    // A token cancelled beforehand stops the command from starting at all.
    auto again = sandbox.start("echo no", options);
    CHECK(again->wait().cancelled);
    CHECK(again->wait().out.data.empty());
  }

  SUBCASE("kill an async execution") {
    std::string marker = unique_marker();
    auto execution = sandbox.start("echo hi; sleep 1000 " + marker);
    REQUIRE(eventually([&] { return execution->output().out.data == "hi\n"; }));
    CHECK(execution->status() == ExecStatus::running);
    CHECK_FALSE(execution->result().has_value());
    CHECK(processes_with(marker) > 0);
    execution->kill();
    CHECK(execution->status() == ExecStatus::completed);
    CHECK(execution->wait().cancelled);
    CHECK(processes_with(marker) == 0);
  }

  SUBCASE("dropping the handle kills") {
    std::string marker = unique_marker();
    { auto execution = sandbox.start("sleep 1000 " + marker); }
    CHECK(processes_with(marker) == 0);
  }

  SUBCASE("kill_all") {
    std::string marker = unique_marker();
    auto a = sandbox.start("sleep 1000 " + marker);
    auto b = sandbox.start("sleep 1000 " + marker + " & wait");
    auto shell = sandbox.open_shell();
    CHECK(shell->run("sleep 1000 " + marker + " &").exit_code == 0);
    REQUIRE(eventually([&] { return processes_with(marker) >= 3; }));
    sandbox.kill_all();
    CHECK(a->status() == ExecStatus::completed);
    CHECK(b->wait().cancelled);
    CHECK(processes_with(marker) == 0);
    // The shell comes back for the next command, and says so.
    auto r = shell->run("echo back");
    CHECK(r.out.data == "back\n");
    CHECK(r.shell_restarted);
  }
}

TEST_CASE("output is capped with head, tail and flags" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  ExecOptions options;
  options.output_cap = 4096;
  auto r = sandbox.run("seq 1 20000; seq 1 3 >&2", options);
  std::uint64_t expected = 0;
  for (int i = 1; i <= 20000; ++i) expected += std::to_string(i).size() + 1;
  CHECK(r.out.truncated);
  CHECK(r.out.total_bytes == expected);
  CHECK(r.out.data.rfind("1\n2\n3\n", 0) == 0);
  CHECK(r.out.data.substr(r.out.data.size() - 12) == "19999\n20000\n");
  CHECK(r.out.data.find("bytes omitted") != std::string::npos);
  CHECK(r.out.data.size() < 4096 + 64);
  CHECK_FALSE(r.err.truncated);
  CHECK(r.err.data == "1\n2\n3\n");
  CHECK(kind_of([&] {
          ExecOptions bad;
          bad.output_cap = 10;
          sandbox.run("true", bad);
        }) == ErrorKind::invalid);
}

TEST_CASE("output_file keeps each stream whole in the home, up to its cap, never through a link" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  ExecOptions options;
  options.output_cap = 4096;
  options.output_file = "out/exe_1";
  auto r = sandbox.run("seq 1 20000; echo oops >&2", options);
  std::string expected;
  for (int i = 1; i <= 20000; ++i) expected += std::to_string(i) + "\n";
  CHECK(r.out.truncated);  // the capture is still capped...
  CHECK(r.out.data.size() < 4096 + 64);
  CHECK(r.out.file_bytes == expected.size());  // ...while the file has all of it
  CHECK(r.out.file_error.empty());
  CHECK(sandbox.read_file("out/exe_1.stdout").data == expected);
  CHECK(sandbox.read_file("out/exe_1.stderr").data == "oops\n");
  // The sandbox's user owns what it can read (and remove).
  CHECK(sandbox.run("rm out/exe_1.stdout && echo removed").out.data == "removed\n");

  // The cap: the file holds the first bytes, the capture the tail.
  options.output_file = "out/exe_2";
  options.output_file_cap = 1000;
  r = sandbox.run("seq 1 20000", options);
  CHECK(r.out.file_bytes == 1000);
  CHECK(r.out.total_bytes == expected.size());
  CHECK(sandbox.read_file("out/exe_2.stdout").data == expected.substr(0, 1000));
  CHECK(r.out.data.substr(r.out.data.size() - 6) == "20000\n");

  // A link planted where the file goes is not followed out of the home: the command still runs.
  const std::string outside_name = home.path.filename().string() + "-outside.txt";
  const auto outside_path = home.path.parent_path() / outside_name;  // beside the home
  std::ofstream(outside_path) << "keep";
  REQUIRE(sandbox.run("ln -s ../../" + outside_name + " out/exe_3.stdout && ln -s /etc out/linkdir")
              .exit_code == 0);
  options.output_file = "out/exe_3";
  r = sandbox.run("echo still runs", options);
  CHECK(r.exit_code == 0);
  CHECK(r.out.data == "still runs\n");
  CHECK_FALSE(r.out.file_error.empty());
  options.output_file = "out/linkdir/x";
  r = sandbox.run("echo and here", options);
  CHECK(r.out.data == "and here\n");
  CHECK(r.out.file_error.find("could not be made") != std::string::npos);
  std::ifstream outside(outside_path);
  CHECK(std::string(std::istreambuf_iterator<char>(outside), {}) == "keep");
  std::filesystem::remove(outside_path);
}

TEST_CASE("the line callback gets lines as they arrive" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  std::mutex mu;
  std::vector<std::pair<std::string, Clock::time_point>> lines;
  ExecOptions options;
  options.on_line = [&](OutputStream stream, std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(std::string(to_string(stream)) + ":" + std::string(line), Clock::now());
  };
  auto r = sandbox.run("echo first; echo warn >&2; sleep 0.4; printf last", options);
  auto done = Clock::now();
  std::lock_guard lock(mu);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].first == "stdout:first");
  CHECK(lines[1].first == "stderr:warn");
  CHECK(lines[2].first == "stdout:last");  // no trailing newline: delivered at the end
  CHECK(done - lines[0].second >= 300ms);  // the first line came while the command ran
  CHECK(r.out.data == "first\nlast");
}

// ---------------------------------------------------------------------------------------------
// Shells

TEST_CASE("a persistent shell keeps cwd and environment" * doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  auto shell = sandbox.open_shell();
  CHECK_FALSE(shell->alive());

  CHECK(shell->run("mkdir -p work && cd work && export GREETING=hello && x=1").exit_code == 0);
  CHECK(shell->alive());
  auto r = shell->run("pwd; echo $GREETING; echo err >&2");
  CHECK(r.out.data == "/home/user/work\nhello\n");
  CHECK(r.err.data == "err\n");
  CHECK(shell->run("printf no-newline").out.data == "no-newline");
  CHECK(shell->run("false").exit_code == 1);
  CHECK(shell->run("(exit 7)").exit_code == 7);
  CHECK(shell->run("cat").out.data.empty());    // stdin is /dev/null, not the shell's pipe
  CHECK(shell->run("if then").exit_code == 2);  // a syntax error is the command's, not ours
  CHECK(shell->run("pwd").out.data == "/home/user/work\n");

  CommandOptions in_dir;
  in_dir.working_dir = "/home/user";
  CHECK(shell->run("pwd", in_dir).out.data == "/home/user\n");
  CHECK(shell->run("pwd").out.data == "/home/user\n");  // the cd persists
  CHECK(shell->restarts() == 0);
}

TEST_CASE("shell commands queue, time out and restart the shell when needed" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  TempHome home;
  Sandbox sandbox(make_spec(home));
  auto shell = sandbox.open_shell();
  CHECK(shell->run("cd /tmp && export KEEP=1").exit_code == 0);

  SUBCASE("a timed out command is killed; the shell keeps its state") {
    std::string marker = unique_marker();
    CommandOptions options;
    options.timeout = 300ms;
    auto first = shell->start("sleep 1000 " + marker, options);
    auto second = shell->start("echo $KEEP; pwd");
    CHECK(second->status() == ExecStatus::queued);
    auto r = first->wait();
    CHECK(r.timed_out);
    CHECK(r.exit_code == 137);
    CHECK_FALSE(r.shell_restarted);
    CHECK(processes_with(marker) == 0);
    CHECK(second->wait().out.data == "1\n/tmp\n");
    CHECK(shell->restarts() == 0);
  }

  SUBCASE("a busy shell is killed and started again, saying so") {
    CommandOptions options;
    options.timeout = 200ms;
    auto r = shell->run("while :; do :; done", options);
    CHECK(r.timed_out);
    CHECK(r.note.find("new shell") != std::string::npos);
    r = shell->run("pwd; echo ${KEEP:-unset}");
    CHECK(r.shell_restarted);
    CHECK(r.out.data == "/home/user\nunset\n");
    CHECK(shell->restarts() == 1);
  }

  SUBCASE("exit ends the shell; the next command gets a new one") {
    auto r = shell->run("exit 3");
    CHECK(r.exit_code == 3);
    CHECK(r.note.find("exited with status 3") != std::string::npos);
    CHECK(shell->run("echo again").shell_restarted);
  }

  SUBCASE("background jobs live between commands and die with the session") {
    std::string marker = unique_marker();
    CHECK(shell->run("sleep 1000 " + marker + " &").exit_code == 0);
    CHECK(shell->run("jobs | wc -l").out.data == "1\n");
    CHECK(processes_with(marker) == 1);
    auto queued = shell->start("sleep 5");
    shell->close();
    CHECK(queued->wait().cancelled);
    CHECK(processes_with(marker) == 0);
    CHECK(kind_of([&] { shell->run("true"); }) == ErrorKind::conflict);
  }

  SUBCASE("cancel a queued command") {
    auto running = shell->start("sleep 0.3");
    auto queued = shell->start("echo never");
    queued->kill();
    CHECK(queued->wait().cancelled);
    CHECK(queued->wait().out.data.empty());
    CHECK(running->wait().exit_code == 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Suspend and resume

namespace {

void check_suspend_and_resume(bool cgroups) {
  TempHome home;
  SandboxSpec spec = make_spec(home);
  spec.use_cgroups = cgroups;
  Sandbox sandbox(spec);
  if (cgroups && !sandbox.enforcement().freeze_by_cgroup)
    MESSAGE("no writable freezer cgroup: testing the SIGSTOP fallback twice");
  auto counter = home.path / "counter";
  ExecOptions options;
  options.timeout = 600ms;  // active time: it must not run out while suspended
  auto execution = sandbox.start(
      "i=0; while :; do i=$((i+1)); echo $i > counter.new; mv counter.new counter; sleep 0.02; "
      "done",
      options);
  std::string marker = unique_marker();
  auto victim = sandbox.start("sleep 1000 " + marker);
  auto shell = sandbox.open_shell();
  std::string shell_marker = unique_marker();
  auto in_shell = shell->start("sleep 1000 " + shell_marker);
  REQUIRE(eventually([&] {
    return read_counter(counter) > 2 && processes_with(marker) > 0 &&
           processes_with(shell_marker) > 0;
  }));

  sandbox.suspend();
  CHECK(sandbox.suspended());
  std::this_thread::sleep_for(50ms);
  long frozen = read_counter(counter);
  std::this_thread::sleep_for(400ms);
  CHECK(read_counter(counter) == frozen);
  CHECK(execution->status() == ExecStatus::running);  // its timeout is paused
  CHECK(kind_of([&] { sandbox.run("true"); }) == ErrorKind::conflict);
  // Killing one command of a suspended sandbox ends it without thawing the others.
  auto t0 = Clock::now();
  victim->kill();
  CHECK(Clock::now() - t0 < 1500ms);
  CHECK(victim->wait().cancelled);
  CHECK(processes_with(marker) == 0);
  in_shell->kill();
  CHECK(Clock::now() - t0 < 3000ms);
  CHECK(in_shell->wait().cancelled);
  CHECK(processes_with(shell_marker) == 0);
  CHECK(read_counter(counter) == frozen);

  sandbox.resume();
  CHECK(shell->run("echo fresh").shell_restarted);
  CHECK_FALSE(sandbox.suspended());
  CHECK(eventually([&] { return read_counter(counter) > frozen + 3; }));
  auto r = execution->wait();
  CHECK(r.timed_out);
  CHECK(r.duration_ms >= 1000);  // 600 ms active + the time it stood still
}

}  // namespace

TEST_CASE("suspend stops progress and resume continues it (freezer cgroup)" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  check_suspend_and_resume(true);
}

TEST_CASE("suspend stops progress and resume continues it (SIGSTOP fallback)" *
          doctest::test_suite("sandbox")) {
  if (!bwrap_usable()) return;
  check_suspend_and_resume(false);
}
