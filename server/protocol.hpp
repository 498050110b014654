// MCP protocol constants: supported versions, negotiation, RFC 5424 log levels.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace runagents::mcp {

// Newest first. 2025-11-25 is what we answer when a client asks for a version we do not speak.
inline constexpr std::array<std::string_view, 4> kSupportedVersions = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};
inline constexpr std::string_view kLatestVersion = kSupportedVersions[0];

bool is_supported_version(std::string_view version);

// The version to answer an initialize that requested `requested`: echo it when supported,
// otherwise the latest we support (the client then decides whether to continue).
std::string negotiate_version(std::string_view requested);

// RFC 5424 severities in increasing order, as MCP's logging/setLevel names them.
enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency };

std::optional<LogLevel> parse_log_level(std::string_view name);
const char* to_string(LogLevel level);

}  // namespace runagents::mcp
