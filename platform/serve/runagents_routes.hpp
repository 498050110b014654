// The RunAgents 1.2.1 REST paths over a Platform (normally the embedded local one), with the JSON
// shapes the RunAgents SDK and the remote client (platform/remote/runagents/runagents_client.hpp)
// expect:
//
//   GET  /api/agents[?namespace=]                  array of agents (every namespace by default)
//   GET  /api/agents/{ns}/{name}                   the agent (404 "agent ns/name not found")
//   POST /api/agents/{ns}/{name}/invoke            {message, history?, user_id?} -> the agent's
//                                                  answer plus run_id and run_status (also in
//                                                  the X-Run-ID and X-Run-Status headers)
//   POST /api/deploy                               SDK deploy body (+ policies: names to bind,
//                                                  or, from older clients, inline rule objects;
//                                                  dry_run) -> 201 created / 200 updated or
//                                                  validated
//   GET  /api/tools, GET /api/tools/{name}, POST /api/tools (flat or nested body; 201 / 200)
//   GET  /api/model-providers, GET /api/policies[?namespace=]
//   POST /api/policies                             {name, spec: {policies: [rules], approvals:
//                                                  []}} -> 201 created / 200 replaced
//   GET|PUT|DELETE /api/policies/{name}            PUT replaces the rules of an existing policy
//                                                  (404 when there is none); DELETE unbinds it
//   POST /api/starter-kit                          201 {tool_created, model_provider_created}
//   GET  /api/context/export                       {generated_at, namespace, resources, errors,
//                                                  meta}
//   POST /ingestion/analyze                        {files} -> 201 analysis
//   GET  /runs[?agent=|agent_id=&status=&limit=]   array of runs, newest first (every status
//                                                  by default, unlike the hosted API)
//   GET  /runs/{id}, GET /runs/{id}/events[?after_seq=&limit=]
//   GET  /governance/requests[?status=&agent_id=&limit=]   every status by default
//   GET  /governance/requests/{id}
//   POST /governance/requests/{id}/approve         optional {scope, duration, reason,
//                                                  approver_id} -> the request plus run_status
//                                                  and agent_response
//   POST /governance/requests/{id}/reject          optional {reason, approver_id}
//
// The namespace of a request is, in order: the path, the body's `namespace`, the
// X-Workspace-Namespace header, the platform's configured namespace.
#pragma once

#include "platform/platform.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

// Registers the routes above on `server`, answering from `platform` (kept alive by the routes).
// Every service of `platform` must be set.
void register_runagents_routes(RestServer& server, const Platform& platform);

}  // namespace runagents::platform::serve
