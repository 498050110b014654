// A Platform whose services are opened on first use. The server starts in milliseconds and
// without side effects (no data dir is created just to list tools), and a platform that cannot
// be opened (unwritable data dir, bad endpoint) makes each tool call fail with the reason
// instead of stopping the server.
#pragma once

#include <functional>

#include "platform/platform.hpp"

namespace runagents::platform {

// `open` runs at most once successfully, on the first call of any service (thread-safe); while
// it throws, every call rethrows its error and the next call tries again. `ns` and `faces` are
// known up front and copied into the result.
Platform lazy_platform(std::function<Platform()> open, std::string ns,
                       std::map<std::string, Face> faces);

}  // namespace runagents::platform
