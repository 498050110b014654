// The one way the tree makes a random id or token as text: `bytes` bytes from the OS random
// source (OpenSSL's RAND_bytes) as lowercase hex, two characters a byte. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace runagents::common {

// Never fails: when the OS source fails, std::random_device fills in. For ids that must always be
// made (query ids, upload tokens, the RuntimeUse source id, a shell's command markers).
std::string random_hex(std::size_t bytes);

// Throws std::runtime_error(`failure`) when the OS source fails: for ids whose strength matters
// more than their being made (task ids, HTTP session ids).
std::string strict_random_hex(std::size_t bytes, const char* failure);

}  // namespace runagents::common
