// Time as the local platform stores and shows it: RFC 3339 UTC with milliseconds
// ("2026-02-23T10:00:00.123Z"), which sorts lexicographically in time order; and Go-style
// durations ("30m", "4h", "1h30m") as approvals use them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace runagents::platform::local {

using SystemClock = std::chrono::system_clock;

// common::format_timestamp_ms (platform/common/timestamps.hpp) of `t`.
std::string format_timestamp(SystemClock::time_point t);
std::string now_timestamp();
// Parses what format_timestamp writes (and the same without milliseconds); nullopt otherwise.
std::optional<SystemClock::time_point> parse_timestamp(std::string_view text);

// "90s", "30m", "4h", "1h30m", "2h45m10s" (units h, m, s; at least one; positive). nullopt for
// anything else.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

}  // namespace runagents::platform::local
