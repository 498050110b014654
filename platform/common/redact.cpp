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

namespace {

constexpr std::size_t kShortestPart = 3;  // a part of a secret shorter than this is not masked

// Masks a leading part of `piece` that is the end of a secret.
void mask_leading_part(std::string& piece, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    for (std::size_t len = std::min(s.size() - 1, piece.size()); len >= kShortestPart && len > 0;
         --len) {
      if (piece.compare(0, len, s, s.size() - len, len) == 0) {
        piece.replace(0, len, "[REDACTED]");
        return;
      }
    }
  }
}

// Masks (or, when `drop`, removes) a trailing part of `piece` that is the start of a secret.
void mask_trailing_part(std::string& piece, const std::vector<std::string>& secrets, bool drop) {
  const std::size_t shortest = drop ? 1 : kShortestPart;
  std::size_t longest = 0;
  for (const auto& s : secrets) {
    for (std::size_t len = std::min(s.size() - 1, piece.size()); len >= shortest && len > longest;
         --len) {
      if (piece.compare(piece.size() - len, len, s, 0, len) == 0) {
        longest = len;
        break;
      }
    }
  }
  if (longest == 0) return;
  piece.erase(piece.size() - longest);
  if (!drop) piece += "[REDACTED]";
}

bool is_omitted_marker(std::string_view line) {
  constexpr std::string_view kOpen = "[... ", kClose = " bytes omitted ...]";
  return line.size() > kOpen.size() + kClose.size() && line.substr(0, kOpen.size()) == kOpen &&
         line.substr(line.size() - kClose.size()) == kClose;
}

}  // namespace

std::string redact_secrets_cut(std::string text, const std::vector<std::string>& secrets,
                               TextCuts cuts) {
  std::vector<std::string> usable;
  for (const auto& s : secrets)
    if (!s.empty()) usable.push_back(s);
  if (usable.empty()) return text;
  text = redact_secrets(std::move(text), usable);
  if (cuts.omitted_markers) {
    // Each marker line cuts the text: the part before it ends inside, the part after begins
    // inside.
    std::string out;
    std::size_t start = 0;
    for (;;) {
      std::size_t marker = std::string::npos, marker_end = 0;
      for (std::size_t pos = text.find("[... ", start); pos != std::string::npos;
           pos = text.find("[... ", pos + 1)) {
        const std::size_t eol = text.find('\n', pos);
        const std::size_t end = eol == std::string::npos ? text.size() : eol;
        if ((pos == 0 || text[pos - 1] == '\n') &&
            is_omitted_marker(std::string_view(text).substr(pos, end - pos))) {
          marker = pos;
          marker_end = end;
          break;
        }
      }
      std::string piece =
          text.substr(start, marker == std::string::npos ? std::string::npos : marker - start);
      TextCuts inner = cuts;
      inner.omitted_markers = false;
      inner.start = start == 0 ? cuts.start : true;
      inner.end = marker == std::string::npos ? cuts.end : true;
      inner.growing = marker == std::string::npos && cuts.growing;
      // The piece before a marker ends with the '\n' the capture put before it, when it did.
      bool newline = false;
      if (marker != std::string::npos && !piece.empty() && piece.back() == '\n') {
        piece.pop_back();
        newline = true;
      }
      out += redact_secrets_cut(std::move(piece), usable, inner);
      if (newline) out += '\n';
      if (marker == std::string::npos) break;
      out.append(text, marker, marker_end - marker);
      start = marker_end;
      if (start < text.size()) out += text[start++];  // the marker line's '\n'
    }
    return out;
  }
  if (cuts.start) mask_leading_part(text, usable);
  if (cuts.end || cuts.growing) mask_trailing_part(text, usable, cuts.growing && !cuts.end);
  return text;
}

}  // namespace runagents::common
