// The one place that cuts text to a size: a head, a tail, or both with the middle dropped, and
// a marker where the cut is. Every cut lands on a UTF-8 sequence boundary, so a cut never makes
// valid text invalid. Callers choose the sizes and the marker; the cuts work on a piece of a
// longer text too (a captured head or tail), since a boundary is judged from the bytes kept.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runagents::common {

// The first `max` bytes of `text` (all of it when shorter), less a UTF-8 sequence its end would
// cut in two.
std::string_view utf8_head(std::string_view text, std::size_t max);
// The last `max` bytes of `text` (all of it when shorter), less the continuation bytes (at most
// three) of a sequence its start would cut in two.
std::string_view utf8_tail(std::string_view text, std::size_t max);

// In each marker below, "{n}" (its first occurrence) stands for the number of bytes cut out.

// `text` itself when it has at most `max` bytes; else utf8_head(text, max) then `marker`.
std::string clip_head(std::string_view text, std::size_t max, std::string_view marker);
// `text` itself when it has at most `max` bytes; else `marker` then utf8_tail(text, max).
std::string clip_tail(std::string_view text, std::size_t max, std::string_view marker);
// `text` itself when it has at most `head + tail` bytes; else utf8_head(text, head), `marker`,
// utf8_tail(text, tail).
std::string clip_middle(std::string_view text, std::size_t head, std::size_t tail,
                        std::string_view marker);

// `marker` with its first "{n}" replaced by `cut` (unchanged when it has none).
std::string cut_marker(std::string_view marker, std::size_t cut);

}  // namespace runagents::common
