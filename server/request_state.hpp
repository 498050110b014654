// Integrity-protected requestState for multi round-trip requests (MCP 2026-07-28, SEP-2322).
//
// The state a handler carries from one round to the next travels through the client, so it is
// attacker-controlled: it is sealed with HMAC-SHA256 under a key only the server holds, bound to
// the request it belongs to (method and tool, prompt or resource name) and given an expiry.
// Anything that fails verification is rejected, never trusted. Servers that share a key (the
// replicas of one deployment) accept each other's state. Thread-safe after construction.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

class RequestStateCodec {
 public:
  // `key` is the secret (at least 32 bytes of randomness); empty generates a random one.
  explicit RequestStateCodec(std::string key = {},
                             std::chrono::seconds lifetime = std::chrono::seconds(600));

  // "<payload>.<mac>", both base64url; `bind` names the request it belongs to. It expires after
  // the codec's lifetime, or after `lifetime` when given.
  std::string seal(const json& payload, const std::string& bind,
                   std::optional<std::chrono::seconds> lifetime = std::nullopt) const;
  // The payload of a token `seal` made for the same `bind` that has not expired. Throws
  // RpcError(-32602) otherwise, with a message that says why.
  json open(const std::string& token, const std::string& bind) const;

  static std::string random_key();

 private:
  std::string mac(const std::string& data) const;

  std::string key_;
  std::chrono::seconds lifetime_;
};

}  // namespace runagents::mcp
