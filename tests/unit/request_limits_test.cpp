#include "server/request_limits.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "platform/common/shutdown_signal.hpp"
#include "server/metrics.hpp"
#include "server/stdio_transport.hpp"
#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"
#include "stdio_pipes.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;
using runagents::mcp::testing::StdioPipes;

TEST_CASE("RateLimiter: a second's worth at once, then one per 1/rate; each client its own") {
  RateLimiter limiter(2.0);
  const auto t0 = RateLimiter::Clock::now();
  CHECK_FALSE(limiter.take("a", t0));
  CHECK_FALSE(limiter.take("a", t0));
  auto wait = limiter.take("a", t0);
  REQUIRE(wait);
  CHECK(*wait == 500ms);
  CHECK_FALSE(limiter.take("b", t0));  // another client is not held back
  CHECK(limiter.take("a", t0 + 250ms));
  CHECK_FALSE(limiter.take("a", t0 + 500ms));
  CHECK(limiter.clients() == 2);
}

TEST_CASE("RateLimiter: below one a second, the wait is the whole interval") {
  RateLimiter limiter(0.5);
  const auto t0 = RateLimiter::Clock::now();
  CHECK_FALSE(limiter.take("a", t0));
  auto wait = limiter.take("a", t0);
  REQUIRE(wait);
  CHECK(*wait == 2000ms);
}

TEST_CASE("ConcurrencyLimit: slots are given back when their last copy goes") {
  ConcurrencyLimit limit(2);
  auto first = limit.try_acquire();
  auto second = limit.try_acquire();
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(limit.try_acquire());
  CHECK(limit.in_use() == 2);
  auto copy = first;
  first.reset();
  CHECK_FALSE(limit.try_acquire());  // a copy still holds it
  copy.reset();
  CHECK(limit.in_use() == 1);
  CHECK(limit.try_acquire());
}

TEST_CASE("ConcurrencyLimit without a maximum counts and never refuses") {
  ConcurrencyLimit limit(0);
  std::vector<std::shared_ptr<void>> held;
  for (int i = 0; i < 100; ++i) held.push_back(limit.try_acquire());
  CHECK(held.back());
  CHECK(limit.in_use() == 100);
}

TEST_CASE("Metrics: unknown methods are 'other', tool latency lands in its buckets") {
  Metrics m;
  m.count_request("tools/call", 200);
  m.count_request("tools/call", 200);
  m.count_request("made/up\"method", 200);
  m.count_request("", 400);
  m.observe_tool_call("echo", 30ms);
  m.add_family({"x_gauge", "A test gauge.", "gauge", [] {
                  return std::vector<std::pair<std::string, double>>{
                      {"k=\"" + prometheus_label("a\"b\\c\nd") + "\"", 3}};
                }});
  const std::string text = m.render();
  CHECK(text.find("runagents_mcp_requests_total{method=\"tools/call\",status=\"200\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("runagents_mcp_requests_total{method=\"other\",status=\"200\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("runagents_mcp_requests_total{method=\"invalid\",status=\"400\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("made/up") == std::string::npos);
  CHECK(text.find("runagents_mcp_tool_call_seconds_bucket{tool=\"echo\",le=\"0.025\"} 0\n") !=
        std::string::npos);
  CHECK(text.find("runagents_mcp_tool_call_seconds_bucket{tool=\"echo\",le=\"0.05\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("runagents_mcp_tool_call_seconds_count{tool=\"echo\"} 1\n") != std::string::npos);
  CHECK(text.find("x_gauge{k=\"a\\\"b\\\\c\\nd\"} 3\n") != std::string::npos);
  CHECK(text.find("# TYPE runagents_mcp_tool_call_seconds histogram\n") != std::string::npos);
}

TEST_CASE("stdio --max-concurrent-calls: a call beyond it is an isError result naming the limit") {
  runagents::common::shutdown_signal::install();
  McpServer server(ServerInfo{});
  std::atomic<bool> release{false};
  ToolDefinition hold;
  hold.name = "hold";
  hold.handler = [&](const json&, RequestContext& ctx) {
    while (!release && !ctx.cancelled()) std::this_thread::sleep_for(5ms);
    return ToolResult::text("released");
  };
  server.tools().add(hold);
  int in[2], out[2];
  REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  StdioOptions options;
  options.in_fd = in[0];
  options.out_fd = out[1];
  options.max_concurrent_calls = 1;
  auto served = std::async(std::launch::async, [&] { return run_stdio(server, options); });
  auto send = [&](const std::string& line) {
    std::string l = line + "\n";
    REQUIRE(::write(in[1], l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  };
  send(
      R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}})");
  send(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hold","arguments":{}}})");
  send(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hold","arguments":{}}})");
  // Read lines until the answer to id 2 (the refusal) arrives; then let the first call finish.
  std::string got;
  json refusal;
  for (int i = 0; i < 200 && refusal.is_null(); ++i) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = got.find('\n')) != std::string::npos) {
      json m = json::parse(got.substr(0, nl));
      got.erase(0, nl + 1);
      if (m.value("id", json()) == 2) refusal = m;
    }
  }
  release = true;
  ::close(in[1]);
  REQUIRE(served.wait_for(10s) == std::future_status::ready);
  ::close(in[0]);
  ::close(out[0]);
  ::close(out[1]);
  REQUIRE(refusal.is_object());
  CHECK(refusal["result"]["isError"] == true);
  CHECK(refusal["result"]["content"][0]["text"].get<std::string>().find("--max-concurrent-calls") !=
        std::string::npos);
}

namespace {

json call(int id, bool as_task) {
  json params = {{"name", "hold"}, {"arguments", json::object()}};
  if (as_task) params["task"] = {{"ttl", 60000}};
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", params}};
}

}  // namespace

TEST_CASE("--max-concurrent-calls: a call that became a task keeps its slot until its work ends") {
  runagents::common::shutdown_signal::install();
  McpServer server(ServerInfo{});
  server.set_task_manager(std::make_shared<TaskManager>(std::make_shared<InMemoryTaskStore>()));
  std::atomic<bool> release{false};
  ToolDefinition hold;
  hold.name = "hold";
  hold.task_support = TaskSupport::optional;
  hold.handler = [&](const json&, RequestContext& ctx) {
    while (!release && !ctx.cancelled()) std::this_thread::sleep_for(5ms);
    return ToolResult::text("released");
  };
  server.tools().add(hold);
  StdioPipes io;
  StdioOptions options;
  options.in_fd = io.in[0];
  options.out_fd = io.out[1];
  options.max_concurrent_calls = 1;
  auto served = std::async(std::launch::async, [&] { return run_stdio(server, options); });
  REQUIRE(io.initialize().contains("result"));

  // The task is created at once; its work goes on, holding the only slot.
  io.send(call(1, true));
  json created = io.answer(1);
  REQUIRE(created["result"].contains("task"));
  const std::string task_id = created["result"]["task"]["taskId"];
  io.send(call(2, false));
  json refused = io.answer(2);
  release = true;  // whatever came back, let the work end

  // Once the task has completed, its slot is free again.
  std::string status;
  for (int i = 10; i < 400 && status != "completed"; ++i) {
    io.send({{"jsonrpc", "2.0"},
             {"id", i},
             {"method", "tasks/get"},
             {"params", {{"taskId", task_id}}}});
    status = io.answer(i)["result"].value("status", "");
    if (status != "completed") std::this_thread::sleep_for(20ms);
  }
  io.send(call(3, false));
  json after = io.answer(3);
  io.end_input();
  REQUIRE(served.wait_for(10s) == std::future_status::ready);

  REQUIRE(refused.is_object());
  CHECK(refused["result"]["isError"] == true);
  CHECK(refused["result"]["content"][0]["text"].get<std::string>().find("--max-concurrent-calls") !=
        std::string::npos);
  CHECK(status == "completed");
  REQUIRE(after.is_object());
  CHECK(after["result"].value("isError", false) == false);
  CHECK(after["result"]["content"][0]["text"] == "released");
}
