// upload_host_path (platform/objects.hpp): a file or a directory of this machine as a storage
// object; a directory is written as a tgz with libarchive, streamed into the upload.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "platform/archive_library.hpp"
#include "platform/common/utf8.hpp"
#include "platform/objects.hpp"

namespace runagents::platform {

namespace fs = std::filesystem;

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

PlatformError unreadable(const fs::path& p, int err) {
  return PlatformError(ErrorKind::unavailable,
                       "cannot read " + p.string() + ": " + std::strerror(err));
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// The content type of a file by its name, or by its bytes (text when valid UTF-8).
std::string file_content_type(const fs::path& p, int fd) {
  const std::string name = p.filename().string();
  if (ends_with(name, ".tar.gz") || ends_with(name, ".tgz")) return "tgz";
  if (ends_with(name, ".tar")) return "tar";
  if (ends_with(name, ".gz")) return "gzip";
  char head[8192];
  const ssize_t n = ::pread(fd, head, sizeof head, 0);
  if (n < 0) throw unreadable(p, errno);
  std::string_view bytes(head, static_cast<std::size_t>(n));
  // Walk the sample's sequences; one cut short by the sample's end is not a reason for binary.
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t len = common::utf8_sequence(bytes, i);
    if (len == 0) return bytes.size() == sizeof head && bytes.size() - i < 4 ? "text" : "binary";
    i += len;
  }
  return "text";
}

void copy_fd(int fd, const fs::path& p, ObjectUpload& up) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw unreadable(p, errno);
    if (n == 0) return;
    up.write(std::string_view(buf, static_cast<std::size_t>(n)));
  }
}

// Writes the tree at `dir` as a tgz into `up`.
void write_tgz(const fs::path& dir, ObjectUpload& up) {
  std::unique_ptr<archive, int (*)(archive*)> out(libarchive().archive_write_new(),
                                                  libarchive().archive_write_free);
  std::unique_ptr<archive, int (*)(archive*)> disk(libarchive().archive_read_disk_new(),
                                                   libarchive().archive_read_free);
  if (!out || !disk) throw PlatformError(ErrorKind::internal, "libarchive could not start");
  std::exception_ptr failure;  // what the write callback threw, rethrown here
  struct Sink {
    ObjectUpload* up;
    std::exception_ptr* failure;
  } sink{&up, &failure};
  auto on_write = [](archive*, void* data, const void* buf, size_t len) -> la_ssize_t {
    auto* s = static_cast<Sink*>(data);
    try {
      s->up->write(std::string_view(static_cast<const char*>(buf), len));
    } catch (...) {
      *s->failure = std::current_exception();
      return -1;
    }
    return static_cast<la_ssize_t>(len);
  };
  libarchive().archive_write_add_filter_gzip(out.get());
  libarchive().archive_write_set_format_pax_restricted(out.get());
  libarchive().archive_write_set_bytes_in_last_block(out.get(), 1);
  auto check = [&](int r, archive* a) {
    if (failure) std::rethrow_exception(failure);
    if (r < ARCHIVE_WARN)
      throw PlatformError(ErrorKind::unavailable, "packing " + dir.string() + " failed: " +
                                                      (libarchive().archive_error_string(a)
                                                           ? libarchive().archive_error_string(a)
                                                           : "libarchive error"));
  };
  check(libarchive().archive_write_open(out.get(), &sink, nullptr, on_write, nullptr), out.get());
  libarchive().archive_read_disk_set_symlink_physical(
      disk.get());  // links as links, never followed
  libarchive().archive_read_disk_set_standard_lookup(disk.get());
  check(libarchive().archive_read_disk_open(disk.get(), dir.c_str()), disk.get());
  const std::string prefix = dir.string() + "/";
  for (;;) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(libarchive().archive_entry_new(),
                                                                   libarchive().archive_entry_free);
    const int r = libarchive().archive_read_next_header2(disk.get(), entry.get());
    if (r == ARCHIVE_EOF) break;
    check(r, disk.get());
    libarchive().archive_read_disk_descend(disk.get());
    const std::string source = libarchive().archive_entry_sourcepath(entry.get());
    if (source.rfind(prefix, 0) != 0) continue;  // the directory itself
    const auto type = libarchive().archive_entry_filetype(entry.get());
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;
    libarchive().archive_entry_set_pathname(entry.get(), source.substr(prefix.size()).c_str());
    libarchive().archive_entry_set_uid(entry.get(), 0);
    libarchive().archive_entry_set_gid(entry.get(), 0);
    libarchive().archive_entry_set_uname(entry.get(), "");
    libarchive().archive_entry_set_gname(entry.get(), "");
    Fd in;
    if (type == AE_IFREG) {
      in.fd = ::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (in.fd < 0) throw unreadable(source, errno);
    }
    check(libarchive().archive_write_header(out.get(), entry.get()), out.get());
    if (type != AE_IFREG) continue;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(in.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw unreadable(source, errno);
      if (n == 0) break;
      if (libarchive().archive_write_data(out.get(), buf, static_cast<size_t>(n)) < 0)
        check(ARCHIVE_FATAL, out.get());
    }
  }
  check(libarchive().archive_write_close(out.get()), out.get());
}

}  // namespace

ObjectView upload_host_path(ObjectService& objects, const fs::path& path, const std::string& name) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    throw PlatformError(ErrorKind::invalid, path.string() + ": " + std::strerror(errno));
  const bool dir = S_ISDIR(st.st_mode);
  if (!dir && !S_ISREG(st.st_mode))
    throw PlatformError(ErrorKind::invalid,
                        path.string() + " is neither a regular file nor a directory");
  Fd file;
  ObjectCreateRequest req;
  req.name = name;
  if (dir) {
    req.content_type = "tgz";
  } else {
    file.fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (file.fd < 0) throw unreadable(path, errno);
    req.content_type = file_content_type(path, file.fd);
  }
  ObjectCreated made = objects.create(req);
  try {
    auto up = objects.begin_upload(made.object.id, made.upload_token);
    if (dir)
      write_tgz(path, *up);
    else
      copy_fd(file.fd, path, *up);
    up->commit();
    return objects.complete(made.object.id);
  } catch (...) {
    try {
      objects.remove(made.object.id);
    } catch (...) {
    }
    throw;
  }
}

}  // namespace runagents::platform
