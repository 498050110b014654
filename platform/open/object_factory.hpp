// Which ObjectService the tools use (manage_devbox upload with object_name, run_query's
// object:// downloadables): the one the devboxes mount from. The local store under the
// configured data dir, or with the Runloop devbox face (RUNLOOP_API_KEY) Runloop's objects
// (remote/runloop/runloop_objects.hpp). Opened on first use.
#pragma once

#include <memory>

#include "platform/config/config.hpp"
#include "platform/config/faces.hpp"
#include "platform/objects.hpp"

namespace runagents::platform {

std::shared_ptr<ObjectService> lazy_object_service(const Config& config,
                                                   const EnvLookup& env = process_env);

}  // namespace runagents::platform
