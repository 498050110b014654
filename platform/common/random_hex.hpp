// The one way the tree takes random bytes (for keys, ids and tokens) and makes a random id or
// token as text: bytes from the kernel's random source (getrandom(2)), as lowercase hex for the
// text, two characters a byte. Thread-safe.
//
// Why not OpenSSL's RAND_bytes: its first call sets up OpenSSL 3's providers and DRBG, about 2 MB
// of resident memory, in every process, while most never need OpenSSL for anything else (it is
// used for TLS to remote services and for HMAC of 2026-07-28 request state, when those happen).
#pragma once

#include <cstddef>
#include <string>

namespace runagents::common {

// Fills `out` with `n` bytes from the kernel's random source; false only if that fails (a kernel
// without getrandom, a seccomp filter refusing it).
bool random_bytes(void* out, std::size_t n);

// Never fails: when the OS source fails, std::random_device fills in. For ids that must always be
// made (query ids, upload tokens, the RuntimeUse source id, a shell's command markers).
std::string random_hex(std::size_t bytes);

// Throws std::runtime_error(`failure`) when the OS source fails: for ids whose strength matters
// more than their being made (task ids, HTTP session ids).
std::string strict_random_hex(std::size_t bytes, const char* failure);

}  // namespace runagents::common
