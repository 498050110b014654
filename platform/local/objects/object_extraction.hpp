// Writing a storage object's content onto the file system: the object mounts of devboxes
// (Runloop's `object_mount {object_id, object_path}`) and anything else that needs an object as
// files.
//
// By content type, as Runloop mounts them:
//   - unspecified, text, binary: the content becomes the file `target`;
//   - tar, tgz: the archive is extracted into the directory `target`;
//   - gzip: decompressed; a tar inside is extracted into the directory `target`, anything else
//     becomes the file `target`.
// Archives are read with libarchive (any tar dialect: ustar, pax, GNU; gzip, bzip2, xz, zstd
// compression) and streamed: no archive or entry is held whole in memory.
//
// Safety: nothing is ever written outside `target`. An entry with an absolute path or a `..`
// component, or one whose path goes through a symlink or a file the archive made, fails the
// extraction. Symlinks are created as links, whatever they point at, and never followed while
// writing (every directory is opened with O_NOFOLLOW relative to the one before; files are
// created with O_EXCL | O_NOFOLLOW). Hard links must name a regular file extracted before them.
// Devices, FIFOs and sockets are skipped. Permission bits are kept without setuid, setgid and
// sticky; owners are not (files belong to the caller).
//
// All or nothing: the content is written next to `target` under a hidden name and renamed into
// place only when all of it was written; on failure nothing is left behind. `target` must not
// exist, or be an empty directory (archives) or a regular file (replaced; not archives). Its
// parent directories are created. `target` itself is trusted: a caller that confines paths (a
// devbox home) resolves it first.
//
// Errors: PlatformError invalid (naming the entry) for a refused entry, a damaged archive or one
// past the limits; conflict when `target` is in the way; conflict or not_found from
// ObjectService::open; unavailable when the disk refuses.
//
// Thread-safety: the functions keep no state and never change the working directory; concurrent
// calls with different targets are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "platform/objects.hpp"

namespace runagents::platform::local {

struct ExtractLimits {
  std::uint64_t max_bytes = 16ull << 30;  // bytes written, over every file (decompression bombs)
  std::size_t max_entries = 1'000'000;
};

struct ExtractResult {
  bool archive = false;  // extracted into a directory (else written as one file)
  std::size_t files = 0, directories = 0, symlinks = 0, hardlinks = 0, skipped = 0;
  std::uint64_t bytes = 0;
};

// Writes object `id` (READ_ONLY) at `target` as above.
ExtractResult extract_object_into(const std::filesystem::path& target, ObjectService& objects,
                                  const std::string& id, const ExtractLimits& limits = {});

// The same for content already open, of `content_type` (one of kObjectContentTypes).
ExtractResult write_object_content(const std::filesystem::path& target, ObjectReader& content,
                                   const std::string& content_type,
                                   const ExtractLimits& limits = {});

}  // namespace runagents::platform::local
