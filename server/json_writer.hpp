// The compact JSON writer behind serialize(): the same bytes as nlohmann's
// dump(-1, ' ', false, error_handler_t::replace), written faster.
//
// Every message the server sends goes through it, and nlohmann's serializer runs each string
// byte through its UTF-8 decoder state machine. This writer copies runs of bytes that need no
// escape in one append, escapes the seven short forms and the other control characters itself,
// and checks multi-byte sequences with common::utf8_sequence. A string holding invalid UTF-8, a
// floating-point number, a binary or a discarded value is handed to nlohmann for that one value,
// so the output stays byte for byte what nlohmann writes (tests/unit/json_writer_test.cpp and the
// jsonrpc fuzz target compare the two). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace runagents::mcp {

// Appends the compact serialization of `value` to `out`.
void write_json(std::string& out, const nlohmann::json& value);

}  // namespace runagents::mcp
