#include "platform/local/sandbox/sandbox_spec.hpp"

#include <string>

#include "platform/error.hpp"

namespace runagents::platform::local {

namespace {

void check_range(const char* field, std::uint64_t value, std::uint64_t min, std::uint64_t max,
                 const char* unit) {
  if (value < min || value > max)
    throw PlatformError(ErrorKind::invalid, std::string("limits.") + field + " is " +
                                                std::to_string(value) + ": allowed " +
                                                std::to_string(min) + " .. " + std::to_string(max) +
                                                " " + unit);
}

}  // namespace

void ResourceLimits::validate() const {
  check_range("cpu_seconds", cpu_seconds, 1, 86400, "seconds");
  check_range("memory_bytes", memory_bytes, 32ULL << 20, 256ULL << 30, "bytes");
  check_range("max_processes", max_processes, 8, 65536, "processes");
  check_range("file_size_bytes", file_size_bytes, 1ULL << 20, 1ULL << 40, "bytes");
  check_range("open_files", open_files, 16, 1048576, "files");
}

}  // namespace runagents::platform::local
