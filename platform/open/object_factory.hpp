// Which ObjectService the tools use (manage_devbox upload with object_name, run_query's
// object:// downloadables): the local store under the configured data dir, the one local
// devboxes mount from. With the Runloop devbox face (RUNLOOP_API_KEY) every call is refused,
// saying to upload with Runloop's SDK: this server has no Runloop objects client yet, and a
// local object could not be mounted into a Runloop devbox. Opened on first use.
#pragma once

#include <memory>

#include "platform/config/config.hpp"
#include "platform/config/faces.hpp"
#include "platform/objects.hpp"

namespace runagents::platform {

std::shared_ptr<ObjectService> lazy_object_service(const Config& config,
                                                   const EnvLookup& env = process_env);

}  // namespace runagents::platform
