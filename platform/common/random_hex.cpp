#include "platform/common/random_hex.hpp"

#include <openssl/rand.h>

#include <random>
#include <stdexcept>
#include <vector>

namespace runagents::common {

namespace {

bool os_random(std::vector<unsigned char>& out) {
  return RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

std::string to_hex(const std::vector<unsigned char>& raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (!os_random(raw)) {
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  return to_hex(raw);
}

std::string strict_random_hex(std::size_t bytes, const char* failure) {
  std::vector<unsigned char> raw(bytes);
  if (!os_random(raw)) throw std::runtime_error(failure);
  return to_hex(raw);
}

}  // namespace runagents::common
