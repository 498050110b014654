// What the RunAgents services (runagents_*.cpp in this folder) share: the connection type and
// two call helpers. Internal to platform/remote/runagents/.
#pragma once

#include <memory>
#include <string>

#include "platform/http/http_client.hpp"
#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/wire/runagents_json.hpp"

namespace runagents::platform::remote {

using Conn = std::shared_ptr<RunAgentsConnection>;

// Rethrows a not-found answer with the interface's message, keeping the server's detail.
[[noreturn]] inline void not_found(const RemoteError& e, const std::string& message) {
  throw RemoteError(ErrorKind::not_found, message + " (" + e.what() + ")", e.http_status(),
                    e.detail(), e.body());
}

// One path segment, percent-encoded.
inline std::string seg(const std::string& s) {
  return encode_path_segment(s);
}

}  // namespace runagents::platform::remote
