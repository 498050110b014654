#include "platform/common/random_hex.hpp"

#include <sys/random.h>

#include <cerrno>
#include <random>
#include <stdexcept>
#include <vector>

namespace runagents::common {

namespace {

bool os_random(std::vector<unsigned char>& out) {
  return random_bytes(out.data(), out.size());
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

bool random_bytes(void* out, std::size_t n) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    // Blocks only until the kernel's pool is first seeded at boot; never returns short for
    // requests of 256 bytes or less, and longer ones are looped.
    ssize_t got = ::getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

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
