#include "platform/local/agents/model_gateway.hpp"

#include <chrono>
#include <sstream>

#include "platform/common/redact.hpp"
#include "platform/http/http_client.hpp"
#include "platform/local/local_platform.hpp"

namespace runagents::platform::local {

namespace {

std::size_t word_count(const std::string& text) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

}  // namespace

std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (content.is_array())
    for (const auto& part : content)
      if (part.is_object() && part.value("type", "") == "text") out += part.value("text", "");
  return out;
}

json playground_completion(const json& request) {
  const json& messages = request.at("messages");
  std::string last_user;
  std::size_t prompt_words = 0;
  for (const auto& m : messages) {
    std::string text = content_text(m.value("content", json()));
    prompt_words += word_count(text);
    if (m.value("role", "") == "user") last_user = text;
  }
  std::string answer = last_user.empty() ? "playground-llm: there is no user message to answer."
                                         : "playground-llm: you said \"" + last_user + "\"";
  const std::size_t completion_words = word_count(answer);
  return {{"id", "chatcmpl-playground"},
          {"object", "chat.completion"},
          {"created", 0},
          {"model", kPlaygroundModel},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", answer}}},
                                    {"finish_reason", "stop"}}})},
          {"usage",
           {{"prompt_tokens", prompt_words},
            {"completion_tokens", completion_words},
            {"total_tokens", prompt_words + completion_words}}}};
}

json chat_completion(const json& request, const ModelGatewayOptions& options,
                     const std::function<bool()>& cancelled) {
  if (!request.is_object() || !request.contains("messages") || !request["messages"].is_array() ||
      request["messages"].empty())
    throw PlatformError(ErrorKind::invalid,
                        "the chat request needs a non-empty \"messages\" array "
                        "([{\"role\": \"user\", \"content\": \"...\"}])");
  const std::string model = request.value("model", "");
  if (model.empty() || model == kPlaygroundModel || options.base_url.empty())
    return playground_completion(request);

  HttpRequest post = HttpRequest::post("/chat/completions", request);
  if (!options.api_key.empty()) post.with_header("Authorization", "Bearer " + options.api_key);
  if (cancelled) post.with_cancel(cancelled);
  const HttpAttempt attempt =
      attempt_plain(HttpClientOptions::plain(options.base_url, "model endpoint",
                                             std::chrono::seconds(10), std::chrono::seconds(120)),
                    post);
  if (!attempt.response && cancelled && cancelled())
    throw PlatformError(ErrorKind::cancelled, "the model call was stopped: the run ended");
  if (!attempt.response)
    throw PlatformError(ErrorKind::unavailable,
                        "model endpoint " + options.base_url + " unreachable: " + attempt.failure);
  const HttpResponse& res = *attempt.response;
  json body = json::parse(res.body, nullptr, false);
  if (res.status < 200 || res.status >= 300 || body.is_discarded())
    throw PlatformError(
        ErrorKind::unavailable,
        common::redact_in("model endpoint " + options.base_url + " answered HTTP " +
                              std::to_string(res.status) + ": " + res.body.substr(0, 500),
                          options.api_key),
        res.status);
  return body;
}

}  // namespace runagents::platform::local
