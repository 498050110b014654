#include "platform/http/retry_policy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <random>

#include "platform/common/random_hex.hpp"
#include "platform/http/text.hpp"

namespace runagents::platform {

using http_text::lower;
using http_text::trim;
using std::chrono::milliseconds;

double random01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string random_uuid() {
  unsigned char b[16];
  if (!common::random_bytes(b, sizeof b)) {
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

}  // namespace runagents::platform
