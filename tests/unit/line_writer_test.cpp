// The stdio writer: lines stay whole and in order under concurrent senders, a sender never waits
// on a client that does not read, and a client that stops reading ends the session (run_stdio
// returns) instead of hanging the server.
#include "server/line_writer.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "platform/common/shutdown_signal.hpp"
#include "server/stdio_transport.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

namespace {

// The client's end of the server's stdout: a pipe, or the socketpair Node.js spawns with.
struct Pipe {
  int r = -1, w = -1;
  explicit Pipe(bool socket = false) {
    int fds[2];
    if (socket) {
      REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
      ::shutdown(fds[0], SHUT_WR);
      ::shutdown(fds[1], SHUT_RD);
    } else {
      REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    }
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
  std::string read_available() {
    std::string out;
    int flags = ::fcntl(r, F_GETFL);
    ::fcntl(r, F_SETFL, flags | O_NONBLOCK);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(r, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::fcntl(r, F_SETFL, flags);
    return out;
  }
};

}  // namespace

namespace {

void check_concurrent_senders(bool socket) {
  CAPTURE(socket);
  Pipe pipe(socket);
  LineWriter writer(pipe.w);
  const size_t expected = 8u * 50u * 3001u;
  std::string received;
  std::thread reader([&] {
    char buf[1024];
    while (received.size() < expected) {
      ssize_t n = ::read(pipe.r, buf, sizeof buf);  // small reads: the writer must wait often
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
    }
  });
  std::vector<std::thread> senders;
  for (int t = 0; t < 8; ++t) {
    senders.emplace_back([&writer, t] {
      for (int i = 0; i < 50; ++i) {
        std::string line(3000, static_cast<char>('a' + t));
        CHECK(writer.write_line(line));
      }
    });
  }
  for (auto& s : senders) s.join();
  reader.join();
  REQUIRE(received.size() == expected);
  size_t lines = 0;
  for (size_t start = 0; start < received.size();) {
    size_t nl = received.find('\n', start);
    REQUIRE(nl != std::string::npos);
    std::string line = received.substr(start, nl - start);
    CHECK(line.size() == 3000);
    CHECK(line.find_first_not_of(line[0]) == std::string::npos);  // never interleaved
    ++lines;
    start = nl + 1;
  }
  CHECK(lines == 400);
  CHECK_FALSE(writer.stalled());
}

void check_stalled_client(bool socket) {
  CAPTURE(socket);
  Pipe pipe(socket);
  LineWriter writer(pipe.w, {std::chrono::milliseconds(400), 16u << 20});
  // One sender is caught writing 8 MB into a pipe (64 KB) or socket (a few hundred KB) nobody
  // reads.
  auto big = std::async(std::launch::async,
                        [&writer] { return writer.write_line(std::string(8000000, 'x')); });
  std::this_thread::sleep_for(100ms);
  CHECK(big.wait_for(0ms) == std::future_status::timeout);
  // Everyone else only queues: these return while the first is still stuck.
  auto others = std::async(std::launch::async, [&writer] {
    bool ok = true;
    for (int i = 0; i < 20; ++i) ok = writer.write_line("{\"n\":" + std::to_string(i) + "}") && ok;
    return ok;
  });
  REQUIRE(others.wait_for(5s) == std::future_status::ready);
  CHECK(others.get());
  CHECK(big.wait_for(0ms) == std::future_status::timeout);
  // After the stall limit the writer gives up; later sends fail at once.
  REQUIRE(big.wait_for(5s) == std::future_status::ready);
  CHECK_FALSE(big.get());
  CHECK(writer.stalled());
  CHECK_FALSE(writer.write_line("{}"));
  // What reached the pipe is a prefix of the big line: no other line was mixed into it.
  std::string got = pipe.read_available();
  CHECK(!got.empty());
  CHECK(got.find_first_not_of('x') == std::string::npos);
}

}  // namespace

TEST_CASE("line writer: concurrent senders, whole lines in a slow reader's stream") {
  check_concurrent_senders(false);
  check_concurrent_senders(true);
}

TEST_CASE("line writer: a client that stops reading never blocks other senders, then is dropped") {
  check_stalled_client(false);
  check_stalled_client(true);
}

TEST_CASE("line writer: too much queued output ends the session at once") {
  Pipe pipe;
  LineWriter writer(pipe.w, {std::chrono::milliseconds(60000), 256u << 10});
  auto big = std::async(std::launch::async,
                        [&writer] { return writer.write_line(std::string(100000, 'y')); });
  std::this_thread::sleep_for(100ms);
  bool refused = false;
  for (int i = 0; i < 10 && !refused; ++i) refused = !writer.write_line(std::string(50000, 'z'));
  CHECK(refused);
  CHECK(writer.stalled());
  REQUIRE(big.wait_for(5s) == std::future_status::ready);  // the stuck writer stops too
  CHECK_FALSE(big.get());
}

TEST_CASE("run_stdio: a client that stops reading ends the session instead of hanging") {
  runagents::common::shutdown_signal::install();
  ServerInfo info;
  info.name = "t";
  McpServer server(info);
  ToolDefinition big;
  big.name = "big";
  big.handler = [](const json&, RequestContext&) {
    return ToolResult::text(std::string(300000, 'b'));
  };
  server.tools().add(big);
  Pipe in, out;
  StdioOptions options;
  options.in_fd = in.r;
  options.out_fd = out.w;
  options.writer.stall_limit = std::chrono::milliseconds(500);
  auto served = std::async(std::launch::async, [&] { return run_stdio(server, options); });
  std::string requests =
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}})"
      "\n";
  for (int i = 1; i <= 4; ++i)
    requests += R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
                R"(,"method":"tools/call","params":{"name":"big","arguments":{}}})"
                "\n";
  REQUIRE(::write(in.w, requests.data(), requests.size()) == static_cast<ssize_t>(requests.size()));
  // Nobody reads `out`, and stdin stays open: only the stall can end the session.
  REQUIRE(served.wait_for(10s) == std::future_status::ready);
  CHECK(served.get() == 1);
}
