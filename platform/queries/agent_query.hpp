// run_query with `agent`: the query is an invocation of a deployed agent (local platform, or
// POST /api/agents/{ns}/{name}/invoke on a RunAgents endpoint) and becomes a run. Face-agnostic:
// it uses only AgentService::invoke and ApprovalService::list.
//   - COMPLETED: the agent's response is the answer (text, or JSON when output_schema is given:
//     the response object itself, or its "response" field when that is JSON or a JSON string);
//   - PAUSED_APPROVAL: not an error; the text says plainly that the run waits and names the
//     access request to decide with decide_approval (approval_request_id);
//   - FAILED: result_type error with the run's error.
// Cancel and timeout stop the handler locally (the run ends FAILED); on the remote face they
// abandon the invoke request, and the run, which cannot be stopped from here, continues on the
// platform (the result says so).
// The functions below build those results from how a run ended; the 2026-07-28 task that is a
// handle on the run (agent_runs.hpp) shares them, so both give the same answer.
#pragma once

#include <chrono>
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

// The metadata of a query to agent `who` ("ns/name") that is run `run_id`: runtime, agent,
// run_id, and a note naming the arguments that do not apply to a deployed agent.
json agent_query_metadata(const QueryRequest& request, const std::string& who,
                          const std::string& run_id);

// What run_query answers for a run that ended as `out` says (COMPLETED: the answer, JSON when
// request.output_schema is set; PAUSED_APPROVAL: the access request to decide, found through
// `approvals`, which may be null; FAILED: the error; RUNNING: the answer so far and a note). `r`
// carries the metadata.
QueryResult agent_run_result(QueryResult r, const InvokeResult& out, const std::string& who,
                             const QueryRequest& request, ApprovalService* approvals);

// The error answer of a run stopped at the query's timeout.
QueryResult agent_timed_out(QueryResult r, const InvokeResult& out, const std::string& who,
                            std::chrono::seconds timeout);

}  // namespace runagents::platform
