#include "platform/local/objects/object_extraction.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "platform/archive_library.hpp"
#include "platform/common/random_hex.hpp"
#include "platform/common/unique_fd.hpp"

namespace runagents::platform::local {

namespace fs = std::filesystem;

namespace {

constexpr size_t kExtractChunk = 64 * 1024;

[[noreturn]] void extraction_disk_error(const std::string& what, const std::string& path, int err) {
  throw PlatformError(ErrorKind::unavailable,
                      "cannot " + what + " " + path + ": " + std::strerror(err));
}

[[noreturn]] void refuse_entry(const std::string& entry, const std::string& why) {
  throw PlatformError(ErrorKind::invalid,
                      "archive entry '" + entry + "' " + why + "; nothing was extracted");
}

// libarchive's last error; it has none for some damage (a NULL string).
std::string archive_message(struct archive* a) {
  const char* m = libarchive().archive_error_string(a);
  return m ? m : "damaged or truncated data";
}

// libarchive pulls the content through this, a chunk at a time.
struct ReadSource {
  ObjectReader* reader;
  std::int64_t offset = 0;
  std::vector<char> buf = std::vector<char>(kExtractChunk);
};

la_ssize_t read_source(struct archive* a, void* data, const void** out) {
  auto* s = static_cast<ReadSource*>(data);
  try {
    const size_t n = s->reader->read_at(s->offset, s->buf.data(), s->buf.size());
    s->offset += static_cast<std::int64_t>(n);
    *out = s->buf.data();
    return static_cast<la_ssize_t>(n);
  } catch (const std::exception& e) {
    libarchive().archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
}

struct ArchiveCloser {
  void operator()(struct archive* a) const { libarchive().archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveCloser>;

// The entry's path as components, without "." and empty ones; refuses absolute paths and "..".
// Empty for the archive's root itself ("." or "./").
std::vector<std::string> entry_components(const char* raw) {
  const std::string path = raw ? raw : "";
  if (path.empty()) refuse_entry(path, "has no name");
  if (path[0] == '/') refuse_entry(path, "has an absolute path");
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string c = path.substr(start, end - start);
    if (c == "..") refuse_entry(path, "has a '..' component");
    if (!c.empty() && c != ".") out.push_back(std::move(c));
    start = end + 1;
  }
  return out;
}

// Opens the directory that holds the last component, walking from `root` without following any
// symlink; creates missing directories (0755) when `create`.
UniqueFd open_entry_parent(int root, const std::vector<std::string>& comps,
                           const std::string& entry, bool create) {
  UniqueFd cur(::dup(root));
  if (!cur.ok()) extraction_disk_error("open", "the extraction directory", errno);
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    int fd = ::openat(cur.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), comps[i].c_str(), 0755) != 0 && errno != EEXIST)
        extraction_disk_error("create the directory of", entry, errno);
      fd = ::openat(cur.get(), comps[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        refuse_entry(entry, "goes through a symlink or a file ('" + comps[i] + "')");
      if (errno == ENOENT) refuse_entry(entry, "names a directory the archive does not have");
      extraction_disk_error("open the directory of", entry, errno);
    }
    cur.reset(fd);
  }
  return cur;
}

// Makes room for a non-directory entry: removes what an earlier entry left at `name`, unless it
// is a directory.
void clear_name(int dir, const std::string& name, const std::string& entry) {
  struct stat st {};
  if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISDIR(st.st_mode)) refuse_entry(entry, "would replace a directory");
  if (::unlinkat(dir, name.c_str(), 0) != 0) extraction_disk_error("replace", entry, errno);
}

// Copies the current entry's data (or the whole content, for format raw) into `fd`.
void copy_data(struct archive* a, int fd, const std::string& entry, ExtractResult& r,
               const ExtractLimits& limits) {
  const void* block = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  std::int64_t written = 0;
  for (;;) {
    const int rc = libarchive().archive_read_data_block(a, &block, &size, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      throw PlatformError(ErrorKind::invalid, "cannot read archive entry '" + entry + "': " +
                                                  archive_message(a) + "; nothing was extracted");
    }
    if (r.bytes + size > limits.max_bytes) {
      throw PlatformError(ErrorKind::invalid, "the content expands to more than " +
                                                  std::to_string(limits.max_bytes) +
                                                  " bytes; nothing was extracted");
    }
    // Sparse entries leave holes between blocks.
    if (offset != written && ::lseek(fd, offset, SEEK_SET) < 0)
      extraction_disk_error("seek in", entry, errno);
    const char* p = static_cast<const char*>(block);
    size_t left = size;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) extraction_disk_error("write", entry, n < 0 ? errno : EIO);
      p += n;
      left -= static_cast<size_t>(n);
    }
    written = offset + static_cast<std::int64_t>(size);
    r.bytes += size;
  }
  if (::ftruncate(fd, written) != 0) extraction_disk_error("size", entry, errno);
}

void extract_entry(struct archive* a, struct archive_entry* e, int root, ExtractResult& r,
                   const ExtractLimits& limits) {
  const char* raw = libarchive().archive_entry_pathname(e);
  const std::string entry = raw ? raw : "";
  const std::vector<std::string> comps = entry_components(raw);
  if (comps.empty()) return;  // "./": the target directory itself
  const std::string& name = comps.back();
  const mode_t perm = libarchive().archive_entry_perm(e) & 0777;

  if (const char* link = libarchive().archive_entry_hardlink(e)) {
    const std::string link_entry = link;
    const std::vector<std::string> lcomps = entry_components(link);
    if (lcomps.empty()) refuse_entry(entry, "is a hard link to the archive's root");
    UniqueFd lparent = open_entry_parent(root, lcomps, link_entry, false);
    struct stat st {};
    if (::fstatat(lparent.get(), lcomps.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
      refuse_entry(entry, "is a hard link to '" + link_entry + "', not a file extracted before it");
    UniqueFd parent = open_entry_parent(root, comps, entry, true);
    clear_name(parent.get(), name, entry);
    if (::linkat(lparent.get(), lcomps.back().c_str(), parent.get(), name.c_str(), 0) != 0)
      extraction_disk_error("link", entry, errno);
    r.hardlinks++;
    return;
  }

  switch (libarchive().archive_entry_filetype(e)) {
    case AE_IFDIR: {
      UniqueFd parent = open_entry_parent(root, comps, entry, true);
      if (::mkdirat(parent.get(), name.c_str(), perm | 0700) != 0) {
        struct stat st {};
        if (errno != EEXIST ||
            ::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
          refuse_entry(entry, "is a directory where the archive already put something else");
      } else {
        r.directories++;
      }
      return;
    }
    case AE_IFLNK: {
      const char* target = libarchive().archive_entry_symlink(e);
      if (!target || !*target) refuse_entry(entry, "is a symlink without a target");
      UniqueFd parent = open_entry_parent(root, comps, entry, true);
      clear_name(parent.get(), name, entry);
      if (::symlinkat(target, parent.get(), name.c_str()) != 0)
        extraction_disk_error("create the symlink", entry, errno);
      r.symlinks++;
      return;
    }
    case AE_IFREG: {
      UniqueFd parent = open_entry_parent(root, comps, entry, true);
      clear_name(parent.get(), name, entry);
      UniqueFd fd(::openat(parent.get(), name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd.ok()) extraction_disk_error("create", entry, errno);
      copy_data(a, fd.get(), entry, r, limits);
      if (::fchmod(fd.get(), perm) != 0) extraction_disk_error("set the mode of", entry, errno);
      if (libarchive().archive_entry_mtime_is_set(e)) {
        const timespec t{libarchive().archive_entry_mtime(e),
                         libarchive().archive_entry_mtime_nsec(e)};
        const timespec times[2] = {t, t};
        ::futimens(fd.get(), times);  // best effort: a wrong time is no reason to fail
      }
      r.files++;
      return;
    }
    default:
      r.skipped++;  // devices, FIFOs, sockets
      return;
  }
}

// What is at `target` now: nullopt when nothing.
std::optional<struct stat> lstat_path(const fs::path& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0) return st;
  if (errno != ENOENT) extraction_disk_error("look at", target.string(), errno);
  return std::nullopt;
}

void check_target(const fs::path& target, bool archive) {
  auto st = lstat_path(target);
  if (!st) return;
  if (S_ISLNK(st->st_mode))
    throw PlatformError(ErrorKind::conflict, target.string() + " is a symlink; pick another path");
  if (archive) {
    std::error_code ec;
    if (!S_ISDIR(st->st_mode) || !fs::is_empty(target, ec) || ec) {
      throw PlatformError(ErrorKind::conflict,
                          target.string() +
                              " exists and is not an empty directory; an archive "
                              "is extracted into a new or empty directory");
    }
  } else if (!S_ISREG(st->st_mode)) {
    throw PlatformError(ErrorKind::conflict,
                        target.string() + " exists and is not a file; pick another path");
  }
}

fs::path staging_path(const fs::path& target) {
  return target.parent_path() /
         ("." + target.filename().string() + ".extracting-" + common::random_hex(6));
}

void prepare_parent(const fs::path& target) {
  if (target.filename().empty() || target.filename() == "." || target.filename() == "..")
    throw PlatformError(ErrorKind::invalid, "'" + target.string() + "' does not name a file");
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) extraction_disk_error("create the directory", target.parent_path().string(), ec.value());
}

// Writes the file `target` from `fill`, through a staging file renamed into place.
template <typename Fill>
void write_file_atomically(const fs::path& target, Fill fill) {
  check_target(target, false);
  const fs::path staging = staging_path(target);
  UniqueFd fd(::open(staging.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.ok()) extraction_disk_error("create", staging.string(), errno);
  try {
    fill(fd.get());
    if (::rename(staging.c_str(), target.c_str()) != 0)
      extraction_disk_error("write", target.string(), errno);
  } catch (...) {
    ::unlink(staging.c_str());
    throw;
  }
}

void copy_plain(ObjectReader& content, int fd, ExtractResult& r, const ExtractLimits& limits) {
  std::vector<char> buf(kExtractChunk);
  std::int64_t offset = 0;
  for (;;) {
    const size_t n = content.read_at(offset, buf.data(), buf.size());
    if (n == 0) break;
    if (r.bytes + n > limits.max_bytes) {
      throw PlatformError(ErrorKind::invalid, "the content is larger than " +
                                                  std::to_string(limits.max_bytes) + " bytes");
    }
    for (size_t done = 0; done < n;) {
      const ssize_t w = ::write(fd, buf.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) extraction_disk_error("write", "the object's file", w < 0 ? errno : EIO);
      done += static_cast<size_t>(w);
    }
    offset += static_cast<std::int64_t>(n);
    r.bytes += n;
  }
}

}  // namespace

ExtractResult write_object_content(const fs::path& target, ObjectReader& content,
                                   const std::string& content_type, const ExtractLimits& limits) {
  prepare_parent(target);
  ExtractResult r;
  if (content_type != "tar" && content_type != "tgz" && content_type != "gzip") {
    write_file_atomically(target, [&](int fd) { copy_plain(content, fd, r, limits); });
    r.files = 1;
    return r;
  }

  ArchivePtr a(libarchive().archive_read_new());
  if (!a) throw PlatformError(ErrorKind::internal, "libarchive could not start a reader");
  libarchive().archive_read_support_filter_all(a.get());
  libarchive().archive_read_support_format_tar(a.get());
  libarchive().archive_read_support_format_empty(a.get());
  if (content_type == "gzip") libarchive().archive_read_support_format_raw(a.get());
  ReadSource source{&content};
  if (libarchive().archive_read_open(a.get(), &source, nullptr, read_source, nullptr) !=
      ARCHIVE_OK) {
    throw PlatformError(ErrorKind::invalid, "the object is not a readable " + content_type +
                                                " archive: " + archive_message(a.get()));
  }
  struct archive_entry* e = nullptr;
  int rc = libarchive().archive_read_next_header(a.get(), &e);
  if (rc < ARCHIVE_WARN) {
    throw PlatformError(ErrorKind::invalid, "the object is not a readable " + content_type +
                                                " archive: " + archive_message(a.get()));
  }
  if (rc != ARCHIVE_EOF && libarchive().archive_format(a.get()) == ARCHIVE_FORMAT_RAW) {
    // gzip of something that is not a tar: the decompressed bytes are the file.
    write_file_atomically(target,
                          [&](int fd) { copy_data(a.get(), fd, "(gzip content)", r, limits); });
    r.files = 1;
    return r;
  }

  check_target(target, true);
  const fs::path staging = staging_path(target);
  if (::mkdir(staging.c_str(), 0755) != 0) extraction_disk_error("create", staging.string(), errno);
  try {
    UniqueFd root(::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root.ok()) extraction_disk_error("open", staging.string(), errno);
    size_t entries = 0;
    while (rc != ARCHIVE_EOF) {
      if (++entries > limits.max_entries) {
        throw PlatformError(ErrorKind::invalid, "the archive has more than " +
                                                    std::to_string(limits.max_entries) +
                                                    " entries; nothing was extracted");
      }
      extract_entry(a.get(), e, root.get(), r, limits);
      rc = libarchive().archive_read_next_header(a.get(), &e);
      if (rc < ARCHIVE_WARN) {
        throw PlatformError(ErrorKind::invalid, std::string("the archive is damaged: ") +
                                                    archive_message(a.get()) +
                                                    "; nothing was extracted");
      }
    }
    // Onto an empty directory, rename replaces it; anything that appeared meanwhile stays.
    if (::rename(staging.c_str(), target.c_str()) != 0) {
      if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR || errno == EISDIR) {
        throw PlatformError(ErrorKind::conflict,
                            target.string() + " is no longer a new or empty directory");
      }
      extraction_disk_error("move the extracted files to", target.string(), errno);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);  // removes symlinks, never what they point at
    throw;
  }
  r.archive = true;
  return r;
}

ExtractResult extract_object_into(const fs::path& target, ObjectService& objects,
                                  const std::string& id, const ExtractLimits& limits) {
  const std::string content_type = objects.get(id).content_type;
  auto reader = objects.open(id);
  return write_object_content(target, *reader, content_type, limits);
}

}  // namespace runagents::platform::local
