// The 2026-07-28 envelope, parsed once per distinct text.
//
// A modern client repeats one params._meta (protocol version, client capabilities, client info)
// byte for byte on every request, and parsing it is most of what a modern request costs beyond a
// legacy one. parse_message finds that object's text (find_params_meta), and when the same text
// was parsed before it parses only the rest of the message and puts in a copy of the earlier
// value. The result is exactly what parsing the whole message gives: the span is used only when
// the message is an object with exactly one "params" member whose value is an object with exactly
// one "_meta" member, whose value is an object, and no key on the way contains an escape (so no
// other spelling of the same key can hide a duplicate).
//
// Thread-safe; holds a few recent envelopes, each at most kMaxText bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

struct TextSpan {
  size_t begin = 0;  // the opening brace
  size_t end = 0;    // one past the closing brace
};

struct MessageScan {
  size_t depth = 0;              // the deepest nesting of objects and arrays outside strings
  std::optional<TextSpan> meta;  // params._meta's object value, under the conditions above
};

// One pass over a message's text. Stops as soon as the depth passes `stop_above` (meta unset).
MessageScan scan_message(std::string_view text, size_t stop_above);
// scan_message's span alone.
std::optional<TextSpan> find_params_meta(std::string_view text);

class EnvelopeCache {
 public:
  static constexpr size_t kMaxText = 4096;
  static constexpr size_t kEntries = 8;

  // The value parsed earlier from exactly `text`, or nullptr.
  std::shared_ptr<const json> find(std::string_view text) const;
  // Remembers `value` as the parse of `text` (dropping the oldest entry when full).
  void remember(std::string_view text, const json& value);

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const json> value;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // newest last
};

}  // namespace runagents::mcp
