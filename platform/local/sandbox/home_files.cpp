// Files confined to a sandbox's home. Paths are resolved with sandbox semantics first
// (resolve_in_home), then opened component by component with O_NOFOLLOW from a descriptor of the
// home, so a symlink swapped in between the two steps is refused, never followed.
#include "platform/local/sandbox/home_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "platform/common/unique_fd.hpp"

namespace runagents::platform::local {

namespace {

const std::string kHome(kSandboxHome);

std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string sandbox_path(const std::string& relative) {
  return relative.empty() ? kHome : kHome + "/" + relative;
}

[[noreturn]] void outside(std::string_view user_path, const std::string& how) {
  throw PlatformError(ErrorKind::forbidden, "path '" + std::string(user_path) +
                                                "' leads outside the devbox home " + kHome + " " +
                                                how + ": use a path inside " + kHome);
}

[[noreturn]] void open_failed(const std::string& what, int err) {
  if (err == ENOENT) throw PlatformError(ErrorKind::not_found, what + " does not exist");
  if (err == ELOOP)
    throw PlatformError(ErrorKind::forbidden,
                        what + " became a symlink while it was being opened: try again");
  if (err == ENOTDIR)
    throw PlatformError(ErrorKind::invalid,
                        what +
                            ": a component of the path is not a directory (or became a "
                            "symlink while it was being opened)");
  if (err == EISDIR) throw PlatformError(ErrorKind::invalid, what + " is a directory");
  throw PlatformError(ErrorKind::internal, what + ": " + std::strerror(err));
}

// Gives a just-created entry of `dir` to the owner in `options`, if any; returns 0 or an errno.
int give_to_owner(int dir, const std::string& name, const WriteOptions* options) {
  if (options == nullptr || (!options->owner_uid && !options->owner_gid)) return 0;
  uid_t uid = options->owner_uid ? *options->owner_uid : static_cast<uid_t>(-1);
  gid_t gid = options->owner_gid ? *options->owner_gid : static_cast<gid_t>(-1);
  return ::fchownat(dir, name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
}

// Opens the directory that holds the last component of `parts`, walking from the home without
// following any symlink; creates missing directories when asked.
int open_parent(const std::filesystem::path& home, const std::vector<std::string>& parts,
                bool create, const WriteOptions* owner) {
  int dir = ::open(home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) open_failed("the devbox home " + home.string() + " (on the host)", errno);
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : "/") + parts[i];
    int next = ::openat(dir, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      int err = ::mkdirat(dir, parts[i].c_str(), 0755) == 0 ? give_to_owner(dir, parts[i], owner)
                : errno == EEXIST                           ? 0
                                                            : errno;
      if (err != 0) {
        ::close(dir);
        open_failed("directory " + sandbox_path(walked), err);
      }
      next = ::openat(dir, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int err = errno;
    ::close(dir);
    if (next < 0) open_failed("directory " + sandbox_path(walked), err);
    dir = next;
  }
  return dir;
}

}  // namespace

HomePath resolve_in_home(const std::filesystem::path& home, std::string_view user_path) {
  if (user_path.empty())
    throw PlatformError(ErrorKind::invalid,
                        "path is empty: give a path relative to " + kHome + " or under it");
  if (user_path.find('\0') != std::string_view::npos)
    throw PlatformError(ErrorKind::invalid, "path contains a NUL byte");
  std::string_view rest = user_path;
  if (rest.front() == '/') {
    if (rest != kHome && rest.substr(0, kHome.size() + 1) != kHome + "/")
      outside(user_path, "(it is absolute and not under " + kHome + ")");
    rest.remove_prefix(kHome.size());
  }

  std::deque<std::string> pending;
  for (auto& c : components(rest)) pending.push_back(std::move(c));
  std::vector<std::string> parts;
  bool missing = false;  // a component does not exist: the rest is taken as written
  int links = 0;
  std::string last_link;  // the last symlink followed, for the error message
  while (!pending.empty()) {
    std::string c = std::move(pending.front());
    pending.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (parts.empty())
        outside(user_path, last_link.empty() ? "through '..'" : "through the symlink " + last_link);
      parts.pop_back();
      continue;
    }
    parts.push_back(c);
    if (missing) continue;
    auto host = home / join(parts);
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0) {
      missing = true;
      continue;
    }
    if (!S_ISLNK(st.st_mode)) continue;
    if (++links > 40)
      throw PlatformError(ErrorKind::invalid, "path '" + std::string(user_path) +
                                                  "' has too many levels of symbolic links");
    std::string target(4096, '\0');
    ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
    if (n < 0) {
      missing = true;
      continue;
    }
    target.resize(static_cast<std::size_t>(n));
    std::string link = sandbox_path(join(parts));
    parts.pop_back();
    std::string_view t = target;
    if (!t.empty() && t.front() == '/') {
      // Absolute targets are read as the sandbox reads them.
      if (t != kHome && t.substr(0, kHome.size() + 1) != kHome + "/")
        outside(user_path, "through the symlink " + link + " -> " + target);
      parts.clear();
      t.remove_prefix(kHome.size());
    }
    auto target_parts = components(t);
    pending.insert(pending.begin(), target_parts.begin(), target_parts.end());
    last_link = link + " -> " + target;
  }
  HomePath resolved;
  resolved.relative = join(parts);
  resolved.sandbox_path = sandbox_path(resolved.relative);
  resolved.host_path = resolved.relative.empty() ? home : home / resolved.relative;
  return resolved;
}

FileContents read_home_file(const std::filesystem::path& home, std::string_view path,
                            std::uint64_t offset, std::optional<std::uint64_t> length) {
  HomePath resolved = resolve_in_home(home, path);
  if (resolved.relative.empty())
    throw PlatformError(ErrorKind::invalid, kHome + " is a directory: give a file inside it");
  auto parts = components(resolved.relative);
  UniqueFd dir(open_parent(home, parts, false, nullptr));
  // O_NONBLOCK: a FIFO must not hang the server.
  UniqueFd file(
      ::openat(dir.get(), parts.back().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file.ok()) open_failed("file " + resolved.sandbox_path, errno);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) open_failed("file " + resolved.sandbox_path, errno);
  if (S_ISDIR(st.st_mode))
    throw PlatformError(ErrorKind::invalid, resolved.sandbox_path + " is a directory");
  if (!S_ISREG(st.st_mode))
    throw PlatformError(ErrorKind::invalid, resolved.sandbox_path + " is not a regular file");
  FileContents contents;
  contents.size = static_cast<std::uint64_t>(st.st_size);
  if (offset > contents.size)
    throw PlatformError(ErrorKind::invalid, "offset " + std::to_string(offset) +
                                                " is past the end of " + resolved.sandbox_path +
                                                " (size " + std::to_string(contents.size) + ")");
  std::uint64_t want = contents.size - offset;
  if (length && *length < want) want = *length;
  contents.data.resize(want);
  std::size_t got = 0;
  while (got < want) {
    ssize_t n = ::pread(file.get(), contents.data.data() + got, want - got,
                        static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) open_failed("reading " + resolved.sandbox_path, errno);
    if (n == 0) break;  // the file shrank meanwhile
    got += static_cast<std::size_t>(n);
  }
  contents.data.resize(got);
  return contents;
}

namespace {

// open_home_file, also giving the sandbox path it resolved (for write_home_file's errors).
int open_resolved(const std::filesystem::path& home, std::string_view path,
                  const WriteOptions& options, HomePath& resolved) {
  resolved = resolve_in_home(home, path);
  if (resolved.relative.empty())
    throw PlatformError(ErrorKind::invalid, kHome + " is a directory: give a file inside it");
  auto parts = components(resolved.relative);
  UniqueFd dir(open_parent(home, parts, options.create_parents, &options));
  int flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  if (options.append) flags |= O_APPEND;
  UniqueFd file(::openat(dir.get(), parts.back().c_str(), flags));
  if (!file.ok() && errno == ENOENT) {
    file.reset(
        ::openat(dir.get(), parts.back().c_str(), flags | O_CREAT | O_EXCL, options.mode & 07777));
    if (file.ok()) {
      if (int err = give_to_owner(dir.get(), parts.back(), &options); err != 0)
        open_failed("file " + resolved.sandbox_path, err);
    }
  }
  if (!file.ok()) open_failed("file " + resolved.sandbox_path, errno);
  struct stat st;
  if (::fstat(file.get(), &st) != 0) open_failed("file " + resolved.sandbox_path, errno);
  if (!S_ISREG(st.st_mode))
    throw PlatformError(ErrorKind::invalid, resolved.sandbox_path + " is not a regular file");
  if (!options.append && ::ftruncate(file.get(), 0) != 0)
    open_failed("truncating " + resolved.sandbox_path, errno);
  const int fd = file.release();
  return fd;
}

}  // namespace

int open_home_file(const std::filesystem::path& home, std::string_view path,
                   const WriteOptions& options) {
  HomePath resolved;
  return open_resolved(home, path, options, resolved);
}

void write_home_file(const std::filesystem::path& home, std::string_view path,
                     std::string_view data, const WriteOptions& options) {
  HomePath resolved;
  UniqueFd file(open_resolved(home, path, options, resolved));
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(file.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) open_failed("writing " + resolved.sandbox_path, errno);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace runagents::platform::local
