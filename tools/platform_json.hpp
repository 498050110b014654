// Platform values as the tools show them (the shapes of schemas/<tool>.output.json).
#pragma once

#include "platform/platform.hpp"
#include "server/json_rpc.hpp"

namespace runagents::tools {

using mcp::json;

json agent_summary_json(const platform::Agent& agent);
json agent_detail_json(const platform::Agent& agent);
json tool_json(const platform::Tool& tool);
json run_json(const platform::Run& run);
json event_json(const platform::RunEvent& event);
json access_request_json(const platform::AccessRequest& request);
json model_provider_json(const platform::ModelProvider& provider);
json policy_json(const platform::Policy& policy);
json deploy_result_json(const platform::DeployResult& result);

// Arguments of deploy_agent as a DeployRequest (policies split into inline rules and names).
// Throws PlatformError(invalid) for a policy rule naming neither tool nor resource.
platform::DeployRequest deploy_request_from_args(const json& args);

}  // namespace runagents::tools
