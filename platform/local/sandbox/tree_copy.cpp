#include "platform/local/sandbox/tree_copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "platform/common/unique_fd.hpp"
#include "platform/error.hpp"

namespace runagents::platform::local {

namespace {

namespace fs = std::filesystem;

// Where skipped entries are listed; beyond this many, one line says how many more there were.
constexpr std::size_t kMaxListedSkips = 100;

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  std::string hint;
  if (error == ENOSPC || error == EDQUOT) hint = "; free disk space under the data dir and retry";
  throw PlatformError(ErrorKind::unavailable, what + " " + (path.empty() ? "." : path) + ": " +
                                                  std::strerror(error) + hint);
}

std::string join(const std::string& dir, const char* name) {
  return dir.empty() ? std::string(name) : dir + "/" + name;
}

// The target of the symlink `name` in `dir`, byte for byte (it may contain any byte but NUL).
bool read_link(int dir, const char* name, std::size_t size_hint, std::string& target) {
  std::size_t size = size_hint + 1;
  for (;;) {
    target.resize(size);
    ssize_t n = ::readlinkat(dir, name, target.data(), size);
    if (n < 0) return false;
    if (static_cast<std::size_t>(n) < size) {
      target.resize(static_cast<std::size_t>(n));
      return true;
    }
    size *= 2;  // the link grew since it was stat'ed
  }
}

class TreeCopier {
 public:
  TreeCopier() : as_root_(::geteuid() == 0) {}

  // Copies the whole tree, or only `listed` (see copy_listed_files) when given.
  TreeCopy run(const fs::path& from, const fs::path& to,
               const std::vector<std::string>* listed = nullptr) {
    UniqueFd src(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!src.ok())
      throw PlatformError(
          ErrorKind::not_found,
          "cannot copy " + from.string() + ": not a directory (" + std::strerror(errno) + ")");
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec) fail("cannot create the parent of", to.string(), ec.value());
    if (::mkdir(to.c_str(), 0700) != 0) {
      if (errno == EEXIST)
        throw PlatformError(ErrorKind::conflict,
                            "cannot copy into " + to.string() + ": it already exists");
      fail("cannot create", to.string(), errno);
    }
    try {
      UniqueFd dst(::open(to.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dst.ok()) fail("cannot open", to.string(), errno);
      root_ = dst.get();
      struct stat st;
      if (::fstat(src.get(), &st) != 0) fail("cannot stat", "", errno);
      // A listed copy brings a host project into a home: its entries belong to the home's owner
      // (the sandbox's user of a restored home), not to whoever owns the project.
      struct stat parent;
      if (listed && ::stat(to.parent_path().c_str(), &parent) == 0)
        owner_ = std::make_pair(parent.st_uid, parent.st_gid);
      if (listed)
        for (const auto& path : *listed) copy_listed(src.get(), dst.get(), path);
      else
        copy_dir(src.get(), dst.get(), "");
      finish_attributes(dst.get(), st, "");
    } catch (...) {
      fs::remove_all(to, ec);  // removes links themselves, never what they point at
      throw;
    }
    if (skipped_beyond_list_ > 0)
      result_.skipped.push_back("... and " + std::to_string(skipped_beyond_list_) +
                                " more not listed");
    return std::move(result_);
  }

 private:
  void skip(const std::string& path) {
    if (result_.skipped.size() < kMaxListedSkips)
      result_.skipped.push_back(path);
    else
      ++skipped_beyond_list_;
  }

  // Copies the entries of directory `src` into directory `dst`; `rel` is their path in the tree.
  void copy_dir(int src, int dst, const std::string& rel) {
    // fdopendir takes a descriptor of its own (closedir closes it); `src` stays ours.
    const int walk = ::fcntl(src, F_DUPFD_CLOEXEC, 0);
    if (walk < 0) fail("cannot read directory", rel, errno);
    DIR* dir = ::fdopendir(walk);
    if (dir == nullptr) {
      const int error = errno;
      ::close(walk);
      fail("cannot read directory", rel, error);
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) {
        if (errno != 0) fail("cannot read directory", rel, errno);
        break;
      }
      const char* name = entry->d_name;
      if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
      copy_entry(src, dst, name, join(rel, name));
    }
  }

  // Copies the file or link at `path` (relative, '/'-separated), creating the directories on
  // the way; a directory, a path through a symlink and a `..` or `.git` component are skipped.
  void copy_listed(int src, int dst, const std::string& path) {
    std::vector<std::string> parts;
    for (std::size_t at = 0; at <= path.size();) {
      std::size_t slash = path.find('/', at);
      if (slash == std::string::npos) slash = path.size();
      if (slash > at) parts.push_back(path.substr(at, slash - at));
      at = slash + 1;
    }
    for (const auto& part : parts)
      if (part == "." || part == ".." || part == ".git") return skip(path);
    if (parts.empty()) return;
    UniqueFd src_dir(::fcntl(src, F_DUPFD_CLOEXEC, 0));
    UniqueFd dst_dir(::fcntl(dst, F_DUPFD_CLOEXEC, 0));
    std::string rel;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const char* name = parts[i].c_str();
      rel = join(rel, name);
      UniqueFd from(::openat(src_dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!from.ok()) {
        if (errno == ENOENT) return;                                // gone: not in the copy
        if (errno == ELOOP || errno == ENOTDIR) return skip(path);  // through a link
        fail("cannot open directory", rel, errno);
      }
      const bool made = ::mkdirat(dst_dir.get(), name, 0755) == 0;
      if (!made && errno != EEXIST) fail("cannot create directory", rel, errno);
      UniqueFd to(::openat(dst_dir.get(), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!to.ok()) fail("cannot open directory", rel, errno);
      if (made && as_root_ && owner_ && ::fchown(to.get(), owner_->first, owner_->second) != 0)
        fail("cannot set the owner of", rel, errno);
      src_dir = std::move(from);
      dst_dir = std::move(to);
    }
    const char* name = parts.back().c_str();
    struct stat st;
    if (::fstatat(src_dir.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return;  // listed by git as tracked, but deleted
      fail("cannot stat", path, errno);
    }
    if (S_ISDIR(st.st_mode)) return skip(path);  // a nested repository or submodule
    copy_entry(src_dir.get(), dst_dir.get(), name, path);
  }

  void copy_entry(int src, int dst, const char* name, const std::string& rel) {
    struct stat st;
    if (::fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return;  // removed while we copy: it is simply not in the copy
      fail("cannot stat", rel, errno);
    }
    if (S_ISLNK(st.st_mode)) {
      copy_symlink(src, dst, name, rel, st);
    } else if (S_ISDIR(st.st_mode)) {
      copy_subdir(src, dst, name, rel);
    } else if (S_ISREG(st.st_mode)) {
      copy_file(src, dst, name, rel);
    } else {
      skip(rel);  // socket, fifo, device: nothing a snapshot can carry
    }
  }

  void copy_symlink(int src, int dst, const char* name, const std::string& rel,
                    const struct stat& st) {
    std::string target;
    if (!read_link(src, name, static_cast<std::size_t>(st.st_size), target)) {
      if (errno == EINVAL) return skip(rel);  // no longer a link: it changed under us
      fail("cannot read the link", rel, errno);
    }
    if (::symlinkat(target.c_str(), dst, name) != 0) fail("cannot create the link", rel, errno);
    if (as_root_) ::fchownat(dst, name, uid_of(st), gid_of(st), AT_SYMLINK_NOFOLLOW);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW);
  }

  void copy_subdir(int src, int dst, const char* name, const std::string& rel) {
    UniqueFd from(::openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!from.ok()) {
      if (errno == ELOOP || errno == ENOTDIR) return skip(rel);  // swapped for a link or file
      fail("cannot open directory", rel, errno);
    }
    struct stat st;
    if (::fstat(from.get(), &st) != 0) fail("cannot stat", rel, errno);
    if (::mkdirat(dst, name, 0700) != 0) fail("cannot create directory", rel, errno);
    UniqueFd to(::openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!to.ok()) fail("cannot open directory", rel, errno);
    copy_dir(from.get(), to.get(), rel);
    // Mode and times last: a read-only directory must still take its entries, and adding them
    // changes its mtime.
    finish_attributes(to.get(), st, rel);
  }

  void copy_file(int src, int dst, const char* name, const std::string& rel) {
    // O_NONBLOCK: should a fifo have been swapped in since the stat, opening it must not hang.
    UniqueFd from(::openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!from.ok()) {
      if (errno == ELOOP || errno == ENXIO) return skip(rel);  // swapped for a link or socket
      if (errno == ENOENT) return;
      fail("cannot open", rel, errno);
    }
    struct stat st;
    if (::fstat(from.get(), &st) != 0) fail("cannot stat", rel, errno);
    if (!S_ISREG(st.st_mode)) return skip(rel);

    if (st.st_nlink > 1) {
      const auto key = std::make_pair(st.st_dev, st.st_ino);
      auto seen = links_.find(key);
      if (seen != links_.end()) {
        // Another name of a file already copied: link to the copy. The path runs through
        // directories this copy created, so it cannot lead outside the destination.
        if (::linkat(root_, seen->second.c_str(), dst, name, 0) != 0)
          fail("cannot create the hard link", rel, errno);
        return;
      }
      links_.emplace(key, rel);
    }

    UniqueFd to(::openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!to.ok()) fail("cannot create", rel, errno);
    result_.bytes += copy_bytes(from.get(), to.get(), rel);
    finish_attributes(to.get(), st, rel);
  }

  // Copies every byte of `from` to `to` and returns how many there were.
  static std::int64_t copy_bytes(int from, int to, const std::string& rel) {
    // The source was opened non-blocking; regular files ignore that, but clear it anyway.
    ::fcntl(from, F_SETFL, ::fcntl(from, F_GETFL) & ~O_NONBLOCK);
    std::int64_t total = 0;
    for (;;) {
      ssize_t n = ::copy_file_range(from, nullptr, to, nullptr, 1 << 30, 0);
      if (n > 0) {
        total += n;
        continue;
      }
      if (n == 0) return total;
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
        fail("cannot copy", rel, errno);
      break;  // copy_file_range cannot do this pair: read and write instead
    }
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n == 0) return total;
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot read", rel, errno);
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          fail("cannot write", rel, errno);
        }
        off += w;
      }
      total += n;
    }
  }

  // Owner (as root), mode and times of a copied file or directory, through its descriptor.
  void finish_attributes(int fd, const struct stat& st, const std::string& rel) {
    // chown first: it clears set-user-ID and set-group-ID bits, which the mode then restores.
    if (as_root_ && ::fchown(fd, uid_of(st), gid_of(st)) != 0)
      fail("cannot set the owner of", rel, errno);
    if (::fchmod(fd, st.st_mode & 07777) != 0) fail("cannot set the mode of", rel, errno);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ::futimens(fd, times);
  }

  uid_t uid_of(const struct stat& st) const { return owner_ ? owner_->first : st.st_uid; }
  gid_t gid_of(const struct stat& st) const { return owner_ ? owner_->second : st.st_gid; }

  const bool as_root_;
  std::optional<std::pair<uid_t, gid_t>> owner_;  // every entry's owner, when not the source's
  int root_ = -1;                                 // the destination's top directory
  TreeCopy result_;
  std::size_t skipped_beyond_list_ = 0;
  // (device, inode) of files with several names -> where the first one was copied.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
};

}  // namespace

TreeCopy copy_tree_exact(const fs::path& from, const fs::path& to) {
  return TreeCopier().run(from, to);
}

TreeCopy copy_listed_files(const fs::path& from, const fs::path& to,
                           const std::vector<std::string>& paths) {
  return TreeCopier().run(from, to, &paths);
}

}  // namespace runagents::platform::local
