#include "server/request_context.hpp"

namespace runagents::mcp {

RequestContext::RequestContext(Session& session, Outbound& out, json request_id,
                               json progress_token, std::shared_ptr<Cancellation> cancellation)
    : session_(session),
      out_(out),
      request_id_(std::move(request_id)),
      progress_token_(std::move(progress_token)),
      cancellation_(cancellation ? std::move(cancellation) : std::make_shared<Cancellation>()) {}

void RequestContext::progress(double progress, std::optional<double> total,
                              const std::string& message) {
  if (progress_token_.is_null() || cancelled()) return;
  if (last_progress_ && progress <= *last_progress_) return;
  last_progress_ = progress;
  // Whole numbers go out as integers ("progress": 50), which is what clients print.
  auto number = [](double v) -> json {
    return v == static_cast<double>(static_cast<long long>(v)) ? json(static_cast<long long>(v))
                                                                : json(v);
  };
  json params = {{"progressToken", progress_token_}, {"progress", number(progress)}};
  if (total) params["total"] = number(*total);
  if (!message.empty()) params["message"] = message;
  out_.send(make_notification("notifications/progress", std::move(params)));
}

void RequestContext::log(LogLevel level, json data, const std::string& logger) {
  if (level < session_.log_level()) return;
  json params = {{"level", to_string(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = logger;
  out_.send(make_notification("notifications/message", std::move(params)));
}

json RequestContext::request_client(const std::string& method, json params,
                                    const std::string& capability,
                                    std::chrono::milliseconds timeout) {
  if (!capability.empty() && !session_.client_has(capability)) {
    throw ClientRequestError("The client did not declare the '" + capability +
                             "' capability, so the server cannot send " + method);
  }
  json id = session_.next_outgoing_id();
  auto pending = session_.expect_response(id);
  json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
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
