#include "tests/conformance/modern_fixtures.hpp"

#include <chrono>

#include "tests/conformance/fixture_support.hpp"

namespace runagents::mcp::fixture {

using namespace std::chrono_literals;

namespace {

json elicitation(const std::string& message, const std::string& field,
                 const std::string& type = "string") {
  return {{"method", "elicitation/create"},
          {"params",
           {{"message", message},
            {"requestedSchema",
             {{"type", "object"},
              {"properties", {{field, {{"type", type}}}}},
              {"required", {field}}}}}}};
}

json sampling(const std::string& prompt, int max_tokens) {
  return {
      {"method", "sampling/createMessage"},
      {"params",
       {{"messages", {{{"role", "user"}, {"content", text(prompt)}}}}, {"maxTokens", max_tokens}}}};
}

json roots() {
  return {{"method", "roots/list"}, {"params", json::object()}};
}

// The text a sampling answer carries, or its JSON.
std::string sampled_text(const json& answer) {
  if (answer.contains("content") && answer["content"].is_object()) {
    return answer["content"].value("text", answer["content"].dump());
  }
  return answer.dump();
}

std::string field(const json& elicit_answer, const std::string& name) {
  const json& content = elicit_answer.value("content", json::object());
  if (!content.is_object() || !content.contains(name)) return "(none)";
  return content[name].is_string() ? content[name].get<std::string>() : content[name].dump();
}

}  // namespace

void register_modern_tools(ToolRegistry& tools) {
  tools.add(tool("test_input_required_result_elicitation", "Asks for a name (MRTR)",
                 [](const json&, RequestContext& ctx) {
                   json a = ctx.ask("user_name", "elicitation/create",
                                    elicitation("What is your name?", "name")["params"]);
                   return ToolResult::text("Hello, " + field(a, "name") + "!");
                 }));
  tools.add(tool("test_input_required_result_sampling", "Asks the client's model (MRTR)",
                 [](const json&, RequestContext& ctx) {
                   json a = ctx.ask(
                       json{{"capital_question", sampling("What is the capital of France?", 100)}});
                   return ToolResult::text("LLM said: " + sampled_text(a["capital_question"]));
                 }));
  tools.add(tool("test_input_required_result_list_roots", "Asks for the client's roots (MRTR)",
                 [](const json&, RequestContext& ctx) {
                   json a = ctx.ask(json{{"client_roots", roots()}});
                   std::string uris;
                   for (const auto& r : a["client_roots"].value("roots", json::array())) {
                     uris += (uris.empty() ? "" : ", ") + r.value("uri", std::string("?"));
                   }
                   return ToolResult::text("Client roots: " + (uris.empty() ? "(none)" : uris));
                 }));
  tools.add(
      tool("test_input_required_result_request_state", "Round-trips a signed requestState (MRTR)",
           [](const json&, RequestContext& ctx) {
             bool resumed = !ctx.request_state().is_null();
             if (!resumed) ctx.set_request_state({{"round", 1}});
             json a = ctx.ask(json{{"confirm", elicitation("Please confirm", "ok", "boolean")}});
             if (!resumed) {
               return ToolResult::error(
                   "The answer came without the requestState sent with "
                   "the question; send it back unchanged");
             }
             return ToolResult::text("state-ok: confirmed " + field(a["confirm"], "ok"));
           }));
  tools.add(tool(
      "test_input_required_result_multiple_inputs", "Asks for three inputs at once (MRTR)",
      [](const json&, RequestContext& ctx) {
        if (ctx.request_state().is_null()) ctx.set_request_state({{"round", 1}});
        json a = ctx.ask(json{{"user_name", elicitation("What is your name?", "name")},
                              {"greeting", sampling("Generate a greeting", 50)},
                              {"client_roots", roots()}});
        return ToolResult::text(
            "Got " + field(a["user_name"], "name") + ", " + sampled_text(a["greeting"]) + " and " +
            std::to_string(a["client_roots"].value("roots", json::array()).size()) + " roots");
      }));
  tools.add(tool("test_input_required_result_multi_round", "Asks twice, one round each (MRTR)",
                 [](const json&, RequestContext& ctx) {
                   json step1 = elicitation("Step 1: What is your name?", "name");
                   json step2 = elicitation("Step 2: What is your favorite color?", "color");
                   json state = ctx.request_state();
                   if (state.is_null() || state.value("step", 0) < 2) {
                     ctx.set_request_state({{"step", 1}});
                     json a = ctx.ask(json{{"step1", step1}});
                     ctx.set_request_state({{"step", 2}, {"name", field(a["step1"], "name")}});
                   }
                   json b = ctx.ask(json{{"step2", step2}});
                   return ToolResult::text(ctx.request_state().value("name", std::string("?")) +
                                           " likes " + field(b["step2"], "color"));
                 }));
  tools.add(
      tool("test_input_required_result_tampered_state",
           "Carries a signed requestState; a changed one is rejected",
           [](const json&, RequestContext& ctx) {
             if (ctx.request_state().is_null()) ctx.set_request_state({{"round", 1}});
             json a = ctx.ask(json{{"confirm", elicitation("Please confirm", "ok", "boolean")}});
             return ToolResult::text("state verified: " + field(a["confirm"], "ok"));
           }));
  tools.add(tool("test_input_required_result_capabilities",
                 "Asks only through the capabilities the client declared",
                 [](const json&, RequestContext& ctx) {
                   json wanted = json::object();
                   if (ctx.client_has("elicitation")) {
                     wanted["user_name"] = elicitation("What is your name?", "name");
                   }
                   if (ctx.client_has("sampling")) wanted["greeting"] = sampling("Say hello", 50);
                   if (ctx.client_has("roots")) wanted["client_roots"] = roots();
                   if (wanted.empty()) {
                     return ToolResult::text("The client declared no input capability");
                   }
                   json a = ctx.ask(wanted);
                   return ToolResult::text("Received " + std::to_string(a.size()) + " answers");
                 }));
  // server-stateless probes.
  tools.add(tool("test_missing_capability", "Needs sampling; -32021 when it is not declared",
                 [](const json&, RequestContext& ctx) {
                   json a = ctx.ask(json{{"answer", sampling("Say yes", 10)}});
                   return ToolResult::text("Sampled: " + sampled_text(a["answer"]));
                 }));
  tools.add(tool("test_streaming_elicitation", "Asks for a name; never sends a request on a stream",
                 [](const json&, RequestContext& ctx) {
                   json a = ctx.ask(json{{"user_name", elicitation("What is your name?", "name")}});
                   return ToolResult::text("Hello, " + field(a["user_name"], "name") + "!");
                 }));
  tools.add(tool("test_logging_tool", "Logs three messages (only when the request asks for logs)",
                 log_three_messages));
  // SEP-2243: a parameter mirrored into the Mcp-Param-Region header.
  tools.add(tool("test_header_param", "Echoes a region that also travels as a header",
                 [](const json& args, RequestContext&) {
                   return ToolResult::text("region " + args.value("region", std::string("?")));
                 },
                 {{"type", "object"},
                  {"properties",
                   {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                    {"detail", {{"type", "string"}}}}},
                  {"required", {"region"}}}));
}

void register_modern_prompts(PromptRegistry& prompts) {
  Prompt p;
  p.name = "test_input_required_result_prompt";
  p.description = "A prompt that asks the client for context first (MRTR)";
  p.get_interactive = [](const std::map<std::string, std::string>&, RequestContext& ctx) {
    json a = ctx.ask(
        json{{"user_context", elicitation("What context should the prompt use?", "context")}});
    return json{
        {"description", "A prompt built from the client's answer"},
        {"messages",
         {{{"role", "user"},
           {"content", text("Use this context: " + field(a["user_context"], "context"))}}}}};
  };
  prompts.add(std::move(p));
}

void register_task_tools(ToolRegistry& tools) {
  tools.add(tool("greet", "Says hello at once (never a task)",
                 [](const json& args, RequestContext&) {
                   return ToolResult::text("Hello, " + args.value("name", std::string("world")) +
                                           "!");
                 },
                 {{"type", "object"}, {"properties", {{"name", {{"type", "string"}}}}}}));

  ToolDefinition slow =
      tool("slow_compute", "Works for `seconds` seconds; a task when the client supports tasks",
           [](const json& args, RequestContext& ctx) {
             const double seconds = args.value("seconds", 1.0);
             const int steps = static_cast<int>(seconds * 10);
             for (int i = 1; i <= steps; ++i) {
               if (!ctx.sleep_for(100ms)) return ToolResult::error("cancelled");
               ctx.progress(i, steps, "step " + std::to_string(i) + " of " + std::to_string(steps));
             }
             return ToolResult::text("Computed " + args.value("label", std::string("result")) +
                                     " in " + std::to_string(seconds) + " s");
           },
           {{"type", "object"},
            {"properties",
             {{"seconds", {{"type", "number"}, {"minimum", 0}, {"maximum", 600}}},
              {"label", {{"type", "string"}}}}}});
  slow.task_support = TaskSupport::optional;
  slow.long_running = true;
  slow.task_worthy = [](const json& args) { return args.value("seconds", 1.0) >= 1; };
  tools.add(std::move(slow));

  ToolDefinition failing = tool("failing_job", "Runs only as a task and ends with a tool error",
                                [](const json&, RequestContext& ctx) {
                                  ctx.sleep_for(1s);
                                  return ToolResult::error("The job failed: disk quota exceeded");
                                });
  failing.task_support = TaskSupport::required;
  tools.add(std::move(failing));

  ToolDefinition protocol_error =
      tool("protocol_error_job", "Runs only as a task and ends with a JSON-RPC error",
           [](const json&, RequestContext& ctx) -> ToolResult {
             ctx.sleep_for(300ms);
             throw RpcError(error_code::internal_error, "The job hit an internal error");
           });
  protocol_error.task_support = TaskSupport::required;
  tools.add(std::move(protocol_error));

  ToolDefinition confirm = tool(
      "confirm_delete", "Asks for confirmation inside the task, then deletes",
      [](const json& args, RequestContext& ctx) {
        const std::string file = args.value("filename", std::string("file"));
        json a =
            ctx.ask(json{{"confirm", elicitation("Delete " + file + "?", "confirm", "boolean")}});
        bool yes = a["confirm"].value("action", "") == "accept" &&
                   a["confirm"].value("content", json::object()).value("confirm", false);
        return ToolResult::text(yes ? "Deleted " + file : "Kept " + file);
      },
      {{"type", "object"}, {"properties", {{"filename", {{"type", "string"}}}}}});
  confirm.task_support = TaskSupport::required;
  tools.add(std::move(confirm));

  ToolDefinition multi = tool(
      "multi_input", "Asks two questions at once inside the task",
      [](const json&, RequestContext& ctx) {
        json a = ctx.ask(json{{"name", elicitation("What is your name?", "name")},
                              {"color", elicitation("What is your favorite color?", "color")}});
        return ToolResult::text(field(a["name"], "name") + " likes " + field(a["color"], "color"));
      });
  multi.task_support = TaskSupport::required;
  tools.add(std::move(multi));

  // Input first (a multi round-trip request), then the task (ext-tasks: composition with MRTR).
  ToolDefinition composed =
      tool("test_tool_with_task", "Asks for a name, then works as a task",
           [](const json& args, RequestContext& ctx) {
             ctx.sleep_for(200ms);
             return ToolResult::text("Hello, " + args.value("user_name", std::string("?")) +
                                     ", the task is done");
           });
  composed.prepare = [](const json& args, RequestContext& ctx) {
    json a = ctx.ask(json{{"user_name", elicitation("What is your name?", "name")}});
    json prepared = args;
    prepared["user_name"] = field(a["user_name"], "name");
    return prepared;
  };
  composed.input_schema = {{"type", "object"},
                           {"properties", {{"user_name", {{"type", "string"}}}}}};
  composed.task_support = TaskSupport::required;
  tools.add(std::move(composed));
}

}  // namespace runagents::mcp::fixture
