// Which face answers each domain, and why: the one place that decides it. The wiring (app/cli.cpp
// and open/), the tools' annotations and `runagents-mcp doctor` all read it from here.
//
//   agents, tools, runs, approvals, workspace: the RunAgents endpoint when one is configured
//     (Config::remote_runagents()), else the embedded local platform in the data dir;
//   devboxes: Runloop when RUNLOOP_API_KEY is set (RUNLOOP_BASE_URL, default api.runloop.ai),
//     else bubblewrap sandboxes in the data dir;
//   queries: the RuntimeUse runtime at runtimeuse_ws_url when set, else the embedded runtime
//     (a call may still name a deployed agent, a devbox or a runtime_url).
//
// Pure functions of the configuration and the environment: no I/O, never throw.
#pragma once

#include <map>
#include <string>

#include "platform/config/config.hpp"
#include "platform/platform.hpp"

namespace runagents::platform {

// The face of every domain above under `config` and `env`, with the reason.
std::map<std::string, Face> faces_for(const Config& config, const EnvLookup& env = process_env);

// The face of the agent-platform domains (agents, tools, runs, approvals, workspace).
Face runagents_face(const Config& config);
// The face of the devboxes domain.
Face devbox_face(const Config& config, const EnvLookup& env = process_env);
// The face of the queries domain.
Face query_face(const Config& config);

}  // namespace runagents::platform
