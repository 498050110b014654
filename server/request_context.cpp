#include "server/request_context.hpp"

namespace runagents::mcp {

namespace {

RequestEnvelope legacy_envelope(const Session& session, json progress_token) {
  RequestEnvelope e;
  e.era = Era::legacy;
  e.protocol_version = session.protocol_version();
  e.progress_token = std::move(progress_token);
  return e;
}

// Whole numbers go out as integers ("progress": 50), which is what clients print.
json progress_number(double v) {
  return v == static_cast<double>(static_cast<long long>(v)) ? json(static_cast<long long>(v))
                                                             : json(v);
}

}  // namespace

std::string capability_for(const std::string& method) {
  if (method == "elicitation/create") return "elicitation";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "roots/list") return "roots";
  return {};
}

RequestContext::RequestContext(Session& session, Outbound& out, json request_id,
                               RequestEnvelope envelope, std::shared_ptr<Cancellation> cancellation)
    : session_(session),
      out_(out),
      request_id_(std::move(request_id)),
      envelope_(std::move(envelope)),
      cancellation_(cancellation ? std::move(cancellation) : std::make_shared<Cancellation>()),
      last_progress_at_(std::chrono::steady_clock::now()),
      state_(envelope_.request_state) {}

RequestContext::RequestContext(Session& session, Outbound& out, json request_id,
                               json progress_token, std::shared_ptr<Cancellation> cancellation)
    : RequestContext(session, out, std::move(request_id),
                     legacy_envelope(session, std::move(progress_token)), std::move(cancellation)) {
}

bool RequestContext::client_has(const std::string& capability) const {
  if (envelope_.era == Era::legacy) return session_.client_has(capability);
  static const json kNone = json::object();
  const json* caps = envelope_.client_capabilities.get();
  return declares_capability(caps ? *caps : kNone, capability);
}

void RequestContext::progress(double progress, std::optional<double> total,
                              const std::string& message) {
  if (cancelled()) return;
  {
    std::lock_guard lock(progress_mu_);
    if (last_progress_ && progress <= *last_progress_) return;
    last_progress_ = progress;
    last_progress_at_ = std::chrono::steady_clock::now();
  }
  if (task_ && !message.empty()) task_->status(message);
  // Modern tasks carry no progress notifications; their status is polled.
  if (task_ && envelope_.era == Era::modern) return;
  if (envelope_.progress_token.is_null()) return;
  json params = {{"progressToken", envelope_.progress_token},
                 {"progress", progress_number(progress)}};
  if (total) params["total"] = progress_number(*total);
  if (!message.empty()) params["message"] = message;
  out_.send(make_notification("notifications/progress", std::move(params)));
}

void RequestContext::heartbeat(const std::string& message) {
  double next;
  {
    std::lock_guard lock(progress_mu_);
    next = last_progress_ ? *last_progress_ + 0.001 : 0;
  }
  progress(next, std::nullopt, message);
}

std::chrono::steady_clock::time_point RequestContext::last_progress_at() const {
  std::lock_guard lock(progress_mu_);
  return last_progress_at_;
}

void RequestContext::log(LogLevel level, json data, const std::string& logger) {
  if (task_ && envelope_.era == Era::modern) return;  // tasks carry no log messages
  if (envelope_.era == Era::modern) {
    if (!envelope_.log_level || level < *envelope_.log_level) return;
  } else if (level < session_.log_level()) {
    return;
  }
  json params = {{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  out_.send(make_notification("notifications/message", std::move(params)));
}

json RequestContext::ask(const std::string& key, const std::string& method, json params,
                         std::chrono::milliseconds timeout) {
  json answers = ask(json{{key, {{"method", method}, {"params", std::move(params)}}}}, timeout);
  return answers[key];
}

json RequestContext::ask(const json& requests, std::chrono::milliseconds timeout) {
  if (!requests.is_object() || requests.empty()) {
    throw std::invalid_argument("ask() needs {key: {method, params}}");
  }
  json missing_caps = json::object();
  for (const auto& [key, request] : requests.items()) {
    std::string cap = capability_for(request.value("method", std::string()));
    if (!cap.empty() && !client_has(cap)) missing_caps[cap] = json::object();
  }
  if (!missing_caps.empty()) {
    std::string names;
    for (const auto& [cap, _] : missing_caps.items()) names += (names.empty() ? "" : ", ") + cap;
    if (envelope_.era == Era::modern) {
      throw RpcError(error_code::missing_client_capability,
                     "Missing required client capability: " + names +
                         " (declare it in _meta io.modelcontextprotocol/clientCapabilities)",
                     {{"requiredCapabilities", missing_caps}});
    }
    throw ClientRequestError("The client did not declare the '" + names +
                             "' capability, so the server cannot ask it for input");
  }

  // A modern task waits for tasks/update; a legacy task asks over the session like any request.
  if (task_ && envelope_.era == Era::modern) return task_->await_input(requests, *cancellation_);

  if (envelope_.era == Era::legacy) {
    json answers = json::object();
    for (const auto& [key, request] : requests.items()) {
      const std::string method = request.value("method", std::string());
      answers[key] = request_client(method, request.value("params", json::object()), "", timeout);
    }
    return answers;
  }

  // Modern: the answers are on this retry, or we ask for them and end this round.
  const json& given = envelope_.input_responses;
  json answers = json::object();
  bool complete = given.is_object();
  for (const auto& [key, request] : requests.items()) {
    if (!given.is_object() || !given.contains(key)) {
      complete = false;
      continue;
    }
    const json& answer = given[key];
    if (!answer.is_object()) {
      throw RpcError(error_code::invalid_params,
                     "inputResponses." + key + " must be an object (the client's answer to " +
                         request.value("method", std::string("the request")) + ")");
    }
    answers[key] = answer;
  }
  if (complete) return answers;
  throw InputRequired(requests, state_);
}

json RequestContext::request_client(const std::string& method, json params,
                                    const std::string& capability,
                                    std::chrono::milliseconds timeout) {
  if (envelope_.era == Era::modern) {
    throw ClientRequestError("A 2026-07-28 request cannot send " + method +
                             " to the client; the server asks through input_required");
  }
  if (!capability.empty() && !session_.client_has(capability)) {
    throw ClientRequestError("The client did not declare the '" + capability +
                             "' capability, so the server cannot send " + method);
  }
  json id = session_.next_outgoing_id();
  auto pending = session_.expect_response(id);
  json request = {
      {"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  if (!out_.send(request)) {
    session_.forget_response(id);
    throw ClientRequestError("Could not send " + method + " to the client: the connection is gone");
  }
  auto response = pending->wait(std::chrono::steady_clock::now() + timeout, *cancellation_);
  if (!response) {
    session_.forget_response(id);
    if (cancelled()) throw ClientRequestError(method + " was cancelled");
    throw ClientRequestError("The client did not answer " + method + " within " +
                             std::to_string(timeout.count() / 1000) + " s");
  }
  if (response->has_error()) {
    std::string message = response->error.value("message", std::string("no message"));
    throw ClientRequestError("The client answered " + method + " with an error: " + message);
  }
  return response->result;
}

}  // namespace runagents::mcp
