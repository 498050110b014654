// Which DevboxService the tools use: the one devbox_face() (config/faces.hpp) names, Runloop
// when RUNLOOP_API_KEY is set, else the local sandboxes under the configured data dir. The service
// opens on first use, so the server starts without touching the data dir or the network, and a
// failure to open is reported by each call.
#pragma once

#include <cstddef>
#include <memory>

#include "platform/config/config.hpp"
#include "platform/config/faces.hpp"
#include "platform/devboxes.hpp"

namespace runagents::platform {

// The service for that face, opened lazily (thread-safe; retried while opening fails).
// `max_local_executions`: the local sandboxes' cap on commands running at once
// (LocalDevboxOptions::max_executions, --max-devbox-executions; 0: none); Runloop has its own.
std::shared_ptr<DevboxService> lazy_devbox_service(const Config& config,
                                                   std::size_t max_local_executions = 0,
                                                   const EnvLookup& env = process_env);

// Forwards every call to the service `open` returns on first use.
std::shared_ptr<DevboxService> lazy_devboxes(std::function<std::shared_ptr<DevboxService>()> open);

}  // namespace runagents::platform
