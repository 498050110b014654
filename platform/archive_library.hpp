// libarchive, loaded when first needed. Internal to platform/.
//
// Only directory uploads, object mounts and blueprint COPY steps read or write archives, yet
// linking libarchive made every start of the server load it and the nine libraries it pulls in
// (libxml2, ICU, nettle, zstd, lz4, lzma, bz2, acl, z): about 0.6 ms of start-up and 1.5 MB of
// resident memory measured on a server that never touched an archive. So libarchive.so.13 is
// opened with dlopen on the first call of libarchive(), and the functions the tree uses are
// called through it: `libarchive().archive_read_new()`. The declarations (and so the type of
// each pointer) come from libarchive's own headers.
//
// Thread-safety: libarchive() may be called from any thread; it loads once.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace runagents::platform {

// Every libarchive function the tree calls. Add one here before calling it.
#define RUNAGENTS_ARCHIVE_FUNCTIONS(X)      \
  X(archive_entry_filetype)                 \
  X(archive_entry_free)                     \
  X(archive_entry_hardlink)                 \
  X(archive_entry_mtime)                    \
  X(archive_entry_mtime_is_set)             \
  X(archive_entry_mtime_nsec)               \
  X(archive_entry_new)                      \
  X(archive_entry_pathname)                 \
  X(archive_entry_perm)                     \
  X(archive_entry_set_gid)                  \
  X(archive_entry_set_gname)                \
  X(archive_entry_set_pathname)             \
  X(archive_entry_set_uid)                  \
  X(archive_entry_set_uname)                \
  X(archive_entry_sourcepath)               \
  X(archive_entry_symlink)                  \
  X(archive_error_string)                   \
  X(archive_format)                         \
  X(archive_read_data_block)                \
  X(archive_read_disk_descend)              \
  X(archive_read_disk_new)                  \
  X(archive_read_disk_open)                 \
  X(archive_read_disk_set_standard_lookup)  \
  X(archive_read_disk_set_symlink_physical) \
  X(archive_read_free)                      \
  X(archive_read_new)                       \
  X(archive_read_next_header)               \
  X(archive_read_next_header2)              \
  X(archive_read_open)                      \
  X(archive_read_support_filter_all)        \
  X(archive_read_support_format_empty)      \
  X(archive_read_support_format_raw)        \
  X(archive_read_support_format_tar)        \
  X(archive_set_error)                      \
  X(archive_write_add_filter_gzip)          \
  X(archive_write_close)                    \
  X(archive_write_data)                     \
  X(archive_write_free)                     \
  X(archive_write_header)                   \
  X(archive_write_new)                      \
  X(archive_write_open)                     \
  X(archive_write_set_bytes_in_last_block)  \
  X(archive_write_set_format_pax_restricted)

struct ArchiveApi {
#define RUNAGENTS_ARCHIVE_POINTER(name) decltype(&::name) name = nullptr;
  RUNAGENTS_ARCHIVE_FUNCTIONS(RUNAGENTS_ARCHIVE_POINTER)
#undef RUNAGENTS_ARCHIVE_POINTER
};

// libarchive's functions, loading it on the first call. Throws PlatformError(unavailable) naming
// the libarchive13 package when it cannot be loaded or lacks a function; a later call tries again.
const ArchiveApi& libarchive();

}  // namespace runagents::platform
