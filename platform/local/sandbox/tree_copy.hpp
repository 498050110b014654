// Exact copies of a directory tree: how a devbox home becomes a snapshot, and a snapshot the home
// of a new devbox. Internal to platform/local.
//
// What is copied, and how:
//   - directories, with their modes and times;
//   - regular files, byte for byte, with their modes and times;
//   - symlinks as links: the target bytes are copied unchanged and never resolved, whether they
//     are relative, absolute, dangling, point at `/` or form a loop;
//   - hard links stay hard links when every name of the file is inside the tree;
//   - sockets, fifos and device nodes are not copied: their paths are returned in `skipped`.
// Ownership is kept when the server runs as root (files of the sandbox's user stay theirs); else
// everything belongs to the server's user, as it already did.
//
// Safety: the source may be a running devbox's home that changes while it is copied, and
// neither tree may lead the copy anywhere else. Every path is built from the names the walk reads
// (openat/fdopendir relative to the directory being walked, never a resolved path), nothing is
// opened through a symlink (O_NOFOLLOW), and every new entry is created beside its parent's
// descriptor with O_EXCL (mkdirat/symlinkat/linkat), so no byte is read from outside the source
// or written outside the destination. An entry that changes type while it is copied is skipped
// and listed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace runagents::platform::local {

struct TreeCopy {
  std::int64_t bytes = 0;            // bytes of regular files (each hard-linked file once)
  std::vector<std::string> skipped;  // paths relative to the tree, not copied (see above)
};

// Copies the tree at `from` into `to`. `to` must not exist; its parent is created if needed.
// Throws PlatformError: not_found when `from` is not a directory (a symlink to one is refused),
// conflict when `to` exists, unavailable when the copy fails (the message names the entry and
// the reason, e.g. a full disk). On failure what was copied is removed.
TreeCopy copy_tree_exact(const std::filesystem::path& from, const std::filesystem::path& to);

// Copies only the entries `paths` (relative to `from`, '/'-separated) of the tree at `from` into
// `to`, as copy_tree_exact copies each (files with their modes and times, symlinks as links), and
// creates the directories that lead to them (mode 0755). `to` must not exist, as above. A listed
// path that is missing, is a directory (a nested repository), passes through a symlink or holds a
// `..` or `.git` component is not copied: it is listed in `skipped` (a missing one is left out
// silently). Nothing else of `from` is read. When the server runs as root, every entry belongs to
// the owner of `to`'s parent (a home's user), not to the owner of `from`. Throws as
// copy_tree_exact.
TreeCopy copy_listed_files(const std::filesystem::path& from, const std::filesystem::path& to,
                           const std::vector<std::string>& paths);

}  // namespace runagents::platform::local
