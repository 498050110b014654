// When an HttpClient (http_client.hpp) tries a request again, and how long it waits first: one
// RetryPolicy per service, the server's Retry-After, and the randomness of backoff jitter and
// idempotency keys.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/http/http_message.hpp"

namespace runagents::platform {

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

// A uniform random number in [0, 1): the jitter HttpClient passes to RetryPolicy::backoff.
double random01();

// A random (version 4) UUID in its canonical text form: the idempotency keys; also used where
// the platform needs a unique name (multipart boundaries, analysis ids).
std::string random_uuid();

}  // namespace runagents::platform
