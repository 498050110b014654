// What an HTTP error answer becomes: the error kind of its status, the server's own explanation,
// and RemoteError, the PlatformError HttpClient::send throws for it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"
#include "platform/http/http_message.hpp"

namespace runagents::platform {

// A PlatformError for an HTTP answer with an error status: carries the status, the server's
// detail (its `detail`, `message` or `error`, as text) and the parsed body (null when it was not
// JSON). Its message reads "<service> <METHOD> <path>: HTTP <status>: <detail>" plus a hint.
class RemoteError : public PlatformError {
 public:
  RemoteError(ErrorKind kind, std::string message, int http_status, std::string detail, json body)
      : PlatformError(kind, std::move(message), http_status),
        detail_(std::move(detail)),
        body_(std::move(body)) {}
  const std::string& detail() const { return detail_; }
  const json& body() const { return body_; }

 private:
  std::string detail_;
  json body_;
};

// The error kind for an HTTP error status: 400/422 invalid, 401 unauthorized, 403 forbidden,
// 404 not_found, 408 and 504 timeout, 409 conflict, 429 unavailable, 500/501 internal, other
// 5xx unavailable, other 4xx invalid.
ErrorKind error_kind_for_status(int status);

// The server's explanation in an error body: `detail`, `message` or `error` (strings as they
// are, objects and arrays as compact JSON, `error.message` when `error` is an object), else the
// body text itself, trimmed to 500 bytes.
std::string error_detail(const std::string& body);

// The RemoteError for `response` (status >= 400) from `service`: "<service> <METHOD> <path>:
// HTTP <status>: <detail>", the number of attempts when there were several, and a hint
// (`auth_hint` for 401/403; rate limiting for 429; a failed service for 5xx). Every text is
// passed through `redact` (the client's secrets masked).
RemoteError remote_error(const HttpResponse& response, const std::string& service,
                         const std::string& auth_hint,
                         const std::function<std::string(std::string_view)>& redact);

}  // namespace runagents::platform
