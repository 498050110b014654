// What keeps tool results small enough for every client (Claude Code rejects results over
// 25,000 tokens). A structured result is sent twice (structuredContent and its text copy), so
// lists are cut to a character budget well under half of that, and the result then says what was
// left out and how to read the rest. Text itself is cut by platform/common/clip.
#pragma once

#include <cstddef>
#include <string>

#include "server/json_rpc.hpp"

namespace runagents::tools {

// About 9,000 tokens of JSON.
inline constexpr std::size_t kResultBudgetChars = 36000;

// Keeps the leading elements of the array `items` whose JSON fits in `budget` characters (always
// at least one) and returns how many were dropped.
std::size_t fit_items(mcp::json& items, std::size_t budget = kResultBudgetChars);

// Shortens, in place and recursively, every string longer than `max_chars`, ending each cut
// with "…[N more characters]".
void clip_strings(mcp::json& value, std::size_t max_chars);

}  // namespace runagents::tools
