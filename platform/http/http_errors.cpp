#include "platform/http/http_errors.hpp"

#include "platform/common/clip.hpp"
#include "platform/http/text.hpp"

namespace runagents::platform {

namespace {

std::string truncate_text(std::string s, size_t max) {
  return common::clip_head(s, max, "...");
}

}  // namespace

using http_text::trim;

ErrorKind error_kind_for_status(int status) {
  switch (status) {
    case 400:
    case 422:
      return ErrorKind::invalid;
    case 401:
      return ErrorKind::unauthorized;
    case 403:
      return ErrorKind::forbidden;
    case 404:
      return ErrorKind::not_found;
    case 408:
      return ErrorKind::timeout;
    case 409:
      return ErrorKind::conflict;
    case 429:
      return ErrorKind::unavailable;
    case 500:
    case 501:
      return ErrorKind::internal;
    default:
      break;
  }
  if (status >= 500) return ErrorKind::unavailable;
  return ErrorKind::invalid;
}

std::string error_detail(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  auto as_text = [](const json& v) -> std::string {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("message") && v["message"].is_string()) {
      return v["message"].get<std::string>();
    }
    return v.dump();
  };
  if (!parsed.is_discarded() && parsed.is_object()) {
    for (const char* key : {"detail", "message", "error"}) {
      auto it = parsed.find(key);
      if (it != parsed.end() && !it->is_null()) return truncate_text(as_text(*it), 500);
    }
  }
  return truncate_text(trim(body), 500);
}

RemoteError remote_error(const HttpResponse& response, const std::string& service,
                         const std::string& auth_hint,
                         const std::function<std::string(std::string_view)>& redact) {
  const int status = response.status;
  ErrorKind kind = error_kind_for_status(status);
  std::string detail = redact(error_detail(response.body));
  std::string message = service + " " + response.what + ": HTTP " + std::to_string(status) +
                        (detail.empty() ? "" : ": " + detail);
  if (response.attempts > 1) {
    message += " (after " + std::to_string(response.attempts) + " attempts)";
  }
  if ((status == 401 || status == 403) && !auth_hint.empty()) {
    message += "; " + auth_hint;
  } else if (status == 429) {
    message += "; the service is rate limiting requests, try again later";
  } else if (status >= 500) {
    message += "; the service failed, try again later";
  }
  json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded()) body = nullptr;
  return RemoteError(kind, redact(message), status, std::move(detail), std::move(body));
}

}  // namespace runagents::platform
