#include "platform/common/clip.hpp"

namespace runagents::common {

namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string_view utf8_head(std::string_view text, std::size_t max) {
  std::string_view head = text.substr(0, max);
  // The last lead byte among the final four says how long its sequence should be.
  for (std::size_t back = 1; back <= 4 && back <= head.size(); ++back) {
    const auto c = static_cast<unsigned char>(head[head.size() - back]);
    if (is_continuation(static_cast<char>(c))) continue;
    const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (need > back) head.remove_suffix(back);
    break;
  }
  return head;
}

std::string_view utf8_tail(std::string_view text, std::size_t max) {
  std::string_view tail = max < text.size() ? text.substr(text.size() - max) : text;
  std::size_t skip = 0;
  while (skip < tail.size() && skip < 3 && is_continuation(tail[skip])) ++skip;
  tail.remove_prefix(skip);
  return tail;
}

std::string cut_marker(std::string_view marker, std::size_t cut) {
  std::string out(marker);
  if (const auto at = out.find("{n}"); at != std::string::npos)
    out.replace(at, 3, std::to_string(cut));
  return out;
}

std::string clip_head(std::string_view text, std::size_t max, std::string_view marker) {
  if (text.size() <= max) return std::string(text);
  const std::string_view head = utf8_head(text, max);
  return std::string(head) + cut_marker(marker, text.size() - head.size());
}

std::string clip_tail(std::string_view text, std::size_t max, std::string_view marker) {
  if (text.size() <= max) return std::string(text);
  const std::string_view tail = utf8_tail(text, max);
  return cut_marker(marker, text.size() - tail.size()) + std::string(tail);
}

std::string clip_middle(std::string_view text, std::size_t head, std::size_t tail,
                        std::string_view marker) {
  if (text.size() <= head + tail) return std::string(text);
  const std::string_view h = utf8_head(text, head);
  const std::string_view t = utf8_tail(text, tail);
  return std::string(h) + cut_marker(marker, text.size() - h.size() - t.size()) + std::string(t);
}

}  // namespace runagents::common
