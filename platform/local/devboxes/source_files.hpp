// Which files of a project on the server's machine go into a devbox (DevboxSource in
// platform/devboxes.hpp): what git would commit. Internal to platform/local.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace runagents::platform::local {

struct SourceFiles {
  bool git = false;                // the directory is in a git working tree
  std::vector<std::string> paths;  // relative to the directory, '/'-separated
};

// In a git working tree: `git ls-files --cached --others --exclude-standard` run in `dir` (tracked
// files and untracked ones that are not ignored; git does not read an ignored directory), without
// nested repositories (git lists them as "name/"). Elsewhere: every entry of the tree that is not
// a directory, symlinks not followed, `.git` directories left out. The host's git runs with
// --no-optional-locks, so nothing in `dir` is written. Throws PlatformError: invalid for a bare
// repository or a git directory, unavailable when git cannot run or fails, and invalid when a
// plain directory holds more than 100,000 entries (use a git repository with a .gitignore).
SourceFiles select_source_files(const std::filesystem::path& dir);

}  // namespace runagents::platform::local
