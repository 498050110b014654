// The one way a time is written for people and clients: RFC 3339 (ISO 8601) UTC with
// milliseconds, "2026-02-23T10:00:00.123Z", which sorts lexicographically in time order. The
// local platform stores its times so (platform/local/store/timestamps.hpp) and the MCP tasks
// show theirs so (server/tasks/task_store.hpp). Pure function; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace runagents::common {

// `epoch_ms` milliseconds since 1970-01-01T00:00:00Z (before it too) as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_timestamp_ms(std::int64_t epoch_ms);

}  // namespace runagents::common
