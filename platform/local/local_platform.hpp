// The embedded local platform: every domain of platform.hpp answered on this machine, with no
// account and no network. State lives in SQLite under the data dir (several server processes may
// share one); agents run their Python handler in a bubblewrap sandbox whose only way out is the
// platform's egress (policy, approvals, tool calls, the model gateway).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "platform/platform.hpp"

namespace runagents::platform::local {

struct LocalOptions {
  std::filesystem::path data_dir;  // created (0700) if missing
  std::string ns = "default";      // the configured namespace
  // OpenAI-compatible endpoint for models other than playground-llm; empty: playground only.
  std::string llm_base_url;
  std::string llm_api_key;
  // How long one execution of an agent's handler may run before it is killed (run FAILED).
  std::chrono::seconds run_timeout{120};
  std::string python = "/usr/bin/python3";
  std::string bwrap_path;  // empty: found as the sandbox engine finds it
  // Agents ("ns/name") whose handler runs on a host directory, mounted read-only at /workspace
  // (its working directory), instead of the sources stored when they were deployed: runagents-mcp
  // dev runs the project as it is on disk. Its .runagents directory (the dev data dir) stays
  // hidden.
  std::map<std::string, std::filesystem::path> live_sources;
};

// Opens (creating and migrating) the data dir's database, seeds echo-tool and playground-llm on
// first start, installs the runagents Python shim under the data dir, and returns the services.
// Throws PlatformError(unavailable) when the data dir or database cannot be used (the message
// names the path and what to do).
Platform open_local_platform(const LocalOptions& options);

// A project's own directory of runagents-mcp state (dev's data dir is .runagents/dev in it).
inline constexpr const char* kProjectDataDir = ".runagents";

// The tool whose calls the platform answers itself by echoing them back (seeded as echo-tool).
inline constexpr const char* kEchoToolBaseUrl = "http://echo.runagents.local";
inline constexpr const char* kPlaygroundModel = "playground-llm";

}  // namespace runagents::platform::local
