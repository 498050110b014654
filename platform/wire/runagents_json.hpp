// The RunAgents API's JSON forms (SDK 1.2.1 and the documented API), shared by the RunAgents
// client (platform/remote/runagents/) and `platform serve` (platform/serve/runagents_routes.cpp)
// so both ends agree by construction. Parsers are tolerant and accept every spelling either side
// uses: both `agent` and `agent_id`, `tool` and `tool_id`, `seq` and `sequence`, `id` and
// `event_id`, `timestamp` and `created_at`, `status` as a string or as {phase, message}, flat tool
// fields or the nested `spec.connection` form, lists as arrays or wrapped in an object
// ({"agents": [...]}, {"items": [...]}). Writers emit both spellings where the SDK and the API
// differ. Pure functions; thread-safe.
//
// Namespace runagents::platform::remote, not runagents::platform like the other wire/ files: the
// RunAgents client and serve's routes use these names unqualified inside platform::remote.
#pragma once

#include <initializer_list>
#include <string>

#include "platform/platform.hpp"

namespace runagents::platform {

Agent agent_from_json(const json& j);
json agent_to_json(const Agent& a);
Tool tool_from_json(const json& j);
json tool_to_json(const Tool& t);
ToolRegistration tool_registration_from_json(const json& j);  // flat or nested
json tool_registration_to_json(const ToolRegistration& t);    // the SDK's flat body
ModelProvider model_provider_from_json(const json& j);
json model_provider_to_json(const ModelProvider& m);
Policy policy_from_json(const json& j);
json policy_to_json(const Policy& p);
PolicyRule policy_rule_from_json(const json& j);
json policy_rule_to_json(const PolicyRule& r);
Run run_from_json(const json& j);
json run_to_json(const Run& r);
RunEvent run_event_from_json(const json& j);
json run_event_to_json(const RunEvent& e);
AccessRequest access_request_from_json(const json& j);
json access_request_to_json(const AccessRequest& a);
// Either shape: the API's (models, requirements) or the tools' (model_providers with file and
// line, detected_requirements); tolerant: a missing field keeps its default.
Analysis analysis_from_json(const json& j);
// The /ingestion/analyze answer as the RunAgents API writes it, each field under both of its
// spellings (models and model_providers, requirements and detected_requirements). Not the shape
// the tools show and the local store keeps: that is platform::analysis_to_json
// (platform/wire/analysis_json.hpp).
json analysis_to_wire(const Analysis& a);
// The SDK 1.2.1 deploy body (non-empty fields only) plus `policies`: policy_names only, since
// the API binds policies by name. policy_rules are not part of it: the client stores them as
// the policy inline_policy_name(agent_name) first and lists that name. dry_run is not part of it
// either (dry runs go to /ingestion/analyze).
json deploy_request_to_json(const DeployRequest& r);
// The policy a deploy's inline rules are stored as: "<agent_name>-inline", with the agent name
// cut (and trailing '-' dropped) so that the whole stays within a 63-character DNS label.
std::string inline_policy_name(const std::string& agent_name);
// Throws PlatformError(invalid) naming the field when a field has the wrong type.
DeployRequest deploy_request_from_json(const json& j);
// The API's deploy result: deploy_result_fields with the API's analysis (analysis_to_wire) and
// the `agent_name` alias of `agent`.
json deploy_result_to_json(const DeployResult& r);
// The fields every deploy result shape has, with `analysis` as the caller writes it. The
// deploy_agent tool's result is this with the tools' analysis (platform::analysis_to_json).
json deploy_result_fields(const DeployResult& r, json analysis);
DeployResult deploy_result_from_json(const json& j);
json workspace_context_to_json(const WorkspaceContext& c);
WorkspaceContext workspace_context_from_json(const json& j);

// The items of a list answer: the array itself, or the first array among `keys` of an object.
// Throws PlatformError(internal) naming `what` when neither is there.
json list_items(const json& body, std::initializer_list<const char*> keys, const char* what);

// Tolerant readers: the value at the nested `path`, or nullptr when a step is missing or null;
// the first of `keys` present as a scalar, as text ("" when none).
const json* field_at(const json& j, std::initializer_list<const char*> path);
std::string text_field(const json& j, std::initializer_list<const char*> keys);

}  // namespace runagents::platform
