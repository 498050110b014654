#include "platform/http/http_client.hpp"

#include <httplib.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <ctime>
#include <list>
#include <mutex>
#include <random>
#include <thread>

#include "platform/common/percent_encoding.hpp"
#include "platform/common/clip.hpp"
#include "platform/common/redact.hpp"

namespace runagents::platform {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

double random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string truncate_text(std::string s, size_t max) {
  return common::clip_head(s, max, "...");
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

// ---------------------------------------------------------------------------------------------
// URLs

std::string BaseUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

std::string BaseUrl::to_string() const {
  return origin() + path_prefix;
}

BaseUrl parse_base_url(const std::string& url, std::string_view setting) {
  auto fail = [&](const std::string& why) -> PlatformError {
    return PlatformError(ErrorKind::invalid, std::string(setting) + " '" + url + "' " + why +
                                                 "; expected http(s)://host[:port][/path], e.g. "
                                                 "http://127.0.0.1:8092");
  };
  BaseUrl out;
  auto sep = url.find("://");
  if (sep == std::string::npos) throw fail("has no scheme");
  out.scheme = lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    throw fail("uses the scheme '" + out.scheme + "'");
  }
  std::string rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string::npos) throw fail("has a query or fragment");
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    throw fail("carries credentials; configure the API key separately");
  }
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw fail("has an unclosed IPv6 literal");
    out.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw fail("has junk after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw fail("has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      throw fail("has an invalid port '" + port_text + "'");
    }
    out.port = port;
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  out.path_prefix = path;
  return out;
}

std::string encode_path_segment(std::string_view segment) {
  return common::percent_encode(segment);
}
std::string encode_query_component(std::string_view component) {
  return common::percent_encode(component);
}

std::string random_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    for (auto& c : b) c = static_cast<unsigned char>(random01() * 256);
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Retry policy

RetryPolicy RetryPolicy::runagents() {
  RetryPolicy p;
  p.methods = Methods::get_only;
  p.statuses = {429};
  p.server_errors = true;
  p.honour_should_retry_header = false;
  p.transport_errors = true;
  p.max_retries = 2;
  return p;
}

RetryPolicy RetryPolicy::runloop() {
  RetryPolicy p;
  p.methods = Methods::all;
  p.statuses = {408, 409, 429};
  p.server_errors = true;
  p.honour_should_retry_header = true;
  p.transport_errors = true;
  p.max_retries = 5;
  p.idempotency_header = "x-request-id";
  p.idempotency_prefix = "runagents-mcp-retry-";
  p.retry_count_header = "x-stainless-retry-count";
  return p;
}

bool RetryPolicy::method_retries(std::string_view method) const {
  if (methods == Methods::all) return true;
  return method == "GET" || method == "HEAD";
}

bool RetryPolicy::should_retry(std::string_view method, int status,
                               const HeaderMap& headers) const {
  if (honour_should_retry_header) {
    auto it = headers.find("x-should-retry");
    if (it != headers.end()) {
      std::string v = lower(trim(it->second));
      if (v == "true") return true;
      if (v == "false") return false;
    }
  }
  if (!method_retries(method)) return false;
  if (server_errors && status >= 500) return true;
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

std::optional<milliseconds> retry_after(const HeaderMap& headers,
                                        std::chrono::system_clock::time_point now) {
  auto parse_number = [](const std::string& text) -> std::optional<double> {
    std::string t = trim(text);
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  if (auto it = headers.find("retry-after-ms"); it != headers.end()) {
    if (auto v = parse_number(it->second)) return milliseconds(static_cast<long long>(*v));
  }
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  if (auto v = parse_number(it->second)) {
    return milliseconds(static_cast<long long>(*v * 1000.0));
  }
  // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT" (IMF-fixdate, the form servers send).
  std::tm tm{};
  std::string text = trim(it->second);
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  std::time_t when = ::timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::from_time_t(when) -
                                                  now);
}

milliseconds RetryPolicy::backoff(int retry, const HeaderMap* headers, double r,
                                  std::chrono::system_clock::time_point now) const {
  if (headers != nullptr) {
    if (auto wait = retry_after(*headers, now);
        wait && *wait > milliseconds(0) && *wait <= max_retry_after) {
      return *wait;
    }
  }
  double base = static_cast<double>(initial_backoff.count()) *
                std::pow(2.0, std::min(std::max(retry, 0), 1000));
  double sleep = std::min(base, static_cast<double>(max_backoff.count()));
  double jitter = 1.0 - 0.25 * r;
  return milliseconds(static_cast<long long>(sleep * jitter));
}

// ---------------------------------------------------------------------------------------------
// Errors

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
                            " with a body that is not JSON: " + truncate_text(body, 200),
                        status);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// The client

struct HttpClient::Impl {
  HttpClientOptions opts;
  BaseUrl base;

  std::mutex pool_mu;
  std::vector<std::unique_ptr<httplib::Client>> idle;

  // In-flight requests with a cancellation hook, polled by the watcher thread.
  struct InFlight {
    httplib::Client* client;
    const std::function<bool()>* cancelled;
    std::atomic<bool> fired{false};
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
    return redact_all(std::string(text), opts.secrets, SecretMask::kept_ends);
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
      for (InFlight* f : watched) {
        if (!f->fired.load() && (*f->cancelled)()) {
          f->fired.store(true);
          f->client->stop();  // shuts the socket down; the request fails at once
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
  InFlight in_flight{sent.client.get(), &request.cancelled};
  if (request.cancelled) {
    hreq.progress = [&](uint64_t, uint64_t) { return !in_flight.fired.load(); };
    watch(&in_flight);
  }
  auto started = Clock::now();
  sent.result.emplace(sent.client->send(hreq));
  sent.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  if (request.cancelled) unwatch(&in_flight);
  sent.cancelled = in_flight.fired.load() ||
                   (request.cancelled && sent.result->error() == httplib::Error::Canceled &&
                    !sent.receiver_stopped);
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
      const bool timed_out = err == httplib::Error::ConnectionTimeout ||
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
  const int status = response.status;
  ErrorKind kind = error_kind_for_status(status);
  std::string detail = im.redact(error_detail(response.body));
  std::string message = im.opts.service + " " + response.what + ": HTTP " + std::to_string(status) +
                        (detail.empty() ? "" : ": " + detail);
  if (response.attempts > 1) {
    message += " (after " + std::to_string(response.attempts) + " attempts)";
  }
  if ((status == 401 || status == 403) && !im.opts.auth_hint.empty()) {
    message += "; " + im.opts.auth_hint;
  } else if (status == 429) {
    message += "; the service is rate limiting requests, try again later";
  } else if (status >= 500) {
    message += "; the service failed, try again later";
  }
  json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded()) body = nullptr;
  throw RemoteError(kind, im.redact(message), status, std::move(detail), std::move(body));
}

}  // namespace runagents::platform
