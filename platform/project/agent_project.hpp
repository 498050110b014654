// An agent project directory (runagents.yaml plus its source files) as a DeployRequest. The one
// reader behind `runagents-mcp deploy`, `runagents-mcp dev` and deploy_agent's `source_dir`.
//
// Reading is confined to the directory: symlinks are never followed out of it (a link whose
// target resolves outside is skipped), hidden entries, __pycache__, virtualenvs, node_modules,
// site-packages, *.pyc and *.md are left out, and the total read is capped (ProjectLimits), so a
// directory named by a model cannot make the server read the rest of the machine or all of it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/platform.hpp"

namespace runagents::platform {

// What the caller sets over runagents.yaml; an empty member keeps the file's value.
struct ProjectOverrides {
  std::string name;
  std::vector<std::string> files;  // paths relative to the project; empty: the project's files
  std::vector<std::string> tools;
  std::string model;  // provider/model
  std::string system_prompt;
};

struct ProjectLimits {
  std::size_t max_files = 500;
  std::size_t max_bytes = 8u << 20;  // the sum of the files' sizes
};

// The request for the project in `dir`: runagents.yaml when present, `overrides` over it.
// Throws std::invalid_argument with what to fix: no name, a file outside the project or
// unreadable, a model not in provider/model form, no files, or more than `limits` allow.
DeployRequest deploy_request_from_project(const std::filesystem::path& dir,
                                          const ProjectOverrides& overrides,
                                          const ProjectLimits& limits = {});

}  // namespace runagents::platform
