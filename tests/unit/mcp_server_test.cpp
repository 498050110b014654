#include "server/mcp_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "tests/unit/recording_outbound.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

namespace {

using Recorder = testing::RecordingOutbound;

using testing::request;

json init_params(std::string version = "2025-11-25", json caps = json::object()) {
  return {{"protocolVersion", version},
          {"capabilities", caps},
          {"clientInfo", {{"name", "t"}, {"version", "1"}}}};
}

std::unique_ptr<McpServer> make_server() {
  auto server = std::make_unique<McpServer>(ServerInfo{});
  ToolDefinition slow;
  slow.name = "slow";
  slow.description = "waits until cancelled";
  slow.handler = [](const json&, RequestContext& ctx) {
    ctx.sleep_for(10s);
    return ToolResult::text(ctx.cancelled() ? "cancelled" : "done");
  };
  server->tools().add(std::move(slow));
  ToolDefinition chatty;
  chatty.name = "chatty";
  chatty.description = "logs at every level";
  chatty.handler = [](const json&, RequestContext& ctx) {
    ctx.log(LogLevel::debug, "d");
    ctx.log(LogLevel::info, "i");
    ctx.log(LogLevel::error, "e");
    ctx.progress(1, 2);
    ctx.progress(1, 2);  // not increasing: dropped
    ctx.progress(2, 2);
    return ToolResult::text("ok");
  };
  server->tools().add(std::move(chatty));
  ToolDefinition ask;
  ask.name = "ask";
  ask.description = "asks the client to sample";
  ask.handler = [](const json&, RequestContext& ctx) {
    json r = ctx.request_client("sampling/createMessage", {{"maxTokens", 5}}, "sampling", 2s);
    return ToolResult::text(r.value("answer", ""));
  };
  server->tools().add(std::move(ask));
  return server;
}

}  // namespace

TEST_SUITE("lifecycle") {
  TEST_CASE("ping works before initialize; other methods are refused until then") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    auto ping = server->handle_request(request(1, "ping"), s, out);
    REQUIRE(ping);
    CHECK((*ping)["result"] == json::object());
    auto early = server->handle_request(request(2, "tools/list"), s, out);
    CHECK((*early)["error"]["code"] == error_code::invalid_request);
    CHECK((*early)["error"]["message"].get<std::string>().find("initialize") != std::string::npos);
  }

  TEST_CASE("server/discover before initialize is -32601 and the session stays usable") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    auto discover = server->handle_request(request(1, "server/discover"), s, out);
    CHECK((*discover)["error"]["code"] == error_code::method_not_found);
    auto init = server->handle_request(request(2, "initialize", init_params()), s, out);
    CHECK((*init)["result"]["protocolVersion"] == "2025-11-25");
    CHECK((*init)["result"]["serverInfo"]["name"] == "runagents-mcp");
    CHECK((*init)["result"]["serverInfo"].contains("title"));
    CHECK((*init)["result"]["serverInfo"].contains("version"));
  }

  TEST_CASE("capabilities are exactly what is registered") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    auto init = server->handle_request(request(1, "initialize", init_params()), s, out);
    json caps = (*init)["result"]["capabilities"];
    CHECK(caps.contains("tools"));
    CHECK(caps.contains("logging"));
    CHECK_FALSE(caps.contains("resources"));
    CHECK_FALSE(caps.contains("prompts"));
    CHECK_FALSE(caps.contains("completions"));
    auto res = server->handle_request(request(2, "resources/list"), s, out);
    CHECK((*res)["error"]["code"] == error_code::method_not_found);
  }

  TEST_CASE("versions are negotiated; a second initialize is refused") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    auto init = server->handle_request(request(1, "initialize", init_params("2024-11-05")), s, out);
    CHECK((*init)["result"]["protocolVersion"] == "2024-11-05");
    auto again = server->handle_request(request(2, "initialize", init_params()), s, out);
    CHECK((*again)["error"]["code"] == error_code::invalid_request);
    Session s2("y");
    auto future =
        server->handle_request(request(1, "initialize", init_params("2030-01-01")), s2, out);
    CHECK((*future)["result"]["protocolVersion"] == "2025-11-25");
    Session s3("z");
    auto bad = server->handle_request(request(1, "initialize", {{"protocolVersion", 5}}), s3, out);
    CHECK((*bad)["error"]["code"] == error_code::invalid_params);
    CHECK_FALSE(s3.initialized());
  }
}

TEST_SUITE("utilities") {
  TEST_CASE("notifications/cancelled stops the handler and suppresses the response") {
    auto server = make_server();
    auto s = std::make_shared<Session>("x");
    Recorder out;
    server->handle_request(request(1, "initialize", init_params()), *s, out);
    auto started = std::chrono::steady_clock::now();
    auto fut = std::async(std::launch::async, [&] {
      return server->handle_request(request(9, "tools/call", {{"name", "slow"}}), *s, out);
    });
    while (s->in_flight() == 0) std::this_thread::sleep_for(1ms);
    Message cancel;
    cancel.kind = Message::Kind::notification;
    cancel.method = "notifications/cancelled";
    cancel.params = {{"requestId", 9}, {"reason", "user pressed stop"}};
    server->handle_notification(cancel, *s);
    auto reply = fut.get();
    CHECK_FALSE(reply.has_value());
    CHECK(std::chrono::steady_clock::now() - started < 5s);
    CHECK(s->in_flight() == 0);
  }

  TEST_CASE("logging/setLevel filters notifications; bad levels are -32602") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    server->handle_request(request(1, "initialize", init_params()), s, out);
    auto set = server->handle_request(request(2, "logging/setLevel", {{"level", "error"}}), s, out);
    CHECK((*set)["result"] == json::object());
    server->handle_request(
        request(3, "tools/call", {{"name", "chatty"}, {"_meta", {{"progressToken", "tok"}}}}), s,
        out);
    int logs = 0, progress = 0;
    for (auto& m : out.take()) {
      if (m["method"] == "notifications/message") {
        ++logs;
        CHECK(m["params"]["level"] == "error");
      }
      if (m["method"] == "notifications/progress") {
        ++progress;
        CHECK(m["params"]["progressToken"] == "tok");
      }
    }
    CHECK(logs == 1);
    CHECK(progress == 2);
    auto bad = server->handle_request(request(4, "logging/setLevel", {{"level", "loud"}}), s, out);
    CHECK((*bad)["error"]["code"] == error_code::invalid_params);
  }

  TEST_CASE("no progress notifications without a progress token") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    server->handle_request(request(1, "initialize", init_params()), s, out);
    server->handle_request(request(2, "tools/call", {{"name", "chatty"}}), s, out);
    for (auto& m : out.take()) CHECK(m["method"] != "notifications/progress");
  }

  TEST_CASE("server-to-client requests need the capability and correlate responses") {
    auto server = make_server();
    Recorder out;
    Session plain("p");
    server->handle_request(request(1, "initialize", init_params()), plain, out);
    auto refused = server->handle_request(request(2, "tools/call", {{"name", "ask"}}), plain, out);
    CHECK((*refused)["result"]["isError"] == true);
    CHECK((*refused)["result"]["content"][0]["text"].get<std::string>().find("sampling") !=
          std::string::npos);

    Session s("s");
    server->handle_request(
        request(1, "initialize", init_params("2025-11-25", {{"sampling", json::object()}})), s,
        out);
    auto fut = std::async(std::launch::async, [&] {
      return server->handle_request(request(3, "tools/call", {{"name", "ask"}}), s, out);
    });
    json sent;
    for (int i = 0; i < 2000 && sent.is_null(); ++i) {
      for (auto& m : out.take()) {
        if (m.value("method", "") == "sampling/createMessage") sent = m;
      }
      std::this_thread::sleep_for(1ms);
    }
    REQUIRE_FALSE(sent.is_null());
    Message response;
    response.kind = Message::Kind::response;
    response.id = sent["id"];
    response.result = {{"answer", "forty-two"}};
    server->handle_notification(response, s);
    auto reply = fut.get();
    CHECK((*reply)["result"]["content"][0]["text"] == "forty-two");
  }

  TEST_CASE("a client that never answers times out with a clear error") {
    auto server = make_server();
    Recorder out;
    Session s("s");
    server->handle_request(
        request(1, "initialize", init_params("2025-11-25", {{"sampling", json::object()}})), s,
        out);
    auto reply = server->handle_request(request(3, "tools/call", {{"name", "ask"}}), s, out);
    CHECK((*reply)["result"]["isError"] == true);
    CHECK((*reply)["result"]["content"][0]["text"].get<std::string>().find("did not answer") !=
          std::string::npos);
  }

  TEST_CASE("unknown tools are -32602; non-object arguments are -32602") {
    auto server = make_server();
    Session s("x");
    Recorder out;
    server->handle_request(request(1, "initialize", init_params()), s, out);
    auto unknown = server->handle_request(request(2, "tools/call", {{"name", "nope"}}), s, out);
    CHECK((*unknown)["error"]["code"] == error_code::invalid_params);
    auto args = server->handle_request(
        request(3, "tools/call", {{"name", "chatty"}, {"arguments", 5}}), s, out);
    CHECK((*args)["error"]["code"] == error_code::invalid_params);
  }

  TEST_CASE("only tools/call of a non-quiet tool or with a progress token may send messages") {
    auto server = make_server();
    ToolDefinition quiet;
    quiet.name = "quiet";
    quiet.description = "never talks";
    quiet.quiet = true;
    quiet.handler = [](const json&, RequestContext&) { return ToolResult::text("ok"); };
    server->tools().add(std::move(quiet));
    CHECK(server->answers_without_messages(request(1, "tools/list")));
    CHECK(server->answers_without_messages(request(1, "ping")));
    CHECK(server->answers_without_messages(request(1, "tools/call", {{"name", "quiet"}})));
    CHECK_FALSE(server->answers_without_messages(
        request(1, "tools/call", {{"name", "quiet"}, {"_meta", {{"progressToken", 3}}}})));
    CHECK_FALSE(server->answers_without_messages(request(1, "tools/call", {{"name", "chatty"}})));
  }

  TEST_CASE("a request id already in flight is refused") {
    auto server = make_server();
    auto s = std::make_shared<Session>("x");
    Recorder out;
    server->handle_request(request(1, "initialize", init_params()), *s, out);
    auto fut = std::async(std::launch::async, [&] {
      return server->handle_request(request(5, "tools/call", {{"name", "slow"}}), *s, out);
    });
    while (s->in_flight() == 0) std::this_thread::sleep_for(1ms);
    auto dup = server->handle_request(request(5, "ping"), *s, out);
    CHECK((*dup)["error"]["code"] == error_code::invalid_request);
    s->cancel_all("test over");
    fut.get();
  }
}
