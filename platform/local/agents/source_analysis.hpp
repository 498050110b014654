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

// `entry_point` empty means: detect it (the file with a top-level `def handler`, preferring
// agent.py, main.py, app.py; else one of those names; else the first .py file). `known_tools`
// fills ToolUse::base_url and maps literal URLs to registered tools. Throws
// PlatformError(invalid) when `entry_point` is given but is not one of `files`.
Analysis analyze_sources(const std::map<std::string, std::string>& files,
                         const std::string& entry_point, const std::vector<Tool>& known_tools);

// Top-level modules imported by `files` that are neither in Python's standard library, nor files
// of the agent, nor the runagents shim, sorted (import names, e.g. "yaml").
std::vector<std::string> third_party_imports(const std::map<std::string, std::string>& files);

// The pip package for an import name ("yaml" -> "pyyaml"; most are the same).
std::string pip_name(const std::string& import_name);

// `TOOL_URL_ECHO_TOOL` names tool "echo-tool"; the reverse.
std::string tool_env_name(const std::string& tool);

}  // namespace runagents::platform::local
