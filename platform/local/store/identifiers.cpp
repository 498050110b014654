#include "platform/local/store/identifiers.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "platform/common/random_hex.hpp"
#include "platform/error.hpp"

namespace runagents::platform::local {

namespace {

template <std::size_t N>
std::array<unsigned char, N> random_bytes() {
  std::array<unsigned char, N> bytes{};
  if (!common::random_bytes(bytes.data(), N))
    throw PlatformError(ErrorKind::internal, "the OS random source failed");
  return bytes;
}

std::string hex(const unsigned char* data, std::size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

std::string new_uuid() {
  auto b = random_bytes<16>();
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string h = hex(b.data(), b.size());
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string new_id(std::string_view prefix) {
  auto b = random_bytes<6>();
  return std::string(prefix) + hex(b.data(), b.size());
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw PlatformError(ErrorKind::internal, "SHA-256 failed");
  return hex(digest, length);
}

}  // namespace runagents::platform::local
