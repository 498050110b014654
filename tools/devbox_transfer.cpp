#include "tools/devbox_transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "platform/common/random_hex.hpp"
#include "platform/common/shell_quote.hpp"
#include "platform/common/unique_fd.hpp"

namespace runagents::tools {

namespace {

namespace fs = std::filesystem;
using platform::ErrorKind;
using platform::PlatformError;
using json = mcp::json;

constexpr std::size_t kMaxEntries = 10000;
constexpr std::uint64_t kMaxBytes = 256ull << 20;
constexpr std::uint64_t kPage = 4ull << 20;  // bytes read from a devbox per read_file

struct TreeEntry {
  char kind = 'f';          // d (directory), f (regular file), l (symlink)
  std::string path;         // relative, '/'-separated
  std::uint64_t size = 0;   // f
  bool executable = false;  // f
  std::string target;       // l
};

struct Tree {
  std::vector<TreeEntry> entries;  // parents before children
  std::vector<std::string> skipped;
  std::uint64_t bytes = 0;
};

std::string devbox_join(const std::string& dir, const std::string& rel) {
  return rel.empty() ? dir : dir + "/" + rel;
}

PlatformError too_big(const std::string& what) {
  return PlatformError(ErrorKind::invalid,
                       what +
                           " is more than one call moves (10,000 entries, 256 MiB of files); "
                           "move its parts one by one, or pack it (tar) and move the archive");
}

PlatformError host_error(const std::string& what, const fs::path& p, int err) {
  return PlatformError(ErrorKind::unavailable,
                       "cannot " + what + " " + p.string() + ": " + std::strerror(err));
}

// The host tree under `root`, links not followed.
Tree host_tree(const fs::path& root) {
  Tree t;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) throw host_error("read", root, ec.value());
  for (; it != end; it.increment(ec)) {
    if (ec) throw host_error("read", it->path(), ec.value());
    if (t.entries.size() + t.skipped.size() >= kMaxEntries) throw too_big(root.string());
    const fs::path& p = it->path();
    TreeEntry e;
    e.path = p.lexically_relative(root).generic_string();  // never resolving a link
    const auto st = it->symlink_status();
    if (fs::is_symlink(st)) {
      e.kind = 'l';
      e.target = fs::read_symlink(p, ec).string();
      if (ec) throw host_error("read the link", p, ec.value());
    } else if (fs::is_directory(st)) {
      e.kind = 'd';
    } else if (fs::is_regular_file(st)) {
      e.kind = 'f';
      e.size = it->file_size(ec);
      e.executable = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
      t.bytes += e.size;
      if (t.bytes > kMaxBytes) throw too_big(root.string());
    } else {
      t.skipped.push_back(e.path);
      continue;
    }
    t.entries.push_back(std::move(e));
  }
  return t;
}

std::string read_host_file(const fs::path& p) {
  platform::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.ok()) throw host_error("read", p, errno);
  std::string data;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n == 0) return data;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw host_error("read", p, errno);
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
}

// Runs `script` in the devbox (as a file, so its length is not limited by a command line) and
// throws unavailable with its stderr when it fails.
platform::DevboxExecution run_script(platform::DevboxService& devboxes, const std::string& id,
                                     const std::string& script, std::size_t output_cap = 0) {
  const std::string file = ".runagents/transfer-" + common::random_hex(6) + ".sh";
  devboxes.write_file(id, file, script);
  platform::ExecRequest r;
  r.devbox_id = id;
  r.command = "bash " + file + "; rc=$?; rm -f " + file + "; exit $rc";
  r.timeout = std::chrono::seconds(120);
  r.output_cap = output_cap;
  auto e = devboxes.execute(r);
  if (e.exit_status.value_or(-1) != 0)
    throw PlatformError(ErrorKind::unavailable, "the devbox could not finish the transfer (exit " +
                                                    std::to_string(e.exit_status.value_or(-1)) +
                                                    "): " + e.stderr_text);
  return e;
}

// The devbox path of `path` as given ("" = /home/user/<name>).
std::string devbox_path_or(const std::string& path, const std::string& name) {
  return path.empty() ? "/home/user/" + name : path;
}

// Whether `rel` (from the devbox's listing) is a plain relative path: no "", ".", ".." parts.
bool plain_relative(const std::string& rel) {
  if (rel.empty() || rel.front() == '/') return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    const std::size_t slash = rel.find('/', start);
    const std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

// Parses the listing script's output (below) into a tree.
Tree parse_listing(std::string_view out, const std::string& path) {
  Tree t;
  auto next = [&out]() -> std::optional<std::string> {
    const std::size_t nul = out.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;
    std::string field(out.substr(0, nul));
    out.remove_prefix(nul + 1);
    return field;
  };
  while (auto field = next()) {
    if (field->size() < 2 || (*field)[1] != '\t')
      throw PlatformError(ErrorKind::internal,
                          "unexpected listing of " + path + " from the devbox");
    TreeEntry e;
    e.kind = (*field)[0];
    std::string rest = field->substr(2);
    if (e.kind == 'f') {  // f\tMODE\tSIZE\tPATH
      const std::size_t a = rest.find('\t'), b = rest.find('\t', a + 1);
      if (a == std::string::npos || b == std::string::npos)
        throw PlatformError(ErrorKind::internal, "unexpected listing of " + path);
      e.executable = (std::stoul(rest.substr(0, a), nullptr, 8) & 0111) != 0;
      e.size = std::stoull(rest.substr(a + 1, b - a - 1));
      e.path = rest.substr(b + 1);
      t.bytes += e.size;
    } else if (e.kind == 'l') {  // l\tPATH \0 TARGET
      e.path = rest;
      auto target = next();
      if (!target) throw PlatformError(ErrorKind::internal, "unexpected listing of " + path);
      e.target = *target;
    } else if (e.kind == 'd') {
      e.path = rest;
    } else {  // o\tPATH: a socket, fifo or device
      t.skipped.push_back(rest);
      continue;
    }
    if (!plain_relative(e.path)) {
      t.skipped.push_back(e.path);
      continue;
    }
    t.entries.push_back(std::move(e));
  }
  if (t.entries.size() + t.skipped.size() > kMaxEntries || t.bytes > kMaxBytes) throw too_big(path);
  return t;
}

// Writes the devbox file `from` to the new host file `to` (O_EXCL, no link followed), a page at
// a time.
void copy_out(platform::DevboxService& devboxes, const std::string& id, const std::string& from,
              const fs::path& to, bool executable) {
  platform::UniqueFd fd(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               executable ? 0755 : 0644));
  if (!fd.ok()) throw host_error("create", to, errno);
  std::uint64_t offset = 0;
  for (;;) {
    auto page = devboxes.read_file(id, from, offset, kPage);
    std::string_view data = page.data;
    while (!data.empty()) {
      const ssize_t n = ::write(fd.get(), data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw host_error("write", to, errno);
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    offset += page.data.size();
    if (page.data.empty() || offset >= page.size) return;
  }
}

json summary(const std::string& host_path, const std::string& path, const char* kind,
             const Tree& t) {
  std::size_t files = 0, dirs = 0, links = 0;
  for (const auto& e : t.entries) {
    if (e.kind == 'f') ++files;
    if (e.kind == 'd') ++dirs;
    if (e.kind == 'l') ++links;
  }
  json out = {{"host_path", host_path}, {"path", path},   {"kind", kind},    {"files", files},
              {"directories", dirs},    {"links", links}, {"bytes", t.bytes}};
  if (!t.skipped.empty()) out["skipped"] = t.skipped;
  return out;
}

}  // namespace

json upload_to_devbox(platform::DevboxService& devboxes, const std::string& devbox_id,
                      const std::string& host_path, const std::string& path,
                      const HostPathPolicy& policy, mcp::RequestContext& ctx) {
  const fs::path from = allowed_host_path(policy, ctx, host_path);
  const std::string to = devbox_path_or(path, from.filename().string());
  std::error_code ec;
  if (fs::is_regular_file(from, ec)) {
    if (fs::file_size(from, ec) > kMaxBytes) throw too_big(from.string());
    const std::string data = read_host_file(from);
    devboxes.write_file(devbox_id, to, data);
    Tree t;
    t.entries.push_back({'f', "", data.size(), false, ""});
    t.bytes = data.size();
    if ((fs::status(from, ec).permissions() & fs::perms::owner_exec) != fs::perms::none)
      run_script(devboxes, devbox_id, "chmod +x -- " + platform::shell_quote(to) + "\n");
    return summary(from.string(), to, "file", t);
  }
  if (!fs::is_directory(from, ec))
    throw PlatformError(ErrorKind::invalid, host_path +
                                                " is neither a file nor a directory; upload "
                                                "moves those");
  const Tree t = host_tree(from);
  // Directories and files first; then, in one script, empty directories, executable bits and
  // the links (last, so nothing is written through one).
  std::string script = "set -e\nmkdir -p -- " + platform::shell_quote(to) + "\n";
  for (const auto& e : t.entries) {
    const std::string target = devbox_join(to, e.path);
    if (e.kind == 'd') script += "mkdir -p -- " + platform::shell_quote(target) + "\n";
  }
  run_script(devboxes, devbox_id, script);
  script = "set -e\n";
  for (const auto& e : t.entries) {
    const std::string target = devbox_join(to, e.path);
    if (e.kind == 'f') {
      devboxes.write_file(devbox_id, target, read_host_file(from / e.path));
      if (e.executable) script += "chmod +x -- " + platform::shell_quote(target) + "\n";
    } else if (e.kind == 'l') {
      script += "rm -rf -- " + platform::shell_quote(target) + "; ln -s -- " +
                platform::shell_quote(e.target) + " " + platform::shell_quote(target) + "\n";
    }
  }
  run_script(devboxes, devbox_id, script);
  return summary(from.string(), to, "directory", t);
}

json download_from_devbox(platform::DevboxService& devboxes, const std::string& devbox_id,
                          const std::string& path, const std::string& host_path,
                          const HostPathPolicy& policy, mcp::RequestContext& ctx) {
  const fs::path wanted = host_path;
  const std::string name = wanted.filename().string();
  if (name.empty() || name == "." || name == "..")
    throw PlatformError(ErrorKind::invalid,
                        "host_path " + host_path + " must name a new file or directory");
  const fs::path parent = allowed_host_path(
      policy, ctx, wanted.has_parent_path() ? wanted.parent_path().string() : ".");
  const fs::path to = parent / name;
  std::error_code ec;
  if (fs::symlink_status(to, ec).type() != fs::file_type::not_found)
    throw PlatformError(ErrorKind::conflict, to.string() +
                                                 " exists; download writes only a new path "
                                                 "(pick another host_path, or remove it first)");

  // What the devbox path is, and for a directory its entries (NUL-separated).
  const std::string q = platform::shell_quote(path);
  const std::string listing =
      "p=" + q +
      "\nif [ -L \"$p\" ]; then printf 'link'; elif [ -d \"$p\" ]; then printf 'dir\\0'; "
      "find \"$p\" -mindepth 1 \\( -type d -printf 'd\\t%P\\0' \\) -o \\( -type f -printf "
      "'f\\t%m\\t%s\\t%P\\0' \\) -o \\( -type l -printf 'l\\t%P\\0%l\\0' \\) -o -printf "
      "'o\\t%P\\0'; elif [ -f \"$p\" ]; then printf 'file\\0%s' \"$(stat -c %a \"$p\")\"; else "
      "printf 'missing'; fi\n";
  auto e = run_script(devboxes, devbox_id, listing, 16u << 20);
  const std::string& out = e.stdout_text;
  if (e.stdout_truncated) throw too_big(path);
  if (out == "missing")
    throw PlatformError(ErrorKind::not_found, path + " does not exist in devbox " + devbox_id);
  if (out == "link")
    throw PlatformError(ErrorKind::invalid, path +
                                                " is a symlink; download the path it points to "
                                                "(links inside a directory are copied as links)");
  if (out.rfind(std::string("file\0", 5), 0) == 0) {
    const bool executable = (std::stoul(out.substr(5), nullptr, 8) & 0111) != 0;
    copy_out(devboxes, devbox_id, path, to, executable);
    Tree t;
    t.entries.push_back({'f', "", 0, executable, ""});
    t.bytes = fs::file_size(to, ec);
    return summary(to.string(), path, "file", t);
  }
  if (out.rfind(std::string("dir\0", 4), 0) != 0)
    throw PlatformError(ErrorKind::internal, "unexpected listing of " + path + " from the devbox");
  const Tree t = parse_listing(std::string_view(out).substr(4), path);

  if (::mkdir(to.c_str(), 0755) != 0) throw host_error("create", to, errno);
  for (const auto& entry : t.entries)
    if (entry.kind == 'd' && ::mkdir((to / entry.path).c_str(), 0755) != 0)
      throw host_error("create", to / entry.path, errno);
  for (const auto& entry : t.entries)
    if (entry.kind == 'f')
      copy_out(devboxes, devbox_id, devbox_join(path, entry.path), to / entry.path,
               entry.executable);
  for (const auto& entry : t.entries)
    if (entry.kind == 'l' && ::symlink(entry.target.c_str(), (to / entry.path).c_str()) != 0)
      throw host_error("create the link", to / entry.path, errno);
  return summary(to.string(), path, "directory", t);
}

}  // namespace runagents::tools
