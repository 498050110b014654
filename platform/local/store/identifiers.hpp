// Identifiers and content hashes the local platform hands out.
#pragma once

#include <string>
#include <string_view>

namespace runagents::platform::local {

// A random UUID v4 ("3f1c...-...."), from the OS's random source.
std::string new_uuid();
// `prefix` + 12 random hex digits, e.g. new_id("req-") -> "req-a1b2c3d4e5f6".
std::string new_id(std::string_view prefix);
// SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);

}  // namespace runagents::platform::local
