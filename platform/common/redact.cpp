#include "platform/common/redact.hpp"

#include <algorithm>
#include <array>

namespace runagents::common {

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

std::string redact_all(std::string text, const std::vector<std::string>& secrets, SecretMask mask) {
  const std::size_t shortest = mask == SecretMask::kept_ends ? 4 : 1;
  std::vector<std::string_view> ordered;
  for (const auto& s : secrets)
    if (s.size() >= shortest) ordered.push_back(s);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  for (std::string_view secret : ordered) {
    const std::string masked =
        mask == SecretMask::kept_ends ? redact_secret(secret) : std::string("[REDACTED]");
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + masked.size()))
      text.replace(pos, secret.size(), masked);
  }
  return text;
}

std::string redact_in(std::string text, std::string_view secret) {
  return redact_all(std::move(text), {std::string(secret)}, SecretMask::kept_ends);
}

std::string redact_secrets(std::string text, const std::vector<std::string>& secrets) {
  return redact_all(std::move(text), secrets, SecretMask::redacted);
}

}  // namespace runagents::common
