// MCP protocol constants: supported versions of both eras, negotiation, RFC 5424 log levels, and
// the _meta keys of the 2026-07-28 request envelope.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace runagents::mcp {

// The stateful, initialize-based versions ("legacy era"), newest first. 2025-11-25 is what we
// answer when a client's initialize asks for a version we do not speak.
inline constexpr std::array<std::string_view, 4> kSupportedVersions = {"2025-11-25", "2025-06-18",
                                                                       "2025-03-26", "2024-11-05"};
inline constexpr std::string_view kLatestVersion = kSupportedVersions[0];

// The stateless versions ("modern era"): no initialize, _meta on every request.
inline constexpr std::array<std::string_view, 1> kModernVersions = {"2026-07-28"};

// Every version, newest first, as server/discover lists them.
inline constexpr std::array<std::string_view, 5> kAllVersions = {
    "2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"};

bool is_supported_version(std::string_view version);  // legacy era
bool is_modern_version(std::string_view version);

// The version to answer an initialize that requested `requested`: echo it when supported,
// otherwise the latest we support (the client then decides whether to continue).
std::string negotiate_version(std::string_view requested);

// RFC 5424 severities in increasing order, as MCP's logging/setLevel names them.
enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency };

std::optional<LogLevel> parse_log_level(std::string_view name);
const char* to_string(LogLevel level);

// _meta keys of the modern era.
namespace meta_key {
inline constexpr const char* protocol_version = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* client_capabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* client_info = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* server_info = "io.modelcontextprotocol/serverInfo";
inline constexpr const char* log_level = "io.modelcontextprotocol/logLevel";
inline constexpr const char* subscription_id = "io.modelcontextprotocol/subscriptionId";
inline constexpr const char* related_task = "io.modelcontextprotocol/related-task";
}  // namespace meta_key

// The Tasks extension's name in capability maps.
inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

}  // namespace runagents::mcp
