// The agent step of the embedded query runtime (see query_runtime.hpp).
#include <sstream>

#include "platform/local/agents/schema_example.hpp"
#include "platform/local/local_platform.hpp"
#include "platform/local/queries/running_query.hpp"

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;

constexpr const char* kDefaultSystemPrompt =
    "You are an agent working in a Linux sandbox. Your working directory is /home/user. Use the "
    "shell tool to inspect files and run commands; it returns the exit code and output. When the "
    "task is done, answer with the result.";

std::string clip(const std::string& s, std::size_t n) {
  if (s.size() <= n) return s;
  return s.substr(0, n / 2) + "\n[... " + std::to_string(s.size() - n) + " characters cut ...]\n" +
         s.substr(s.size() - n / 2);
}

bool uses_playground(const RunningQuery& s) {
  const std::string& model = s.request.model;
  return model.empty() || model == kPlaygroundModel || s.options.gateway.base_url.empty();
}

// The deterministic playground: looks at the workspace once (a real command in the devbox) and
// reports what it saw; for a schema, answers a value made from it.
AgentAnswer playground(RunningQuery& s) {
  AgentAnswer a;
  auto e = s.exec("agent", "ls -A", {}, {}, std::chrono::seconds(30));
  std::vector<std::string> entries;
  std::istringstream lines(e.stdout_text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) entries.push_back(line);
  std::string listing;
  for (std::size_t i = 0; i < entries.size() && i < 20; ++i)
    listing += (i ? ", " : "") + entries[i];
  if (entries.size() > 20) listing += ", …";

  const std::string& prompt = s.request.prompt;
  std::string text = "playground-llm (the built-in deterministic model) received the task \"" +
                     clip(prompt, 300) + "\". It ran `ls -A` in /home/user and found " +
                     std::to_string(entries.size()) + " entr" +
                     (entries.size() == 1 ? "y" : "ies") + (entries.empty() ? "" : ": " + listing) +
                     ". It changed nothing.";
  if (!s.request.model.empty() && s.request.model != kPlaygroundModel)
    text += " Model \"" + s.request.model +
            "\" was asked for, but no model endpoint is configured (runagents-mcp config set "
            "llm_base_url URL and llm_api_key KEY), so the playground answered.";
  else if (s.request.model.empty() && !s.options.gateway.base_url.empty())
    text +=
        " A model endpoint is configured: name one of its models in `model` to have it do "
        "the task.";
  if (s.request.output_schema) {
    a.structured = example_for_schema(*s.request.output_schema);
    text += " It answered a value made from the output schema.";
  }
  if (s.observer.on_assistant_message) s.observer.on_assistant_message(text);
  a.text = text;
  const std::size_t prompt_words = std::count(prompt.begin(), prompt.end(), ' ') + 1;
  const std::size_t answer_words = std::count(text.begin(), text.end(), ' ') + 1;
  a.metadata = {{"model", kPlaygroundModel},
                {"num_turns", 1},
                {"usage",
                 {{"prompt_tokens", prompt_words},
                  {"completion_tokens", answer_words},
                  {"total_tokens", prompt_words + answer_words}}}};
  return a;
}

json shell_tool() {
  return {{"type", "function"},
          {"function",
           {{"name", "shell"},
            {"description",
             "Run a bash command in the sandbox (working directory /home/user). Returns the exit "
             "code, stdout and stderr."},
            {"parameters",
             {{"type", "object"},
              {"properties", {{"command", {{"type", "string"}}}}},
              {"required", json::array({"command"})}}}}}};
}

// The JSON an answer holds: the whole text, or a fenced ```json block in it.
std::optional<json> parse_answer(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  if (!v.is_discarded()) return v;
  auto start = text.find("```");
  if (start == std::string::npos) return std::nullopt;
  start = text.find('\n', start);
  auto end = text.find("```", start == std::string::npos ? 0 : start);
  if (start == std::string::npos || end == std::string::npos) return std::nullopt;
  v = json::parse(text.substr(start + 1, end - start - 1), nullptr, false);
  if (v.is_discarded()) return std::nullopt;
  return v;
}

// A tool-using loop against the configured OpenAI-compatible endpoint.
AgentAnswer model_loop(RunningQuery& s) {
  AgentAnswer a;
  std::string system =
      s.request.system_prompt.empty() ? kDefaultSystemPrompt : s.request.system_prompt;
  if (s.request.output_schema)
    system +=
        "\n\nYour final answer must be only a JSON value, with no other text, valid against "
        "this JSON Schema:\n" +
        s.request.output_schema->dump();
  json messages = json::array({{{"role", "system"}, {"content", system}},
                               {{"role", "user"}, {"content", s.request.prompt}}});
  json usage = {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}};
  int tool_calls = 0;
  for (int turn = 1; turn <= s.options.max_turns; ++turn) {
    if (s.stopped()) return a;
    json body = {
        {"model", s.request.model}, {"messages", messages}, {"tools", json::array({shell_tool()})}};
    json reply;
    try {
      reply = chat_completion(body, s.options.gateway);
    } catch (const PlatformError& e) {
      a.ok = false;
      a.error = std::string("the model call failed: ") + e.what();
      return a;
    }
    if (reply.contains("usage") && reply["usage"].is_object())
      for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"})
        usage[k] = usage[k].get<std::int64_t>() + reply["usage"].value(k, std::int64_t{0});
    if (!reply.contains("choices") || !reply["choices"].is_array() || reply["choices"].empty()) {
      a.ok = false;
      a.error = "the model endpoint answered without choices";
      return a;
    }
    json message = reply["choices"][0].value("message", json::object());
    const std::string text = content_text(message.value("content", json()));
    if (!text.empty() && s.observer.on_assistant_message) s.observer.on_assistant_message(text);
    json calls = message.value("tool_calls", json::array());
    json assistant = {{"role", "assistant"}, {"content", text}};
    if (calls.is_array() && !calls.empty()) assistant["tool_calls"] = calls;
    messages.push_back(assistant);
    if (!calls.is_array() || calls.empty()) {
      a.text = text;
      a.metadata = {{"model", s.request.model},
                    {"num_turns", turn},
                    {"tool_calls", tool_calls},
                    {"usage", usage}};
      if (s.request.output_schema) {
        if (auto v = parse_answer(text)) {
          a.structured = *v;
        } else {
          a.ok = false;
          a.error = "the model's final answer is not JSON, but an output_schema was given: " +
                    clip(text, 500);
        }
      }
      return a;
    }
    for (const auto& call : calls) {
      ++tool_calls;
      const json fn = call.value("function", json::object());
      json args = json::parse(fn.value("arguments", std::string("{}")), nullptr, false);
      std::string output;
      if (fn.value("name", "") != "shell" || !args.is_object() || !args.contains("command") ||
          !args["command"].is_string()) {
        output = "error: unknown tool or missing \"command\"; the one tool is shell {command}";
      } else {
        auto e =
            s.exec("agent", args["command"].get<std::string>(), {}, {}, std::chrono::seconds(300));
        if (s.stopped()) return a;
        output = "exit code " + std::to_string(e.exit_status.value_or(-1)) + "\nstdout:\n" +
                 clip(e.stdout_text, s.options.tool_output_chars) + "\nstderr:\n" +
                 clip(e.stderr_text, s.options.tool_output_chars / 2);
      }
      messages.push_back(
          {{"role", "tool"}, {"tool_call_id", call.value("id", "")}, {"content", output}});
    }
  }
  a.ok = false;
  a.error =
      "the agent used all " + std::to_string(s.options.max_turns) + " turns without a final answer";
  a.metadata = {{"model", s.request.model},
                {"num_turns", s.options.max_turns},
                {"tool_calls", tool_calls},
                {"usage", usage}};
  return a;
}

}  // namespace

AgentAnswer run_agent_step(RunningQuery& session) {
  return uses_playground(session) ? playground(session) : model_loop(session);
}

}  // namespace runagents::platform::local
