// Which runner answers a run_query call (platform/queries.hpp), from the request:
//   - `agent` set: the deployed-agent runner;
//   - `runtime_url` set, or no target given and a default RuntimeUse URL configured
//     (RUNTIMEUSE_WS_URL): the RuntimeUse client;
//   - otherwise (optionally with `devbox_id`): the embedded runtime.
// Two targets in one request (agent with runtime_url or devbox_id, runtime_url with devbox_id)
// are refused with PlatformError(invalid) naming both.
#pragma once

#include <memory>
#include <string>

#include "platform/config/config.hpp"
#include "platform/queries.hpp"

namespace runagents::platform {

struct QueryTargets {
  std::shared_ptr<QueryRunner> agent;       // deployed agents
  std::shared_ptr<QueryRunner> runtimeuse;  // RuntimeUse WebSocket client
  std::shared_ptr<QueryRunner> embedded;    // embedded runtime in a devbox
  std::string default_runtime_url;          // RUNTIMEUSE_WS_URL; "" = none
};

std::shared_ptr<QueryRunner> make_query_router(QueryTargets targets);

}  // namespace runagents::platform
