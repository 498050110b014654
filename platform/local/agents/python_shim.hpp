// The Python that agents run with (platform/local/agents/python/): the runagents shim (the SDK
// 1.2.1 agent-side API) and the platform's runner and egress glue (_runagents_platform, outside
// the runagents name so that an agent's own copy of the SDK cannot shadow it). Embedded in the
// binary at build time and installed under the data dir, from where it is mounted read-only into
// every agent sandbox at kShimMount (on PYTHONPATH).
#pragma once

#include <filesystem>

namespace runagents::platform::local {

// Directly under / (see agent_runtime.cpp); the packages are then /opt/runagents and
// /opt/_runagents_platform.
inline constexpr const char* kShimMount = "/opt";
// The runner, started by path so that the agent's directory is not on sys.path before it runs.
inline constexpr const char* kRunnerScript = "/opt/_runagents_platform/runner.py";

// Writes the files under `dir` (dir/runagents/*.py, dir/_runagents_platform/*.py), replacing any
// that differ. Safe to run from several processes at once (each file is renamed into place). Throws
// PlatformError(unavailable) when `dir` cannot be written.
void install_python_shim(const std::filesystem::path& dir);

}  // namespace runagents::platform::local
