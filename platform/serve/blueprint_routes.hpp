// Runloop's `/v1/blueprints` REST paths over a DevboxService (normally the local sandboxes), in
// Runloop's shapes (platform/wire/blueprint_json.hpp), so Runloop's SDKs with RUNLOOP_BASE_URL
// pointed at `platform serve` build blueprints and start devboxes from them:
//
//   POST /v1/blueprints                      BlueprintCreateParams -> BlueprintView (status
//                                            provisioning; the build goes on)
//   GET  /v1/blueprints?limit&starting_after&name&status   {blueprints, has_more}
//   GET  /v1/blueprints/list_public          {blueprints: [], has_more: false}: no public ones
//   GET  /v1/blueprints/{id}                 BlueprintView
//   GET  /v1/blueprints/{id}/logs            {blueprint_id, logs: [{level, message,
//                                            timestamp_ms}]}
//   POST /v1/blueprints/{id}/delete          {}; its state becomes deleted; 409 while it builds
//   POST /v1/blueprints/preview              {dockerfile}: the dockerfile as given (the local
//                                            builder runs it as written)
//
// Errors are answered as every route of RestServer: {"error": message} with the kind's status.
#pragma once

#include <memory>

#include "platform/devboxes.hpp"
#include "platform/serve/rest_server.hpp"

namespace runagents::platform::serve {

void register_blueprint_routes(RestServer& server, std::shared_ptr<DevboxService> devboxes);

}  // namespace runagents::platform::serve
