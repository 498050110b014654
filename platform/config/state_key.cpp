#include "platform/config/state_key.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>

#include "platform/common/random_hex.hpp"

namespace runagents::platform {

namespace fs = std::filesystem;

namespace {

std::string read_key(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n >= 32 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string load_state_key(const fs::path& data_dir) {
  if (const char* env = std::getenv("RUNAGENTS_MCP_STATE_KEY"); env && *env) {
    if (std::string(env).size() < 32) {
      spdlog::warn("RUNAGENTS_MCP_STATE_KEY is shorter than 32 characters; ignoring it");
    } else {
      return env;
    }
  }
  const fs::path file = data_dir / "mcp-state.key";
  if (std::string key = read_key(file); !key.empty()) return key;
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  unsigned char bytes[32];
  if (!common::random_bytes(bytes, sizeof bytes)) return {};
  // O_EXCL: when two replicas start at once, one creates the key and the other reads it.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    bool ok = ::write(fd, bytes, sizeof bytes) == static_cast<ssize_t>(sizeof bytes);
    ::fsync(fd);
    ::close(fd);
    if (ok) return std::string(reinterpret_cast<char*>(bytes), sizeof bytes);
  }
  if (std::string key = read_key(file); !key.empty()) return key;
  spdlog::warn(
      "cannot keep an MCP state key in {}; using one for this process only "
      "(replicas will not accept each other's requestState)",
      data_dir.string());
  return {};
}

}  // namespace runagents::platform
