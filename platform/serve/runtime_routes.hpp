// The RunAgents agent runtime's HTTP face (the SDK's runtime.py, reference §3), answered from a
// Platform: a client written for a RunAgents runtime can invoke an agent, read the run as the
// runtime's SSE stream, and resume it after an approval.
//
//   POST {prefix}/invoke                    {message, history?, user_id?}: the Tier 2 answer, the
//                                           handler's dict plus response, model, usage,
//                                           tool_calls_made, duration_ms, request_id, handler
//   POST {prefix}/invoke/stream             the same run as SSE `data: {json}` lines: the traced
//                                           tool_call/tool_result pairs, content,
//                                           approval_required, done, then `data: [DONE]` (as the
//                                           runtime does for Tier 2 handlers: a replay once the
//                                           handler has returned)
//   POST {prefix}/resume/{action_id}[/stream]  X-Run-ID or {run_id}: approves the run's held
//                                           action (scope once) and answers the resumed run as
//                                           /invoke does; 400 without a run id, 404
//                                           "checkpoint for action <id> not found" when no
//                                           pending request of that run holds that action
//
// `runagents-mcp dev` registers them at the root for its one agent; `platform serve` under
// /api/agents/{namespace}/{name} beside its /invoke (runagents_routes.cpp). Every answer also
// carries the run as X-Run-ID and X-Run-Status.
#pragma once

#include <functional>
#include <string>

#include "platform/platform.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

struct RuntimeAgent {
  std::string ns;  // empty: the platform's namespace
  std::string name;
};

struct RuntimeRoutes {
  // A regex path prefix ("" or "/api/agents/([^/]+)/([^/]+)").
  std::string prefix;
  // The agent a request is for, from the prefix's matches.
  std::function<RuntimeAgent(const httplib::Request&)> agent;
  // Whether to register {prefix}/invoke too (platform serve has its own, with the API's shape).
  bool invoke = true;
};

// Registers the routes above on `server`, answering from `platform` (kept alive by them).
void register_runtime_routes(RestServer& server, const Platform& platform, RuntimeRoutes routes);

// The Tier 2 /invoke answer for a finished invoke (or resume) of `agent`, from its result and
// the run's events with seq > after_seq (the tool calls it made).
json runtime_answer(Platform& platform, const RuntimeAgent& agent, const InvokeResult& result,
                    std::int64_t after_seq, long long duration_ms, const std::string& request_id);

// The runtime's SSE body for an answer: one `data: {json}\n\n` per event, then `data: [DONE]`.
std::string runtime_stream(const json& answer);

}  // namespace runagents::platform::serve
