#include "platform/archive_library.hpp"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <string>

#include "platform/error.hpp"

namespace runagents::platform {

namespace {

constexpr const char* kLibarchiveSoname = "libarchive.so.13";

// Fills `api` from a freshly opened libarchive; an empty string, or what went wrong.
std::string load_libarchive(ArchiveApi& api) {
  void* handle = ::dlopen(kLibarchiveSoname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return why != nullptr ? why : "dlopen failed";
  }
  std::string missing;
#define RUNAGENTS_ARCHIVE_RESOLVE(name)                                   \
  api.name = reinterpret_cast<decltype(&::name)>(::dlsym(handle, #name)); \
  if (api.name == nullptr) missing += std::string(missing.empty() ? "" : ", ") + #name;
  RUNAGENTS_ARCHIVE_FUNCTIONS(RUNAGENTS_ARCHIVE_RESOLVE)
#undef RUNAGENTS_ARCHIVE_RESOLVE
  if (missing.empty()) return {};  // kept open for the life of the process
  ::dlclose(handle);
  api = ArchiveApi{};
  return std::string(kLibarchiveSoname) + " lacks " + missing;
}

}  // namespace

const ArchiveApi& libarchive() {
  static std::mutex mu;
  static ArchiveApi api;
  static std::atomic<bool> loaded{false};
  if (loaded.load(std::memory_order_acquire)) return api;
  std::lock_guard lock(mu);
  if (!loaded.load(std::memory_order_relaxed)) {
    if (std::string why = load_libarchive(api); !why.empty())
      throw PlatformError(ErrorKind::unavailable,
                          "reading and writing archives needs libarchive, which could not be "
                          "loaded (" +
                              why + "): install the libarchive13 package");
    loaded.store(true, std::memory_order_release);
  }
  return api;
}

}  // namespace runagents::platform
