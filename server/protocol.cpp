#include "server/protocol.hpp"

namespace runagents::mcp {

namespace {
constexpr std::array<const char*, 8> kLevelNames = {"debug", "info",     "notice", "warning",
                                                    "error", "critical", "alert",  "emergency"};
}

bool is_supported_version(std::string_view version) {
  for (auto v : kSupportedVersions) {
    if (v == version) return true;
  }
  return false;
}

bool is_modern_version(std::string_view version) {
  for (auto v : kModernVersions) {
    if (v == version) return true;
  }
  return false;
}

std::string negotiate_version(std::string_view requested) {
  return std::string(is_supported_version(requested) ? requested : kLatestVersion);
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

const char* to_string(LogLevel level) {
  return kLevelNames[static_cast<size_t>(level)];
}

}  // namespace runagents::mcp
