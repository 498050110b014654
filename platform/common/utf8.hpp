// What a whole UTF-8 sequence is, for every layer: the JSON-RPC parser (server/json_rpc.cpp),
// the Runloop wire shapes and every place that puts command output, files or cut text into JSON.
// nlohmann/json refuses to serialise invalid UTF-8, so "valid" here is what it accepts. Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace runagents::common {

// Length (1 to 4) of the valid UTF-8 sequence at text[i], or 0 when the bytes there are not one
// (a stray continuation byte, a sequence cut short, overlong forms, UTF-16 surrogates and code
// points past U+10FFFF included). `i` must be < text.size().
std::size_t utf8_sequence(std::string_view text, std::size_t i);

// Whether every byte of `bytes` belongs to a valid sequence.
bool is_valid_utf8(std::string_view bytes);

// `bytes` with every byte that does not start a valid sequence replaced by U+FFFD, so it can go
// into JSON (command output and files may hold any bytes).
std::string to_valid_utf8(std::string_view bytes);

}  // namespace runagents::common
