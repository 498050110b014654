#include "platform/local/store/timestamps.hpp"

#include <cstdio>
#include <ctime>

#include "platform/common/timestamps.hpp"

namespace runagents::platform::local {

std::string format_timestamp(SystemClock::time_point t) {
  return common::format_timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

std::string now_timestamp() {
  return format_timestamp(SystemClock::now());
}

std::optional<SystemClock::time_point> parse_timestamp(std::string_view text) {
  std::tm tm{};
  int ms = 0;
  std::string s(text);
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return std::nullopt;
  std::string rest = s.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {
    std::size_t i = 1;
    int digits = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (rest[i] - '0');
      ++digits;
      ++i;
    }
    for (int d = digits; d < 3; ++d) ms *= 10;
    rest = rest.substr(i);
  }
  if (rest != "Z") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t secs = ::timegm(&tm);
  return SystemClock::from_time_t(secs) + std::chrono::milliseconds(ms);
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long long total = 0;
  std::size_t i = 0;
  int last_unit = 0;  // h=3, m=2, s=1: units must appear in this order, each once
  while (i < text.size()) {
    long long n = 0;
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > 10'000'000) return std::nullopt;
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    int unit = text[i] == 'h' ? 3 : text[i] == 'm' ? 2 : text[i] == 's' ? 1 : 0;
    if (unit == 0 || (last_unit != 0 && unit >= last_unit)) return std::nullopt;
    last_unit = unit;
    total += n * (unit == 3 ? 3600 : unit == 2 ? 60 : 1);
    ++i;
  }
  if (total <= 0) return std::nullopt;
  return std::chrono::seconds(total);
}

}  // namespace runagents::platform::local
