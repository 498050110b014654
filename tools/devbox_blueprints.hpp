// manage_devbox's blueprint actions (issue 12; Runloop's blueprints): create_blueprint,
// get_blueprint, list_blueprints, blueprint_logs, delete_blueprint. They reach blueprints only
// through platform::DevboxService, so local builds and Runloop's answer alike; create_devbox's
// blueprint_id / blueprint_name then start devboxes from one.
#pragma once

#include <string>

#include "platform/devboxes.hpp"
#include "server/request_context.hpp"
#include "server/tool_registry.hpp"

namespace runagents::tools {

bool is_blueprint_action(const std::string& action);

// Runs `action` with manage_devbox's `args`: fills `out` (blueprint, blueprints, logs...) and
// returns the text summary. create_blueprint and get_blueprint wait up to wait_seconds for the
// build to end (returning as soon as it does, or when the request is cancelled). Throws
// PlatformError: invalid for a missing argument (naming it), and as the service does.
std::string blueprint_action(platform::DevboxService& devboxes, const std::string& action,
                             const mcp::json& args, mcp::json& out, mcp::RequestContext& ctx);

}  // namespace runagents::tools
