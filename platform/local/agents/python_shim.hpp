// The runagents Python shim (platform/local/agents/python/runagents/), embedded in the binary at
// build time and installed under the data dir, from where it is mounted read-only into every agent
// sandbox at kShimMount (on PYTHONPATH).
#pragma once

#include <filesystem>

namespace runagents::platform::local {

// Directly under / (see agent_runtime.cpp); the package is then /opt/runagents.
inline constexpr const char* kShimMount = "/opt";

// Writes the shim's files under `dir` (dir/runagents/*.py), replacing any that differ. Safe to
// run from several processes at once (each file is renamed into place). Throws
// PlatformError(unavailable) when `dir` cannot be written.
void install_python_shim(const std::filesystem::path& dir);

}  // namespace runagents::platform::local
