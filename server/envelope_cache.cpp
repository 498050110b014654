#include "server/envelope_cache.hpp"

#include <algorithm>

namespace runagents::mcp {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skip_space(std::string_view text, size_t i) {
  while (i < text.size() && is_space(text[i])) ++i;
  return i;
}

}  // namespace

MessageScan scan_message(std::string_view text, size_t stop_above) {
  MessageScan scan;
  size_t i = skip_space(text, 0);
  bool possible = i < text.size() && text[i] == '{';  // params._meta can still be used
  size_t depth = 0;
  int params_seen = 0, meta_seen = 0;
  size_t params_depth = 0;  // nonzero while inside the params object (its depth)
  size_t meta_depth = 0;    // nonzero while inside the _meta object
  bool next_is_params = false, next_is_meta = false;
  TextSpan span;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      // A string: a key when a colon follows it.
      size_t start = i + 1, k = start;
      bool escaped = false;
      for (; k < text.size() && text[k] != '"'; ++k) {
        if (text[k] == '\\') {
          escaped = true;
          ++k;
        }
      }
      if (k >= text.size()) return scan;  // unterminated: not JSON, no span
      if (!possible) {
        i = k;
        continue;
      }
      size_t after = skip_space(text, k + 1);
      const bool key = after < text.size() && text[after] == ':';
      if (key && (depth == 1 || (params_depth && depth == 2))) {
        std::string_view name = text.substr(start, k - start);
        if (escaped) {
          possible = false;  // "\u0070arams" would be "params" to the parser
        } else if (depth == 1 && name == "params") {
          ++params_seen;
          next_is_params = true;
        } else if (depth == 2 && name == "_meta") {
          ++meta_seen;
          next_is_meta = true;
        }
      }
      i = key ? after : k;  // past the colon, or the closing quote
      if (key && (next_is_params || next_is_meta)) {
        size_t v = skip_space(text, i + 1);
        if (v >= text.size() || text[v] != '{') possible = false;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (++depth > scan.depth) {
        scan.depth = depth;
        if (scan.depth > stop_above) return scan;
      }
      if (next_is_params && c == '{') params_depth = depth;
      if (next_is_meta && c == '{') {
        meta_depth = depth;
        span.begin = i;
      }
      next_is_params = next_is_meta = false;
    } else if (c == '}' || c == ']') {
      if (meta_depth && depth == meta_depth) {
        span.end = i + 1;
        meta_depth = 0;
      }
      if (params_depth && depth == params_depth) params_depth = 0;
      if (depth == 0) {
        possible = false;
        continue;
      }
      --depth;
    } else if (!is_space(c)) {
      next_is_params = next_is_meta = false;  // a scalar value
    }
  }
  if (possible && depth == 0 && params_seen == 1 && meta_seen == 1 && span.end != 0)
    scan.meta = span;
  return scan;
}

std::optional<TextSpan> find_params_meta(std::string_view text) {
  return scan_message(text, static_cast<size_t>(-1)).meta;
}

std::shared_ptr<const json> EnvelopeCache::find(std::string_view text) const {
  if (text.size() > kMaxText) return nullptr;
  std::lock_guard lock(mu_);
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->text == text) return it->value;
  }
  return nullptr;
}

void EnvelopeCache::remember(std::string_view text, const json& value) {
  if (text.size() > kMaxText) return;
  auto parsed = std::make_shared<const json>(value);
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e.text == text) return;
  }
  if (entries_.size() >= kEntries) entries_.erase(entries_.begin());
  entries_.push_back({std::string(text), std::move(parsed)});
}

}  // namespace runagents::mcp
