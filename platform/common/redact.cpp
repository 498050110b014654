#include "platform/common/redact.hpp"

#include <array>

namespace runagents::platform {

std::string redact_secret(std::string_view secret) {
  if (secret.empty()) return {};
  if (secret.size() <= 12) return "…";
  static constexpr std::array<std::string_view, 5> kPrefixes = {"ra_ws_", "ra_", "sk-ant-", "sk-",
                                                                "Bearer "};
  std::string prefix;
  for (auto p : kPrefixes) {
    if (secret.substr(0, p.size()) == p) {
      prefix = p;
      break;
    }
  }
  return prefix + "…" + std::string(secret.substr(secret.size() - 4));
}

std::string redact_in(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  const std::string masked = redact_secret(secret);
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + masked.size()))
    text.replace(pos, secret.size(), masked);
  return text;
}

}  // namespace runagents::platform
