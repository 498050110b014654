// Static analysis of an agent's Python sources, for deploy and dry runs: where the handler is and
// its signature, which tools and models the code uses, likely secrets, and the third-party
// packages it imports. Text-based (line by line), so it never runs the code. Pure functions; safe
// to call from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "platform/platform.hpp"
#include "platform/wire/analysis_json.hpp"  // analysis_to_json for what analyze_sources returns

namespace runagents::platform::local {

// Directories of `files` ("dir/", "lib/pkg/") that hold third-party code the agent ships rather
// than writes: a package directory (its own __init__.py) with its *.dist-info directory next to
// it (named after the package or listing it in top_level.txt), or with a pyproject.toml or
// setup.py next to it below the top level (a pyproject.toml at the
// top level describes the agent's own project); plus each of `listed` (a directory or a file; a
// trailing '/' is optional). Sorted, without duplicates. Throws PlatformError(invalid) when a
// listed path is not a valid relative path or matches none of `files`.
std::vector<std::string> vendored_paths(const std::map<std::string, std::string>& files,
                                        const std::vector<std::string>& listed = {});

// Whether `file` is one of `vendored` (as vendored_paths returns them) or under one.
bool is_vendored(const std::string& file, const std::vector<std::string>& vendored);

// `entry_point` empty means: detect it among the agent's own files (the file with a top-level
// entry, preferring agent.py, main.py, app.py; else one of those names; else the first .py
// file). The entry, in the runtime's order: `def handler`, else an object named agent, chain,
// executor, graph or crew, else `def main`. Tools, models, secrets and imports are searched only in
// the agent's own files, never under `vendored` (see vendored_paths). `known_tools` fills
// ToolUse::base_url and maps literal URLs to registered tools. Throws PlatformError(invalid) when
// `entry_point` is given but is not one of `files`.
Analysis analyze_sources(const std::map<std::string, std::string>& files,
                         const std::string& entry_point, const std::vector<Tool>& known_tools,
                         const std::vector<std::string>& vendored = {});

// Top-level modules imported by the agent's own `files` (not those under `vendored`) that are
// neither in Python's standard library, nor files of the agent, nor the runagents shim, sorted
// (import names, e.g. "yaml").
std::vector<std::string> third_party_imports(const std::map<std::string, std::string>& files,
                                             const std::vector<std::string>& vendored = {});

// The pip package for an import name ("yaml" -> "pyyaml"; most are the same).
std::string pip_name(const std::string& import_name);

// `TOOL_URL_ECHO_TOOL` names tool "echo-tool"; the reverse.
std::string tool_env_name(const std::string& tool);

}  // namespace runagents::platform::local
