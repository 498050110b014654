// Runs an agent's handler for a run: one execution in a fresh bubblewrap sandbox (no network,
// the agent's sources in /home/user/src, or its live source read-only at /workspace for
// runagents-mcp dev (LocalOptions::live_sources), the runagents shim and the platform's runner on
// PYTHONPATH) whose only way out is an Egress mounted at /run/runagents/egress.sock. Records how
// the execution ended in the run: COMPLETED (AGENT_MESSAGE, COMPLETED), FAILED (FAILED with the
// error) or PAUSED_APPROVAL (left for decide() to resume). Internal to platform/local.
#pragma once

#include <memory>

#include "platform/local/services/local_state.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/run_store.hpp"

namespace runagents::platform::local {

// Throws PlatformError(unavailable), changing nothing, when agents cannot run on this host
// (bwrap or python3 missing or unusable); the message says what to install.
void require_agent_runtime(const LocalState& state);

// Executes the handler once for `run` (which must be RUNNING), with `resume` (null, or
// {action_id, state, approved}) added to the request. Blocks until the handler returns, fails or
// times out. A failure of the agent's code is recorded in the run, not thrown. When `cancel`
// (optional) fires, the handler's sandbox is killed and the run ends FAILED ("cancelled").
InvokeResult execute_run(const std::shared_ptr<LocalState>& state, const AgentRecord& agent,
                         const RunRecord& run, const json& resume,
                         const std::shared_ptr<ExecCancel>& cancel = nullptr);

}  // namespace runagents::platform::local
