// The fixture server the official MCP conformance suite drives
// (@modelcontextprotocol/conformance, `server --requirements 2025-11-25`). It is built from the
// same core as runagents-mcp and exposes exactly the tools, resources and prompts the scenarios
// name
// (../shared/reference/mcp-conformance-scenarios.md). `--e2e-tools` adds two tools the end-to-end
// tests use (a long cancellable task and a structured echo); the suite never sees them.
//
//   conformance-server --port N        Streamable HTTP on 127.0.0.1:N/mcp
//   conformance-server --stdio         stdio
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "platform/common/shutdown_signal.hpp"
#include "server/base64.hpp"
#include "server/http_transport.hpp"
#include "server/logging.hpp"
#include "server/mcp_server.hpp"
#include "server/stdio_transport.hpp"
#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_manager.hpp"
#include "tests/conformance/fixture_support.hpp"
#include "tests/conformance/modern_fixtures.hpp"

using namespace runagents::mcp;
using namespace std::chrono_literals;

namespace {

// A 1x1 red PNG.
const char* kPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";

// A valid WAV file: 8 kHz, mono, 16-bit, 8 silent samples.
std::string wav_base64() {
  std::string b;
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto u16 = [&](uint16_t v) {
    b.push_back(static_cast<char>(v & 0xff));
    b.push_back(static_cast<char>(v >> 8));
  };
  const uint32_t data_bytes = 16;
  b += "RIFF";
  u32(36 + data_bytes);
  b += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(1);
  u32(8000);
  u32(16000);
  u16(2);
  u16(16);
  b += "data";
  u32(data_bytes);
  b.append(data_bytes, '\0');
  return base64_encode(b);
}

ToolResult content(json blocks) {
  ToolResult r;
  r.content = std::move(blocks);
  return r;
}

using fixture::text;
using fixture::tool;

json string_arg_schema(const std::string& name, const std::string& description) {
  return {{"type", "object"},
          {"properties", {{name, {{"type", "string"}, {"description", description}}}}},
          {"required", {name}}};
}

// Works in both eras: a legacy client gets elicitation/create, a modern one an
// InputRequiredResult (RequestContext::ask).
ToolResult elicit(RequestContext& ctx, const std::string& message, json schema,
                  const std::string& prefix) {
  json answer = ctx.ask("answer", "elicitation/create",
                        {{"message", message}, {"requestedSchema", std::move(schema)}});
  std::string action = answer.value("action", "unknown");
  std::string body = answer.contains("content") ? answer["content"].dump() : "{}";
  if (prefix == "User response") {
    return ToolResult::text("User response: <action: " + action + ", content: " + body + ">");
  }
  return ToolResult::text(prefix + ": action=" + action + ", content=" + body);
}

void register_tools(ToolRegistry& tools) {
  json no_args = {{"type", "object"}, {"properties", json::object()}};
  tools.add(tool(
      "test_simple_text", "Returns a simple text response",
      [](const json&, RequestContext&) {
        return ToolResult::text("This is a simple text response for testing.");
      },
      no_args, /*quiet=*/true));
  tools.add(tool("test_image_content", "Returns an image", [](const json&, RequestContext&) {
    return content({{{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}});
  }));
  tools.add(tool("test_audio_content", "Returns audio", [](const json&, RequestContext&) {
    return content({{{"type", "audio"}, {"data", wav_base64()}, {"mimeType", "audio/wav"}}});
  }));
  tools.add(tool("test_embedded_resource", "Returns an embedded resource",
                 [](const json&, RequestContext&) {
                   return content({{{"type", "resource"},
                                    {"resource",
                                     {{"uri", "test://embedded-resource"},
                                      {"mimeType", "text/plain"},
                                      {"text", "This is an embedded resource content."}}}}});
                 }));
  tools.add(tool("test_multiple_content_types", "Returns text, an image and a resource",
                 [](const json&, RequestContext&) {
                   return content({text("Multiple content types test:"),
                                   {{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}},
                                   {{"type", "resource"},
                                    {"resource",
                                     {{"uri", "test://mixed-content-resource"},
                                      {"mimeType", "application/json"},
                                      {"text", R"({"test":"data","value":123})"}}}}});
                 }));
  tools.add(tool("test_tool_with_logging", "Sends three log messages while it runs",
                 fixture::log_three_messages));
  tools.add(tool("test_tool_with_progress", "Reports progress 0, 50, 100 of 100",
                 [](const json&, RequestContext& ctx) {
                   ctx.progress(0, 100);
                   ctx.sleep_for(50ms);
                   ctx.progress(50, 100);
                   ctx.sleep_for(50ms);
                   ctx.progress(100, 100);
                   return ToolResult::text("Tool with progress executed successfully");
                 }));
  tools.add(tool(
      "test_error_handling", "Always fails",
      [](const json&, RequestContext&) {
        return ToolResult::error("This tool intentionally returns an error for testing");
      },
      no_args, /*quiet=*/true));
  tools.add(tool(
      "test_sampling", "Asks the client's LLM (sampling/createMessage)",
      [](const json& args, RequestContext& ctx) {
        json answer =
            ctx.ask("answer", "sampling/createMessage",
                    {{"messages",
                      {{{"role", "user"}, {"content", text(args["prompt"].get<std::string>())}}}},
                     {"maxTokens", 100}});
        std::string reply = answer.contains("content") && answer["content"].is_object()
                                ? answer["content"].value("text", answer["content"].dump())
                                : answer.dump();
        return ToolResult::text("LLM response: " + reply);
      },
      string_arg_schema("prompt", "The prompt to send to the LLM")));
  tools.add(tool(
      "test_elicitation", "Asks the user for a username and an email (elicitation/create)",
      [](const json& args, RequestContext& ctx) {
        json schema = {{"type", "object"},
                       {"properties",
                        {{"username", {{"type", "string"}, {"description", "User's response"}}},
                         {"email", {{"type", "string"}, {"description", "User's email address"}}}}},
                       {"required", {"username", "email"}}};
        return elicit(ctx, args["message"].get<std::string>(), schema, "User response");
      },
      string_arg_schema("message", "The message to show the user")));
  tools.add(tool("test_elicitation_sep1034_defaults", "Elicitation with default values",
                 [](const json&, RequestContext& ctx) {
                   json schema = {{"type", "object"},
                                  {"properties",
                                   {{"name", {{"type", "string"}, {"default", "John Doe"}}},
                                    {"age", {{"type", "integer"}, {"default", 30}}},
                                    {"score", {{"type", "number"}, {"default", 95.5}}},
                                    {"status",
                                     {{"type", "string"},
                                      {"enum", {"active", "inactive", "pending"}},
                                      {"default", "active"}}},
                                    {"verified", {{"type", "boolean"}, {"default", true}}}}}};
                   return elicit(ctx, "Please review and update the form fields with defaults",
                                 schema, "Elicitation completed");
                 }));
  tools.add(tool(
      "test_elicitation_sep1330_enums", "Elicitation with every enum form",
      [](const json&, RequestContext& ctx) {
        json schema = {
            {"type", "object"},
            {"properties",
             {{"untitledSingle", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}},
              {"titledSingle",
               {{"type", "string"},
                {"oneOf",
                 {{{"const", "value1"}, {"title", "First Option"}},
                  {{"const", "value2"}, {"title", "Second Option"}},
                  {{"const", "value3"}, {"title", "Third Option"}}}}}},
              {"legacyEnum",
               {{"type", "string"},
                {"enum", {"opt1", "opt2", "opt3"}},
                {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
              {"untitledMulti",
               {{"type", "array"},
                {"items", {{"type", "string"}, {"enum", {"option1", "option2", "option3"}}}}}},
              {"titledMulti",
               {{"type", "array"},
                {"items",
                 {{"anyOf",
                   {{{"const", "value1"}, {"title", "First Choice"}},
                    {{"const", "value2"}, {"title", "Second Choice"}},
                    {{"const", "value3"}, {"title", "Third Choice"}}}}}}}}}}};
        return elicit(ctx, "Please select options from the enum fields", schema,
                      "Elicitation completed");
      }));
  // SEP-1613/SEP-2106: the schema is served to clients untouched, 2020-12 keywords and all.
  tools.add(tool(
      "json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features",
      [](const json&, RequestContext&) { return ToolResult::text("ok"); },
      {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
       {"type", "object"},
       {"$defs",
        {{"address",
          {{"$anchor", "addressDef"},
           {"type", "object"},
           {"properties", {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}}}}},
       {"properties",
        {{"name", {{"type", "string"}}},
         {"address", {{"$ref", "#/$defs/address"}}},
         {"contactMethod", {{"type", "string"}, {"enum", {"phone", "email"}}}},
         {"phone", {{"type", "string"}}},
         {"email", {{"type", "string"}}}}},
       {"allOf", {{{"anyOf", {{{"required", {"phone"}}}, {{"required", {"email"}}}}}}}},
       {"if",
        {{"properties", {{"contactMethod", {{"const", "phone"}}}}},
         {"required", {"contactMethod"}}}},
       {"then", {{"required", {"phone"}}}},
       {"else", {{"required", {"email"}}}},
       {"additionalProperties", false}}));
}

void register_e2e_tools(ToolRegistry& tools) {
  tools.add(
      tool("e2e_slow", "Counts for `seconds` seconds, reporting progress every 100 ms; cancellable",
           [](const json& args, RequestContext& ctx) {
             double seconds = args.value("seconds", 5.0);
             int steps = static_cast<int>(seconds * 10);
             for (int i = 1; i <= steps; ++i) {
               if (!ctx.sleep_for(100ms)) return ToolResult::error("cancelled");
               ctx.progress(i, steps, "step " + std::to_string(i));
             }
             return ToolResult::text("slept " + std::to_string(seconds) + " s");
           },
           {{"type", "object"},
            {"properties", {{"seconds", {{"type", "number"}, {"minimum", 0}, {"maximum", 600}}}}},
            {"additionalProperties", false}}));
  ToolDefinition echo =
      tool("e2e_echo", "Echoes `message` `times` times as structured output",
           [](const json& args, RequestContext&) {
             json items = json::array();
             for (int i = 0; i < args.value("times", 1); ++i) items.push_back(args["message"]);
             return ToolResult::structured({{"items", items}, {"count", items.size()}});
           },
           {{"type", "object"},
            {"properties",
             {{"message", {{"type", "string"}, {"minLength", 1}}},
              {"times", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}}}},
            {"required", {"message"}},
            {"additionalProperties", false}});
  echo.output_schema = {{"type", "object"},
                        {"properties",
                         {{"items", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                          {"count", {{"type", "integer"}}}}},
                        {"required", {"items", "count"}}};
  echo.annotations.read_only = true;
  echo.quiet = true;
  tools.add(std::move(echo));
}

void register_resources(ResourceRegistry& resources) {
  resources.add({"test://static-text", "static-text", "", "A static text resource", "text/plain",
                 [](const std::string& uri) {
                   return json{{"contents",
                                {{{"uri", uri},
                                  {"mimeType", "text/plain"},
                                  {"text", "This is the content of the static text resource."}}}}};
                 }});
  resources.add(
      {"test://static-binary", "static-binary", "", "A static binary resource (PNG)", "image/png",
       [](const std::string& uri) {
         return json{{"contents", {{{"uri", uri}, {"mimeType", "image/png"}, {"blob", kPng}}}}};
       }});
  resources.add(
      {"test://watched-resource", "watched-resource", "", "A resource that can be subscribed to",
       "text/plain", [](const std::string& uri) {
         return json{
             {"contents",
              {{{"uri", uri}, {"mimeType", "text/plain"}, {"text", "Watched resource content"}}}}};
       }});
  resources.add_template(
      {"test://template/{id}/data", "template-data", "", "Data for an id", "application/json",
       [](const std::string& uri, const std::map<std::string, std::string>& vars) {
         json data = {{"id", vars.at("id")},
                      {"templateTest", true},
                      {"data", "Data for ID: " + vars.at("id")}};
         return json{{"contents",
                      {{{"uri", uri}, {"mimeType", "application/json"}, {"text", data.dump()}}}}};
       }});
}

json message(json content) {
  return {{"role", "user"}, {"content", std::move(content)}};
}

void register_prompts(PromptRegistry& prompts) {
  prompts.add({"test_simple_prompt",
               "",
               "A simple prompt without arguments",
               {},
               [](const std::map<std::string, std::string>&) {
                 return json{{"messages", {message(text("This is a simple prompt for testing."))}}};
               }});
  prompts.add({"test_prompt_with_arguments",
               "",
               "A prompt with two required arguments",
               {{"arg1", "First test argument", true}, {"arg2", "Second test argument", true}},
               [](const std::map<std::string, std::string>& a) {
                 return json{{"messages",
                              {message(text("Prompt with arguments: arg1='" + a.at("arg1") +
                                            "', arg2='" + a.at("arg2") + "'"))}}};
               }});
  prompts.add({"test_prompt_with_embedded_resource",
               "",
               "A prompt that embeds a resource",
               {{"resourceUri", "URI of the resource to embed", true}},
               [](const std::map<std::string, std::string>& a) {
                 return json{{"messages",
                              {message({{"type", "resource"},
                                        {"resource",
                                         {{"uri", a.at("resourceUri")},
                                          {"mimeType", "text/plain"},
                                          {"text", "Embedded resource content for testing."}}}}),
                               message(text("Please process the embedded resource above."))}}};
               }});
  prompts.add({"test_prompt_with_image",
               "",
               "A prompt with an image",
               {},
               [](const std::map<std::string, std::string>&) {
                 return json{
                     {"messages",
                      {message({{"type", "image"}, {"data", kPng}, {"mimeType", "image/png"}}),
                       message(text("Please analyze the image above."))}}};
               }});
}

json complete(const json& ref, const json& argument, const json&) {
  static const std::vector<std::string> kWords = {"paris", "park", "party", "hello", "world"};
  json values = json::array();
  std::string prefix = argument.value("value", "");
  if (ref.value("type", "") == "ref/prompt") {
    for (const auto& w : kWords) {
      if (w.rfind(prefix, 0) == 0) values.push_back(w);
    }
  }
  return {{"values", values}, {"total", values.size()}, {"hasMore", false}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MCP conformance fixture server (runagents-mcp core)"};
  int port = 0;
  bool stdio = false, e2e_tools = false;
  std::string log_level = "warn";
  app.add_option("--port", port, "Serve Streamable HTTP on 127.0.0.1:PORT/mcp");
  app.add_flag("--stdio", stdio, "Serve stdio");
  app.add_flag("--e2e-tools", e2e_tools, "Add the end-to-end test tools");
  app.add_option("--log-level", log_level, "stderr log level");
  runagents::common::shutdown_signal::install();
  CLI11_PARSE(app, argc, argv);
  setup_logging(log_level);

  ServerInfo info;
  info.name = "runagents-conformance-fixture";
  info.title = "runagents-mcp conformance fixture";
  info.instructions = "Fixture server for the MCP conformance suite.";
  McpServer server(info);
  register_tools(server.tools());
  fixture::register_modern_tools(server.tools());
  fixture::register_task_tools(server.tools());
  if (e2e_tools) register_e2e_tools(server.tools());
  register_resources(server.resources());
  register_prompts(server.prompts());
  fixture::register_modern_prompts(server.prompts());
  server.set_completion_handler(complete);
  server.set_task_manager(std::make_shared<TaskManager>(std::make_shared<InMemoryTaskStore>()));
  // Replicas of the fixture share the requestState key the way runagents-mcp replicas do.
  if (const char* key = std::getenv("RUNAGENTS_MCP_STATE_KEY"); key && std::strlen(key) >= 32) {
    server.set_state_key(key);
  }

  if (stdio) return run_stdio(server, {});
  HttpOptions options;
  options.port = port;
  HttpTransport http(server, options);
  int bound = http.bind();
  std::fprintf(stderr, "conformance fixture on http://127.0.0.1:%d/mcp\n", bound);
  std::fflush(stderr);
  http.serve();
  std::fflush(nullptr);
  std::_Exit(0);
}
