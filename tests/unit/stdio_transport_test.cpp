// The stdio transport's reading thread answers quick local reads itself (issue 15): no hand-off
// to a worker for ping, tools/list or a quiet, read-only, closed-world tool; everything else still
// runs on the worker pool, so a slow call never holds up reading.
#include "server/stdio_transport.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "platform/common/shutdown_signal.hpp"
#include "server/mcp_server.hpp"
#include "stdio_pipes.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;
using runagents::mcp::testing::StdioPipes;

namespace {

json tool_call(int id, const std::string& name) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"method", "tools/call"},
          {"params", {{"name", name}, {"arguments", json::object()}}}};
}

}  // namespace

TEST_CASE("stdio: a quick local read is answered on the reading thread, other calls on workers") {
  runagents::common::shutdown_signal::install();
  McpServer server(ServerInfo{});
  std::mutex mu;
  std::map<std::string, std::thread::id> ran_on;
  auto recording = [&](const std::string& name, bool read_only, bool open_world, bool quiet) {
    ToolDefinition t;
    t.name = name;
    t.annotations.read_only = read_only;
    t.annotations.open_world = open_world;
    t.quiet = quiet;
    t.handler = [&, name](const json&, RequestContext&) {
      std::lock_guard lock(mu);
      ran_on[name] = std::this_thread::get_id();
      return ToolResult::text(name);
    };
    server.tools().add(t);
  };
  recording("local_read", true, false, true);
  recording("remote_read", true, true, true);    // may wait on a network
  recording("local_write", false, false, true);  // may take long
  recording("chatty_read", true, false, false);  // may send the client something first

  StdioPipes io;
  StdioOptions options;
  options.in_fd = io.in[0];
  options.out_fd = io.out[1];
  std::thread::id reader;
  auto served = std::async(std::launch::async, [&] {
    reader = std::this_thread::get_id();
    return run_stdio(server, options);
  });
  REQUIRE(io.initialize().contains("result"));
  int id = 1;
  for (const char* name : {"local_read", "remote_read", "local_write", "chatty_read"}) {
    io.send(tool_call(id, name));
    json answer = io.answer(id++);
    REQUIRE(answer.contains("result"));
    CHECK(answer["result"]["content"][0]["text"] == name);
  }
  io.end_input();
  REQUIRE(served.wait_for(10s) == std::future_status::ready);

  std::lock_guard lock(mu);
  CHECK(ran_on.at("local_read") == reader);
  CHECK(ran_on.at("remote_read") != reader);
  CHECK(ran_on.at("local_write") != reader);
  CHECK(ran_on.at("chatty_read") != reader);
}
