// run_query as a 2026-07-28 task on the RunAgents face (issue 9 §3): a call with `agent` becomes
// a handle on the RunAgents run it makes, {run_id, agent, ns, started_ms, timeout_s, query_id,
// metadata, output_schema?}, sealed into the task id, so any replica that shares the state key
// answers tasks/get and tasks/cancel by reading the run (platform/queries/agent_runs.hpp):
//   - running: working, with the elapsed time;
//   - COMPLETED or PAUSED_APPROVAL: completed, with the CallToolResult the synchronous call gives
//     (the answer from the run's last AGENT_MESSAGE; for a paused run, the access request to
//     decide);
//   - FAILED: completed with that call's error result (isError, the reason from the run's
//     events), as an in-process 2026-07-28 task of the same call would end; `cancelled` when
//     tasks/cancel stopped it; past timeout_s the replica that polls sets it FAILED (timed out).
// Other calls (RuntimeUse, the embedded runtime, async/query_id, secrets_to_redact: the handle
// is signed, not encrypted, so secrets stay out of it) run as in-process tasks (start: nullopt).
#pragma once

#include <memory>

#include "platform/platform.hpp"
#include "server/tasks/remote_task.hpp"
#include "tools/query_artifacts.hpp"

namespace runagents::tools {

std::shared_ptr<const mcp::RemoteTaskOps> agent_run_task(const platform::Platform& platform,
                                                         std::shared_ptr<QueryArtifactStore> store);

}  // namespace runagents::tools
