#include "platform/local/devboxes/source_files.hpp"

#include <string_view>
#include <system_error>

#include "platform/common/clip.hpp"
#include "platform/error.hpp"
#include "platform/local/sandbox/subprocess.hpp"

namespace runagents::platform::local {

namespace {

namespace fs = std::filesystem;

constexpr const char* kGit = "/usr/bin/git";
constexpr std::size_t kMaxPlainEntries = 100000;
constexpr auto kGitTimeout = std::chrono::seconds(120);

SubprocessResult git_in(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {kGit, "--no-optional-locks", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  SubprocessResult r = run_subprocess(argv, "", kGitTimeout);
  if (!r.start_error.empty())
    throw PlatformError(ErrorKind::unavailable,
                        "cannot run git (" + r.start_error +
                            "); install git on the server's machine to copy a project");
  if (r.timed_out)
    throw PlatformError(ErrorKind::unavailable,
                        "git took over two minutes to list the files of " + dir.string());
  return r;
}

SourceFiles git_files(const fs::path& dir) {
  SubprocessResult r =
      git_in(dir, {"ls-files", "--cached", "--others", "--exclude-standard", "-z"});
  if (r.exit_code != 0)
    throw PlatformError(ErrorKind::unavailable, "git ls-files failed in " + dir.string() + ": " +
                                                    common::clip_tail(r.err, 2000, "[...]"));
  if (r.out_truncated)
    throw PlatformError(ErrorKind::invalid,
                        dir.string() +
                            " has too many files to copy into a devbox (git's list "
                            "of them passed 4 MiB); give a smaller directory");
  SourceFiles files;
  files.git = true;
  std::string_view rest = r.out;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\0');
    std::string_view path = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (path.empty() || path.back() == '/') continue;  // a nested repository ("name/")
    files.paths.emplace_back(path);
  }
  return files;
}

SourceFiles plain_files(const fs::path& dir) {
  SourceFiles files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec)
    throw PlatformError(ErrorKind::invalid, "cannot read " + dir.string() + ": " + ec.message());
  std::size_t seen = 0;
  for (; it != end; it.increment(ec)) {
    if (ec)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot read " + dir.string() + ": " + ec.message());
    if (++seen > kMaxPlainEntries)
      throw PlatformError(ErrorKind::invalid,
                          dir.string() +
                              " holds over 100,000 entries and is not a git working "
                              "tree; give a git repository (ignored files are then "
                              "left out) or a smaller directory");
    const fs::path& p = it->path();
    if (p.filename() == ".git") {
      if (it->is_directory(ec) && !it->is_symlink(ec)) it.disable_recursion_pending();
      continue;
    }
    // Symlinks are entries to copy as links; the walk never follows them.
    if (it->is_symlink(ec) || !it->is_directory(ec))
      files.paths.push_back(p.lexically_relative(dir).generic_string());
  }
  return files;
}

}  // namespace

SourceFiles select_source_files(const fs::path& dir) {
  SubprocessResult r = git_in(dir, {"rev-parse", "--is-inside-work-tree"});
  if (r.exit_code == 0 && r.out.rfind("true", 0) == 0) return git_files(dir);
  if (r.exit_code == 0)
    throw PlatformError(ErrorKind::invalid,
                        dir.string() +
                            " is a bare git repository or a .git directory, which has "
                            "no working tree; give the repository's working tree "
                            "(a directory with its files checked out)");
  return plain_files(dir);
}

}  // namespace runagents::platform::local
