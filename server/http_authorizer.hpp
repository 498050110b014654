// The authorization hook of the MCP HTTP endpoint (OAuth resource-server mode). The transport
// knows HTTP and MCP; an HttpAuthorizer knows tokens and scopes. It is implemented outside
// server/ (app/oauth_authorizer.hpp, over platform/http/oauth_token_verifier.hpp) and handed in
// through HttpOptions::authorizer; without one, only the plain --auth-token guard applies.
//
// Per POST the transport calls check() with the Authorization header, then, once the body is
// parsed, allows() with the JSON-RPC method and, for tools/call, whether the tool is read-only.
// GET and DELETE need only check(). A refusal becomes the HTTP status, the WWW-Authenticate
// header and a JSON-RPC error body carrying `message`.
//
// Thread safety: both calls come from many connection threads at once. check() may block while
// the implementation fetches keys.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/json_rpc.hpp"

namespace runagents::mcp {

struct AuthGrant {
  std::vector<std::string> scopes;
  std::string subject;  // who the token speaks for (`sub`); "" when unknown. Keys --rate-limit.
};

struct AuthRefusal {
  int status = 401;              // 401 (no or bad token), 403 (insufficient scope), 503
  std::string www_authenticate;  // the challenge; "" = no header
  std::string message;           // for the client; never holds the token
};

class HttpAuthorizer {
 public:
  virtual ~HttpAuthorizer() = default;

  // `authorization`: the Authorization header's value, "" when absent.
  virtual std::variant<AuthGrant, AuthRefusal> check(const std::string& authorization) = 0;

  // nullopt when `grant` may call `method`; `tool_read_only` is meaningful for tools/call only.
  virtual std::optional<AuthRefusal> allows(const AuthGrant& grant, const std::string& method,
                                            bool tool_read_only) const = 0;

  // The RFC 9728 protected-resource metadata document.
  virtual json resource_metadata() const = 0;
};

}  // namespace runagents::mcp
