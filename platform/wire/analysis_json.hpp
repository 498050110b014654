// An agent's source Analysis (platform.hpp) as JSON, in the shape the deploy_agent and
// analyze tools show and the local platform stores: entry_point, has_handler,
// handler_signature, framework, tools, llm_libraries, model_providers, secrets,
// detected_requirements, outbound_destinations (the /ingestion/analyze answer plus handler
// details).
//
// The RunAgents API's shape is a superset: analysis_to_wire (platform/wire/runagents_json.hpp)
// writes this plus the API's other spellings, and analysis_from_json there reads either.
#pragma once

#include "platform/platform.hpp"

namespace runagents::platform {

json analysis_to_json(const Analysis& analysis);

}  // namespace runagents::platform
