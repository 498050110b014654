// run_query with `agent`: the query is an invocation of a deployed agent (local platform, or
// POST /api/agents/{ns}/{name}/invoke on a RunAgents endpoint) and becomes a run. Face-agnostic:
// it uses only AgentService::invoke and ApprovalService::list.
//   - COMPLETED: the agent's response is the answer (text, or JSON when output_schema is given:
//     the response object itself, or its "response" field when that is JSON or a JSON string);
//   - PAUSED_APPROVAL: not an error; the text says plainly that the run waits and names the
//     access request to decide with decide_approval (approval_request_id);
//   - FAILED: result_type error with the run's error.
// Cancel and timeout stop the handler locally (the run ends FAILED); a remote run cannot be
// stopped from here and continues on the platform (the result says so).
#pragma once

#include <memory>
#include <string>

#include "platform/platform.hpp"
#include "platform/queries.hpp"

namespace runagents::platform {

// Throws PlatformError from invoke before anything runs: not_found for an unknown agent (naming
// list_agents), conflict for an agent that is not Running.
std::shared_ptr<QueryRunner> make_agent_query_runner(std::shared_ptr<AgentService> agents,
                                                     std::shared_ptr<ApprovalService> approvals,
                                                     std::string default_ns);

}  // namespace runagents::platform
