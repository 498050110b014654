// The one HTTP client of the tree, built on cpp-httplib. It has two modes (HttpMode):
//
// Retrying, for the platform services (RunAgents, Runloop, and later services); it adds what each
// service's official SDK does on the wire:
//   - a base URL (http or https, host, port, and an optional path prefix) and default headers;
//   - a per-request timeout and a connect timeout;
//   - JSON request and response bodies;
//   - a retry policy chosen per service (RetryPolicy::runagents(), RetryPolicy::runloop()):
//     which statuses and methods retry, the `x-should-retry` override, exponential backoff with
//     jitter, `retry-after-ms` / `Retry-After` honoured when 0 < value <= max_retry_after, retry
//     of transport failures, and one idempotency key per logical request reused by its retries;
//   - cancellation: a hook checked before every attempt, during backoff and (from a watcher
//     thread) while a request is in flight, which then aborts the connection;
//   - error mapping to PlatformError (see RemoteError below), keeping the HTTP status and the
//     server's `detail` / `message` / `error`.
//
// Plain, for one-off calls to endpoints that are not a platform service (a tool's endpoint, a
// model endpoint, a download, the doctor's probe): the same base URL, timeouts, bodies and
// cancellation, but one attempt, only the caller's headers, and cpp-httplib's own wire defaults.
// Its callers usually want HttpClient::attempt(), which hands back a transport failure as text.
//
// Secrets: every value in HttpClientOptions::secrets (API keys, bearer tokens) is masked in the
// messages of the errors this class throws and in the log lines it writes.
//
// Thread safety: an HttpClient is safe for concurrent use from many threads. Each request borrows
// its own connection from a small pool, so a long poll never blocks another request, and
// keep-alive connections are reused between requests (retrying mode). Not copyable.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/error.hpp"

namespace runagents::platform {

using json = nlohmann::json;

// Header names compare case-insensitively, as HTTP says.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

// A parsed base URL: "https://api.runloop.ai" or "http://127.0.0.1:8092/prefix".
struct BaseUrl {
  std::string scheme;       // "http" or "https"
  std::string host;         // without brackets for IPv6 literals
  int port = 0;             // explicit, or 80 / 443 from the scheme
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)

  // scheme://host[:port] with IPv6 literals bracketed; no path.
  std::string origin() const;
  // origin() + path_prefix.
  std::string to_string() const;
};

// Parses `url`. Throws PlatformError(invalid) naming `setting` (e.g. "RUNAGENTS_ENDPOINT") and
// the expected form when the URL is not http(s)://host[:port][/path] (query and fragment are
// refused; a trailing '/' is dropped).
BaseUrl parse_base_url(const std::string& url, std::string_view setting = "base URL");

// Percent-encodes one path segment (everything but unreserved characters), or one query
// component (both common::percent_encode).
std::string encode_path_segment(std::string_view segment);
std::string encode_query_component(std::string_view component);

// Which requests retry and how long to wait between attempts.
struct RetryPolicy {
  enum class Methods {
    get_only,  // only GET (and HEAD) requests retry: a POST may have taken effect
    all,       // every method retries; the idempotency key lets the server deduplicate
  };
  Methods methods = Methods::get_only;
  std::vector<int> statuses = {429};  // statuses that retry, beyond >= 500 when server_errors
  bool server_errors = true;          // every status >= 500 retries
  // When true, `x-should-retry: true|false` in an answer overrides every other rule.
  bool honour_should_retry_header = false;
  // Transport failures (connection refused or reset, timeouts) retry for the methods above.
  bool transport_errors = true;
  int max_retries = 2;  // attempts = 1 + max_retries
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  // `retry-after-ms` / `Retry-After` (seconds or HTTP date) is used when 0 < value <= this.
  std::chrono::milliseconds max_retry_after{60000};
  // Idempotency key header sent on non-GET requests ("" = none). One key per logical request,
  // the same on every retry of it.
  std::string idempotency_header;
  std::string idempotency_prefix;  // prepended to a random UUID
  // Header carrying the retry number (0 on the first attempt); "" = not sent.
  std::string retry_count_header;

  // RunAgents: GETs retry on 429 and 5xx (and transport failures), honouring Retry-After; other
  // methods never retry. 2 retries, backoff 1 s doubling to 60 s.
  static RetryPolicy runagents();
  // Runloop, as its official SDKs: every method retries on 408, 409, 429 and >= 500 and on
  // transport failures; `x-should-retry` overrides; 5 retries; backoff 1 s doubling to 60 s
  // with jitter 1 - 0.25*random; `x-request-id` idempotency key; `x-stainless-retry-count`.
  static RetryPolicy runloop();

  // True when an answer with `status` and `headers` to a `method` request should be retried
  // (ignores the number of attempts left).
  bool should_retry(std::string_view method, int status, const HeaderMap& headers) const;
  bool method_retries(std::string_view method) const;
  // The wait before retry number `retry` (0 for the first retry) after an answer with
  // `headers` (nullptr after a transport failure). `random01` is in [0, 1).
  std::chrono::milliseconds backoff(
      int retry, const HeaderMap* headers, double random01,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;
};

// The server-requested delay in `headers`: `retry-after-ms` (milliseconds), else `Retry-After`
// as seconds (fractions allowed) or an HTTP date relative to `now`. nullopt when absent or
// unparsable. May be zero or negative (a date in the past); callers apply their bounds.
std::optional<std::chrono::milliseconds> retry_after(const HeaderMap& headers,
                                                     std::chrono::system_clock::time_point now);

// How a client talks to its server.
enum class HttpMode {
  // A platform service: the retry policy; the runagents-mcp User-Agent and Accept:
  // application/json; keep-alive connections with TCP_NODELAY, pooled; paths and queries sent
  // exactly as this client encoded them.
  retrying,
  // Any other endpoint: one attempt whatever `retry` says; no headers but the defaults and the
  // request's own (cpp-httplib adds its User-Agent and Accept: */*); a connection per request
  // (Connection: close); cpp-httplib encodes what the path still needs (spaces, non-ASCII).
  plain,
};

struct HttpClientOptions {
  HttpMode mode = HttpMode::retrying;
  std::string base_url;            // parsed by parse_base_url
  std::string service = "remote";  // names the service in errors and logs ("RunAgents")
  std::string base_url_setting;    // names the setting in errors ("RUNAGENTS_ENDPOINT")
  std::vector<std::pair<std::string, std::string>> default_headers;  // sent on every request
  std::vector<std::string> secrets;  // masked wherever this client writes text
  // Appended to 401/403 errors, e.g. "set RUNAGENTS_API_KEY (runagents-mcp config set api_key)".
  std::string auth_hint;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // per attempt: reading or writing may stall this long
  RetryPolicy retry;
  std::string ca_cert_path;       // "" = the system's trust store
  bool verify_tls = true;         // false only for tests against self-signed servers
  bool follow_redirects = false;  // 3xx answers are followed (to any host) instead of returned

  // The plain mode's options for `base_url`: `service` names it in messages and logs; `timeout`
  // bounds each read and write.
  static HttpClientOptions plain(std::string base_url, std::string service,
                                 std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds timeout);
  size_t max_idle_connections = 4;
};

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

// A PlatformError for an HTTP answer with an error status: carries the status, the server's
// detail (its `detail`, `message` or `error`, as text) and the parsed body (null when it was not
// JSON). Its message reads "<service> <METHOD> <path>: HTTP <status>: <detail>" plus a hint.
// One attempt's outcome (HttpClient::attempt): the answer, or why none came.
struct HttpAttempt {
  std::optional<HttpResponse> response;  // set when an answer came, whatever its status
  // When no answer came: cpp-httplib's words for the failure ("Connection" when refused,
  // "Read", "Canceled" for a cancel or a reader that stopped).
  std::string failure;
};

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

class HttpClient {
 public:
  // Throws PlatformError(invalid) when options.base_url does not parse.
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request`, retrying as the policy says (the plain mode: once), and returns the final
  // answer whatever its status. Throws PlatformError: cancelled when request.cancelled() turned
  // true; timeout when the last attempt timed out; unavailable when the service could not be
  // reached (connection refused, DNS, TLS) after the retries.
  HttpResponse execute(const HttpRequest& request) const;

  // execute(), then throws RemoteError for a status >= 400 (after the retries).
  HttpResponse send(const HttpRequest& request) const;

  // One attempt of `request`, in either mode, never retried: the answer whatever its status, or
  // the transport failure as text. Throws nothing for the transport (a refused connection, a
  // timeout, a cancel, an on_data that returned false): the caller words it.
  HttpAttempt attempt(const HttpRequest& request) const;

  // send() and the answer's JSON body.
  json send_json(const HttpRequest& request) const { return send(request).json_body(); }

  const BaseUrl& base_url() const;
  const HttpClientOptions& options() const;
  // `text` with this client's secrets masked.
  std::string redact(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The plain mode in one call: a client for `options` (its mode set to plain) and one attempt of
// `request`. A base URL the client cannot take apart is a failure too (the reason as text), so
// this never throws for the endpoint; the caller words every failure the same way.
HttpAttempt attempt_plain(HttpClientOptions options, const HttpRequest& request);

// A random (version 4) UUID in its canonical text form.
std::string random_uuid();

}  // namespace runagents::platform
