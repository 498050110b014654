#include "platform/http/http_message.hpp"

#include <strings.h>

#include "platform/common/clip.hpp"
#include "platform/error.hpp"

namespace runagents::platform {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

HttpRequest HttpRequest::make(std::string method, std::string path) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}
HttpRequest HttpRequest::get(std::string path) {
  return make("GET", std::move(path));
}
HttpRequest HttpRequest::post(std::string path, std::optional<json> body) {
  HttpRequest r = make("POST", std::move(path));
  r.json_body = std::move(body);
  return r;
}
HttpRequest& HttpRequest::with_query(std::string name, std::string value) {
  query.emplace_back(std::move(name), std::move(value));
  return *this;
}
HttpRequest& HttpRequest::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}
HttpRequest& HttpRequest::with_json(json b) {
  json_body = std::move(b);
  return *this;
}
HttpRequest& HttpRequest::with_timeout(std::chrono::milliseconds t) {
  timeout = t;
  return *this;
}
HttpRequest& HttpRequest::with_max_retries(int n) {
  max_retries = n;
  return *this;
}
HttpRequest& HttpRequest::with_idempotency_key(std::string key) {
  idempotency_key = std::move(key);
  return *this;
}
HttpRequest& HttpRequest::with_cancel(std::function<bool()> is_cancelled) {
  cancelled = std::move(is_cancelled);
  return *this;
}
HttpRequest& HttpRequest::with_on_data(std::function<bool(std::string_view chunk)> receiver) {
  on_data = std::move(receiver);
  return *this;
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

json HttpResponse::json_body() const {
  if (body.empty()) return nullptr;
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    throw PlatformError(ErrorKind::internal,
                        service + " " + what + " answered HTTP " + std::to_string(status) +
                            " with a body that is not JSON: " + common::clip_head(body, 200, "..."),
                        status);
  }
  return parsed;
}

}  // namespace runagents::platform
