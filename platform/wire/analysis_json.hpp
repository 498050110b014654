// An agent's source Analysis (platform.hpp) as JSON, in the shape the deploy_agent and
// analyze tools show and the local platform stores: entry_point, has_handler,
// handler_signature, framework, tools, llm_libraries, model_providers, secrets,
// detected_requirements, outbound_destinations (the /ingestion/analyze answer plus handler
// details).
//
// The RunAgents client (platform/remote/runagents/runagents_client.hpp) has its own converters,
// for the platform's wire format (remote::analysis_to_wire in platform/wire/runagents_json.hpp
// writes both spellings of each field); they differ on purpose and live in platform::remote.
#pragma once

#include "platform/platform.hpp"

namespace runagents::platform {

json analysis_to_json(const Analysis& analysis);
// Tolerant: a missing field keeps its default; a non-object gives an empty Analysis.
Analysis analysis_from_json(const json& j);

}  // namespace runagents::platform
