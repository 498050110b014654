// Files confined to a sandbox's home: resolving a path as the sandbox would, reading and writing
// a file inside the home without ever following a link out of it. Functions of a host directory;
// Sandbox::read_file and write_file call them on the sandbox's home.
//
// Thread-safety: stateless; safe from any thread. Errors are PlatformError.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "platform/error.hpp"

namespace runagents::platform::local {

// Where the home appears inside every sandbox.
inline constexpr std::string_view kSandboxHome = "/home/user";

// A path inside the home, as resolve_in_home found it.
struct HomePath {
  std::string relative;             // "" for the home itself, else "a/b" (no symlinks, no ..)
  std::string sandbox_path;         // "/home/user/a/b"
  std::filesystem::path host_path;  // home / relative
};

// Resolves `user_path` (relative to the home, or absolute under /home/user) as the sandbox would,
// following symlinks in every existing component (absolute link targets are sandbox paths).
// Components that do not exist yet are kept as written. Throws PlatformError: invalid for an
// empty path, a NUL byte or a symlink loop; forbidden when the path, through `..`, an absolute
// path or a symlink, leads outside the home. Does not require the path to exist.
HomePath resolve_in_home(const std::filesystem::path& home, std::string_view user_path);

struct FileContents {
  std::string data;
  std::uint64_t size = 0;  // size of the whole file
};

// Reads up to `length` bytes (all when nullopt) from `offset` of a regular file inside the home.
// Opens each component without following symlinks, so a link swapped in after resolution is
// refused rather than followed. Throws PlatformError: not_found when it does not exist, invalid
// when it is not a regular file or offset is past its end, forbidden as resolve_in_home.
FileContents read_home_file(const std::filesystem::path& home, std::string_view path,
                            std::uint64_t offset = 0,
                            std::optional<std::uint64_t> length = std::nullopt);

struct WriteOptions {
  bool append = false;         // else the file is replaced (truncated)
  bool create_parents = true;  // create missing parent directories (0755)
  unsigned mode = 0644;        // for a new file
  // Owner given to new files and directories (needs root); unset: the caller's ids.
  std::optional<uid_t> owner_uid;
  std::optional<gid_t> owner_gid;
};

// Opens a file inside the home for writing, as write_home_file would (created, or truncated unless
// options.append); returns its descriptor (O_CLOEXEC, O_NONBLOCK), which the caller closes. Later
// changes to the path (a link swapped in) do not affect the open file.
int open_home_file(const std::filesystem::path& home, std::string_view path,
                   const WriteOptions& options = {});

// Writes `data` to a file inside the home. Errors as read_home_file, plus not_found when a parent
// is missing and create_parents is false, invalid when the path is the home or a directory.
void write_home_file(const std::filesystem::path& home, std::string_view path,
                     std::string_view data, const WriteOptions& options = {});

}  // namespace runagents::platform::local
