// The values an HttpClient (http_client.hpp) takes and gives: a request with its builders, the
// answer, one attempt's outcome, and the header map both use.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runagents::platform {

using json = nlohmann::json;

// Header names compare case-insensitively, as HTTP says.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method = "GET";
  // Below the base URL's path prefix; starts with '/'. Encode variable segments with
  // encode_path_segment.
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;  // encoded by the client
  std::optional<json> json_body;                           // sent as application/json
  std::optional<std::string> body;                         // raw body (with content_type)
  std::string content_type;
  // Extra headers; a name also in the defaults replaces the default.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::chrono::milliseconds> timeout;  // default HttpClientOptions::timeout
  std::optional<int> max_retries;                    // default RetryPolicy::max_retries
  // The idempotency key to use; "" = a fresh one when the policy asks for it.
  std::string idempotency_key;
  // Returns true once the caller no longer wants the answer. Called before each attempt, while
  // waiting between attempts, and every few milliseconds from a watcher thread while a request
  // is in flight: it must be thread-safe and cheap.
  std::function<bool()> cancelled;
  // When set, a 2xx answer's body is delivered here as it arrives instead of being collected in
  // HttpResponse::body; return false to stop reading (the request then ends as cancelled). A
  // request that has delivered data is not retried.
  std::function<bool(std::string_view chunk)> on_data;

  // Shorthands that read like the wire:
  //   client.send(HttpRequest::get("/runs").with_query("agent", a).with_timeout(10s));
  static HttpRequest get(std::string path);
  static HttpRequest post(std::string path, std::optional<json> body = std::nullopt);
  static HttpRequest make(std::string method, std::string path);
  HttpRequest& with_query(std::string name, std::string value);
  HttpRequest& with_header(std::string name, std::string value);
  HttpRequest& with_json(json body);
  HttpRequest& with_timeout(std::chrono::milliseconds t);
  HttpRequest& with_max_retries(int n);
  HttpRequest& with_idempotency_key(std::string key);
  HttpRequest& with_cancel(std::function<bool()> is_cancelled);
  HttpRequest& with_on_data(std::function<bool(std::string_view chunk)> receiver);
};

struct HttpResponse {
  int status = 0;
  HeaderMap headers;
  std::string body;
  int attempts = 0;             // how many were made (1 = no retry)
  std::string idempotency_key;  // the key sent, if any

  std::string header(const std::string& name) const;  // "" when absent
  // The body parsed as JSON; an empty body is null. Throws PlatformError(internal) naming the
  // service when the body is not JSON.
  json json_body() const;
  std::string service;  // for json_body()'s message
  std::string what;     // "GET /api/agents", for json_body()'s message
};

// One attempt's outcome (HttpClient::attempt): the answer, or why none came.
struct HttpAttempt {
  std::optional<HttpResponse> response;  // set when an answer came, whatever its status
  // When no answer came: cpp-httplib's words for the failure ("Connection" when refused,
  // "Read", "Canceled" for a cancel or a reader that stopped, "no whole answer within N ms").
  std::string failure;
};

}  // namespace runagents::platform
