// The Runloop wire shapes of blueprints: BlueprintCreateParams (the POST /v1/blueprints body),
// BlueprintView, BlueprintListView and BlueprintBuildLogsListView. `platform serve` writes them
// and the Runloop client reads them, as devbox_json.hpp does for devboxes. Parsing of views is
// tolerant (missing optional fields take their defaults, unknown fields are ignored); parsing of
// a create body names the field that has the wrong type.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "platform/devboxes.hpp"

namespace runagents::platform {

using json = nlohmann::json;

// BlueprintCreateParams / BlueprintBuildParameters. Code mount tokens are written only when
// `with_tokens` (the create body; a view never carries them).
json blueprint_parameters_to_wire(const BlueprintParameters& params, bool with_tokens);
// Throws PlatformError(invalid) naming the field for a value of the wrong type, and for a
// build_context whose type is not "object".
BlueprintParameters blueprint_parameters_from_wire(const json& body);

json blueprint_to_wire(const Blueprint& blueprint);
Blueprint blueprint_from_wire(const json& view);

// {blueprints: [...], has_more, total_count?}
json blueprint_page_to_wire(const BlueprintPage& page);
BlueprintPage blueprint_page_from_wire(const json& view);

// {blueprint_id, logs: [{level, message, timestamp_ms}]}
json blueprint_logs_to_wire(const std::string& blueprint_id, const std::vector<BlueprintLog>& logs);
std::vector<BlueprintLog> blueprint_logs_from_wire(const json& view);

}  // namespace runagents::platform
