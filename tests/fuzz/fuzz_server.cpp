#include "fuzz_server.hpp"

#include <cstdlib>

#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"

namespace runagents::mcp::fuzz {

namespace {

void add_tools(ToolRegistry& tools) {
  ToolDefinition echo;
  echo.name = "echo";
  echo.description = "Echoes its arguments";
  echo.input_schema = json::parse(R"({
    "type": "object",
    "properties": {
      "text": {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000]*$"},
      "count": {"type": "integer", "minimum": 0, "maximum": 10},
      "mode": {"type": "string", "enum": ["a", "b"]},
      "nested": {"type": "object", "properties": {"list": {"type": "array",
                 "items": {"type": "number"}, "maxItems": 5}},
                 "additionalProperties": false}
    },
    "required": ["text"],
    "additionalProperties": false
  })");
  echo.output_schema = json::parse(
      R"({"type":"object","properties":{"echo":{"type":"object"}},"required":["echo"]})");
  echo.quiet = true;
  echo.handler = [](const json& args, RequestContext&) {
    return ToolResult::structured({{"echo", args}});
  };
  tools.add(echo);

  ToolDefinition work;
  work.name = "work";
  work.description = "Reports progress and logs, then answers; runs as a task when asked";
  work.input_schema = json::parse(R"({"type":"object","properties":{"steps":{"type":"integer",
      "minimum":0,"maximum":3}},"additionalProperties":false})");
  work.task_support = TaskSupport::optional;
  work.handler = [](const json& args, RequestContext& ctx) {
    int steps = args.value("steps", 1);
    for (int i = 0; i < steps; ++i) ctx.progress(i + 1, steps, "step");
    ctx.log(LogLevel::info, "done");
    return ToolResult::text("worked " + std::to_string(steps));
  };
  tools.add(work);

  ToolDefinition fail;
  fail.name = "fail";
  fail.description = "Throws";
  fail.handler = [](const json&, RequestContext&) -> ToolResult {
    throw std::runtime_error("failed on purpose");
  };
  tools.add(fail);
}

}  // namespace

Server::Server() {
  ServerInfo info;
  info.name = "fuzz";
  info.version = "0";
  server_ = std::make_unique<McpServer>(info);
  add_tools(server_->tools());
  Prompt greet;
  greet.name = "greet";
  greet.description = "Greets";
  greet.arguments = {{"name", "who", true}};
  greet.get = [](const std::map<std::string, std::string>& args) {
    return json{{"messages",
                 json::array({{{"role", "user"},
                               {"content", {{"type", "text"}, {"text", json(args).dump()}}}}})}};
  };
  server_->prompts().add(greet);
  Resource one;
  one.uri = "fuzz://one";
  one.name = "one";
  one.mime_type = "text/plain";
  one.read = [](const std::string& uri) {
    return json{{"contents", json::array({{{"uri", uri}, {"text", "one"}}})}};
  };
  server_->resources().add(one);
  TaskManagerOptions options;
  options.cancel_grace = std::chrono::milliseconds(50);
  server_->set_task_manager(
      std::make_shared<TaskManager>(std::make_shared<InMemoryTaskStore>(), "fuzz", options));
  legacy_ = std::make_shared<Session>("fuzz");
  Message init;
  init.kind = Message::Kind::request;
  init.id = 0;
  init.method = "initialize";
  init.params = {{"protocolVersion", "2025-11-25"},
                 {"capabilities", json::object()},
                 {"clientInfo", {{"name", "fuzz"}, {"version", "0"}}}};
  NullOutbound out;
  server_->handle_request(init, *legacy_, out, Era::legacy);
}

void Server::answer(const Message& message) {
  NullOutbound out;
  if (message.kind != Message::Kind::request) {
    server_->handle_notification(message, *legacy_);
    return;
  }
  // subscriptions/listen holds its request open until the client goes away: nothing to fuzz.
  if (message.method == "subscriptions/listen") return;
  const Era era = era_of(message, true, "");
  std::shared_ptr<Session> session =
      era == Era::modern ? std::make_shared<Session>("modern") : legacy_;
  std::optional<json> reply = server_->handle_request(message, *session, out, era);
  if (!reply) return;  // cancelled
  if (!reply->is_object() || reply->value("jsonrpc", "") != "2.0" || !reply->contains("id") ||
      (*reply)["id"] != message.id || (reply->contains("result") == reply->contains("error"))) {
    std::abort();
  }
  (void)serialize(*reply);
}

}  // namespace runagents::mcp::fuzz
