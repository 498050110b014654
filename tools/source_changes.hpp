// What changed in a devbox's copy of the user's project since its baseline (create_devbox
// source_path; platform/devboxes.hpp DevboxSource): manage_devbox's diff and changed_files.
// Git runs inside the devbox, through DevboxService::execute, so a devbox's own .git (which its
// commands may have changed) is never read by the server's git, and the user's project on the
// host is never touched. Working tree against the baseline commit, untracked files that are not
// ignored included; the devbox's own index is left as it is (a temporary index is used).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/devboxes.hpp"
#include "server/tool_registry.hpp"

namespace runagents::tools {

struct ChangedFile {
  std::string path;
  std::string status;    // added | modified | deleted | renamed
  std::string old_path;  // renamed only: the path in the baseline
};

// Parses `git diff --name-status -z -M` output. Copies (C) read as added, type changes (T) as
// modified. Throws PlatformError(internal) on output it cannot read.
std::vector<ChangedFile> parse_name_status(std::string_view z);

// One page of the diff: `offset` 0 computes it (and keeps it in the devbox for the next pages),
// a later offset reads the kept one. Pages end at a line end when they can, never inside a
// UTF-8 sequence. {source_dir, text, offset, length, size, eof, next_offset?}.
// Throws PlatformError: conflict when the devbox has no baseline (not created with source_path),
// with what to do.
mcp::json source_diff_page(platform::DevboxService& devboxes, const std::string& devbox_id,
                           std::uint64_t offset);

// {source_dir, files: [{path, status, old_path?}]} (every file; the caller fits the list).
mcp::json source_changed_files(platform::DevboxService& devboxes, const std::string& devbox_id);

}  // namespace runagents::tools
