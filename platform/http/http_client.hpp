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
//   - error mapping to PlatformError (RemoteError, http_errors.hpp), keeping the HTTP status and
//   the
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
//
// The pieces, one header each (this one includes them all): base_url.hpp (BaseUrl, percent-
// encoding), http_message.hpp (HttpRequest, HttpResponse, HttpAttempt, HeaderMap),
// retry_policy.hpp (RetryPolicy, Retry-After, random_uuid), http_errors.hpp (RemoteError, the
// error kind of a status, the server's detail).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/error.hpp"
#include "platform/http/base_url.hpp"
#include "platform/http/http_errors.hpp"
#include "platform/http/http_message.hpp"
#include "platform/http/retry_policy.hpp"

namespace runagents::platform {

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
  // Per attempt: a request's whole answer must arrive within it (a body trickling in is cut off
  // too); a streamed one (HttpRequest::on_data) may not stall longer than it.
  std::chrono::milliseconds timeout{30000};
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

}  // namespace runagents::platform
