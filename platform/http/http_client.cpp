#include "platform/http/http_client.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>

#include "platform/common/redact.hpp"

namespace runagents::platform {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

}  // namespace

HttpClientOptions HttpClientOptions::plain(std::string base_url, std::string service,
                                           milliseconds connect_timeout, milliseconds timeout) {
  HttpClientOptions o;
  o.mode = HttpMode::plain;
  o.base_url = std::move(base_url);
  o.service = std::move(service);
  o.connect_timeout = connect_timeout;
  o.timeout = timeout;
  return o;
}

// ---------------------------------------------------------------------------------------------
// The client

struct HttpClient::Impl {
  HttpClientOptions opts;
  BaseUrl base;

  std::mutex pool_mu;
  std::vector<std::unique_ptr<httplib::Client>> idle;

  // In-flight requests, polled by the watcher thread: it stops one whose cancellation hook
  // fires, and one whose whole answer has not arrived by its deadline (a body trickling in
  // resets cpp-httplib's per-read timeout at every byte).
  struct InFlight {
    httplib::Client* client;
    const std::function<bool()>* cancelled;                 // may be empty
    Clock::time_point deadline = Clock::time_point::max();  // whole answer by then
    std::atomic<bool> fired{false};                         // cancelled
    std::atomic<bool> expired{false};                       // past the deadline
  };
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  std::list<InFlight*> watched;
  std::thread watcher;
  bool stopping = false;

  explicit Impl(HttpClientOptions o)
      : opts(std::move(o)),
        base(parse_base_url(opts.base_url, opts.base_url_setting.empty()
                                               ? opts.service + " base URL"
                                               : opts.base_url_setting)) {}

  ~Impl() {
    {
      std::lock_guard lock(watch_mu);
      stopping = true;
    }
    watch_cv.notify_all();
    if (watcher.joinable()) watcher.join();
  }

  std::string redact(std::string_view text) const {
    return common::redact_all(std::string(text), opts.secrets, common::SecretMask::kept_ends);
  }

  std::unique_ptr<httplib::Client> acquire() {
    {
      std::lock_guard lock(pool_mu);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<httplib::Client>(base.origin());
    c->set_connection_timeout(opts.connect_timeout);
    if (opts.mode == HttpMode::retrying) {
      c->set_tcp_nodelay(true);
      c->set_keep_alive(true);
      c->set_url_encode(false);  // paths and queries are encoded here
    }
    c->set_follow_location(opts.follow_redirects);
    if (base.scheme == "https") {
      c->enable_server_certificate_verification(opts.verify_tls);
      if (!opts.ca_cert_path.empty()) c->set_ca_cert_path(opts.ca_cert_path);
    }
    return c;
  }

  void release(std::unique_ptr<httplib::Client> c) {
    if (opts.mode == HttpMode::plain) return;  // a connection per request
    std::lock_guard lock(pool_mu);
    if (idle.size() < opts.max_idle_connections) idle.push_back(std::move(c));
  }

  void watch(InFlight* f) {
    std::lock_guard lock(watch_mu);
    watched.push_back(f);
    if (!watcher.joinable()) watcher = std::thread([this] { watch_loop(); });
    watch_cv.notify_all();
  }

  void unwatch(InFlight* f) {
    std::lock_guard lock(watch_mu);
    watched.remove(f);
  }

  void watch_loop() {
    std::unique_lock lock(watch_mu);
    while (!stopping) {
      if (watched.empty()) {
        watch_cv.wait(lock, [&] { return stopping || !watched.empty(); });
        continue;
      }
      const auto now = Clock::now();
      for (InFlight* f : watched) {
        if (f->fired.load() || f->expired.load()) continue;
        if (*f->cancelled && (*f->cancelled)()) {
          f->fired.store(true);
          f->client->stop();  // shuts the socket down; the request fails at once
        } else if (now >= f->deadline) {
          f->expired.store(true);
          f->client->stop();
        }
      }
      watch_cv.wait_for(lock, milliseconds(20));
    }
  }

  // Sleeps `d`, waking early when the request is cancelled. Returns false when cancelled.
  static bool sleep_unless_cancelled(milliseconds d, const std::function<bool()>& cancelled) {
    auto until = Clock::now() + d;
    if (!cancelled) {
      std::this_thread::sleep_for(d);
      return true;
    }
    while (Clock::now() < until) {
      if (cancelled()) return false;
      auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      std::this_thread::sleep_for(std::min(left, milliseconds(10)));
    }
    return !cancelled();
  }

  std::string target(const HttpRequest& r) const {
    std::string t = base.path_prefix + r.path;
    char sep = t.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [k, v] : r.query) {
      t += sep;
      t += encode_query_component(k) + "=" + encode_query_component(v);
      sep = '&';
    }
    return t;
  }

  // What every attempt of one logical request shares.
  struct Prepared {
    std::string method;
    std::string what;  // "GET /runs", for messages
    std::string path;  // the target: prefix, path and encoded query
    httplib::Headers headers;
    std::string body;
    std::string idempotency_key;
    milliseconds timeout{0};
  };
  Prepared prepare(const HttpRequest& request) const;

  // One attempt: the connection it used and what came of it.
  struct Sent {
    std::unique_ptr<httplib::Client> client;
    std::optional<httplib::Result> result;
    milliseconds elapsed{0};
    bool delivered = false;         // on_data got some of a 2xx body
    bool receiver_stopped = false;  // on_data returned false
    bool cancelled = false;         // request.cancelled() ended it
    bool expired = false;           // its whole answer had not come within the timeout
    std::string error_body;         // a non-2xx body, when on_data is set
  };
  void send_once(const HttpRequest& request, const Prepared& p, int attempt, Sent& sent);
  // The answer of a successful send_once (sent.result holds a response).
  HttpResponse response_of(const HttpRequest& request, const Prepared& p, int attempt,
                           Sent& sent) const;

  PlatformError cancelled_error(const std::string& what) const {
    return PlatformError(ErrorKind::cancelled,
                         redact(opts.service + " " + what + ": cancelled by the caller"));
  }
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

const BaseUrl& HttpClient::base_url() const {
  return impl_->base;
}
const HttpClientOptions& HttpClient::options() const {
  return impl_->opts;
}
std::string HttpClient::redact(std::string_view text) const {
  return impl_->redact(text);
}

HttpClient::Impl::Prepared HttpClient::Impl::prepare(const HttpRequest& request) const {
  Prepared p;
  p.method = request.method.empty() ? "GET" : request.method;
  p.what = p.method + " " + request.path;
  p.timeout = request.timeout.value_or(opts.timeout);
  auto set = [&](const std::string& k, const std::string& v) {
    p.headers.erase(k);
    p.headers.emplace(k, v);
  };
  if (opts.mode == HttpMode::retrying) {
    set("User-Agent", std::string("runagents-mcp/") + RUNAGENTS_VERSION);
    set("Accept", "application/json");
  }
  for (const auto& [k, v] : opts.default_headers) set(k, v);
  for (const auto& [k, v] : request.headers) set(k, v);
  const RetryPolicy& policy = opts.retry;
  if (!policy.idempotency_header.empty() && p.method != "GET" && p.method != "HEAD") {
    p.idempotency_key = request.idempotency_key.empty() ? policy.idempotency_prefix + random_uuid()
                                                        : request.idempotency_key;
    set(policy.idempotency_header, p.idempotency_key);
  }
  if (request.json_body) {
    p.body = request.json_body->dump();
    set("Content-Type", "application/json");
  } else if (request.body) {
    p.body = *request.body;
    set("Content-Type",
        request.content_type.empty() ? "application/octet-stream" : request.content_type);
  }
  p.path = target(request);
  return p;
}

void HttpClient::Impl::send_once(const HttpRequest& request, const Prepared& p, int attempt,
                                 Sent& sent) {
  httplib::Request hreq;
  hreq.method = p.method;
  hreq.path = p.path;
  hreq.headers = p.headers;
  if (!opts.retry.retry_count_header.empty()) {
    hreq.headers.erase(opts.retry.retry_count_header);
    hreq.headers.emplace(opts.retry.retry_count_header, std::to_string(attempt));
  }
  hreq.body = p.body;

  int streamed_status = 0;
  if (request.on_data) {
    hreq.response_handler = [&](const httplib::Response& r) {
      streamed_status = r.status;
      return true;
    };
    hreq.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (streamed_status >= 200 && streamed_status < 300) {
        sent.delivered = true;
        if (!request.on_data(std::string_view(data, n))) {
          sent.receiver_stopped = true;
          return false;
        }
        return true;
      }
      sent.error_body.append(data, n);
      return true;
    };
  }

  sent.client = acquire();
  sent.client->set_read_timeout(p.timeout);
  sent.client->set_write_timeout(p.timeout);
  auto started = Clock::now();
  InFlight in_flight{sent.client.get(), &request.cancelled};
  // A whole answer is due within the timeout; a stream (on_data) only may not stall that long.
  if (!request.on_data) in_flight.deadline = started + p.timeout;
  const bool watched_here = request.cancelled || !request.on_data;
  if (watched_here) {
    hreq.progress = [&](uint64_t, uint64_t) {
      return !in_flight.fired.load() && !in_flight.expired.load();
    };
    watch(&in_flight);
  }
  sent.result.emplace(sent.client->send(hreq));
  sent.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  if (watched_here) unwatch(&in_flight);
  sent.expired = in_flight.expired.load() && !*sent.result;
  sent.cancelled = in_flight.fired.load() ||
                   (request.cancelled && sent.result->error() == httplib::Error::Canceled &&
                    !sent.receiver_stopped && !sent.expired);
}

HttpResponse HttpClient::Impl::response_of(const HttpRequest& request, const Prepared& p,
                                           int attempt, Sent& sent) const {
  httplib::Result& result = *sent.result;
  HttpResponse response;
  response.status = result->status;
  for (const auto& [k, v] : result->headers) response.headers.emplace(k, v);
  response.body = request.on_data ? std::move(sent.error_body) : std::move(result->body);
  response.attempts = attempt + 1;
  response.idempotency_key = p.idempotency_key;
  response.service = opts.service;
  response.what = p.what;
  spdlog::debug("{} {} -> {} in {} ms (attempt {})", opts.service, redact(p.what), response.status,
                sent.elapsed.count(), attempt + 1);
  return response;
}

HttpAttempt HttpClient::attempt(const HttpRequest& request) const {
  Impl& im = *impl_;
  const Impl::Prepared p = im.prepare(request);
  Impl::Sent sent;
  im.send_once(request, p, 0, sent);
  if (sent.cancelled) return {std::nullopt, httplib::to_string(httplib::Error::Canceled)};
  if (sent.expired)
    return {std::nullopt, "no whole answer within " + std::to_string(p.timeout.count()) + " ms"};
  if (!*sent.result) return {std::nullopt, httplib::to_string(sent.result->error())};
  HttpAttempt out{im.response_of(request, p, 0, sent), ""};
  im.release(std::move(sent.client));
  return out;
}

HttpAttempt attempt_plain(HttpClientOptions options, const HttpRequest& request) {
  options.mode = HttpMode::plain;
  std::optional<HttpClient> client;
  try {
    client.emplace(std::move(options));
  } catch (const PlatformError& e) {
    return {std::nullopt, e.what()};
  }
  return client->attempt(request);
}

HttpResponse HttpClient::execute(const HttpRequest& request) const {
  Impl& im = *impl_;
  const RetryPolicy& policy = im.opts.retry;
  // Headers, body and the idempotency key are fixed here, once per logical request.
  const Impl::Prepared p = im.prepare(request);
  const std::string& method = p.method;
  const std::string& what = p.what;
  const int max_retries = im.opts.mode == HttpMode::plain
                              ? 0
                              : std::max(0, request.max_retries.value_or(policy.max_retries));
  const milliseconds timeout = p.timeout;

  for (int attempt = 0;; ++attempt) {
    if (request.cancelled && request.cancelled()) throw im.cancelled_error(what);
    Impl::Sent sent;
    im.send_once(request, p, attempt, sent);
    httplib::Result& result = *sent.result;
    const int retries_left = max_retries - attempt;

    if (sent.cancelled) throw im.cancelled_error(what);

    if (!result) {
      if (sent.receiver_stopped) {
        throw PlatformError(
            ErrorKind::cancelled,
            im.redact(im.opts.service + " " + what + ": the reader stopped the response stream"));
      }
      const httplib::Error err = result.error();
      const bool timed_out = err == httplib::Error::ConnectionTimeout || sent.expired ||
                             ((err == httplib::Error::Read || err == httplib::Error::Write) &&
                              sent.elapsed >= timeout - milliseconds(50));
      std::string reason =
          timed_out ? (err == httplib::Error::ConnectionTimeout
                           ? "connecting timed out after " +
                                 std::to_string(im.opts.connect_timeout.count()) + " ms"
                           : "no answer within " + std::to_string(timeout.count()) + " ms")
                    : httplib::to_string(err);
      if (policy.transport_errors && policy.method_retries(method) && retries_left > 0 &&
          !sent.delivered) {
        milliseconds wait = policy.backoff(attempt, nullptr, random01());
        spdlog::info("{}",
                     im.redact(im.opts.service + " " + what + ": " + reason + "; retry " +
                               std::to_string(attempt + 1) + "/" + std::to_string(max_retries) +
                               " in " + std::to_string(wait.count()) + " ms"));
        if (!Impl::sleep_unless_cancelled(wait, request.cancelled)) throw im.cancelled_error(what);
        continue;
      }
      std::string attempts =
          attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : "";
      if (timed_out) {
        throw PlatformError(
            ErrorKind::timeout,
            im.redact(im.opts.service + " " + what + ": " + reason + attempts + " from " +
                      im.base.to_string() + "; the service may be overloaded, try again"));
      }
      std::string setting =
          im.opts.base_url_setting.empty() ? "" : " (check " + im.opts.base_url_setting + ")";
      throw PlatformError(
          ErrorKind::unavailable,
          im.redact(im.opts.service + " " + what + ": " + reason + attempts +
                    "; is the service reachable at " + im.base.to_string() + "?" + setting));
    }

    HttpResponse response = im.response_of(request, p, attempt, sent);

    if (response.status >= 200 && response.status < 400) {
      im.release(std::move(sent.client));
      return response;
    }
    if (retries_left > 0 && !sent.delivered &&
        policy.should_retry(method, response.status, response.headers)) {
      im.release(std::move(sent.client));
      milliseconds wait = policy.backoff(attempt, &response.headers, random01());
      spdlog::info("{}", im.redact(im.opts.service + " " + what + " answered HTTP " +
                                   std::to_string(response.status) + "; retry " +
                                   std::to_string(attempt + 1) + "/" + std::to_string(max_retries) +
                                   " in " + std::to_string(wait.count()) + " ms"));
      if (!Impl::sleep_unless_cancelled(wait, request.cancelled)) throw im.cancelled_error(what);
      continue;
    }
    im.release(std::move(sent.client));
    return response;
  }
}

HttpResponse HttpClient::send(const HttpRequest& request) const {
  HttpResponse response = execute(request);
  if (response.status < 400) return response;
  const Impl& im = *impl_;
  throw remote_error(response, im.opts.service, im.opts.auth_hint,
                     [&im](std::string_view text) { return im.redact(text); });
}

}  // namespace runagents::platform
