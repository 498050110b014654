// Builds the Platform the tools use from the configuration: the RunAgents face when an endpoint
// is configured, the embedded local platform otherwise (see faces_for() in config.hpp).
#pragma once

#include "platform/config/config.hpp"
#include "platform/platform.hpp"

namespace runagents::platform {

// Throws PlatformError: invalid for a bad endpoint, unavailable when the local data dir cannot
// be used (the message names it and what to do).
Platform open_platform(const Config& config);

}  // namespace runagents::platform
