// OAuth 2.1 resource-server mode of `runagents-mcp --http --oauth-issuer URL`: the server's
// HttpAuthorizer (server/http_authorizer.hpp) over the token verifier
// (platform/http/oauth_token_verifier.hpp), and its command-line flags.
//
// Scopes: runagents:read calls read-only tools (readOnlyHint) and every method that is not
// tools/call; runagents:write calls everything. The bearer token stays here: it is not logged,
// not echoed in a refusal, and nothing hands it to the platform's upstream services.
//
// Thread safety: set_resource() before the transport serves; check() and allows() from any
// thread after.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "platform/http/oauth_token_verifier.hpp"
#include "server/http_authorizer.hpp"

namespace CLI {
class App;
}

namespace runagents::cli {

inline constexpr const char* kReadScope = "runagents:read";
inline constexpr const char* kWriteScope = "runagents:write";

struct OAuthFlags {
  std::string issuer;    // --oauth-issuer; "" = OAuth mode off
  std::string audience;  // --oauth-audience; "" = the server's canonical URL
};

void add_oauth_options(CLI::App& app, OAuthFlags& flags);

class OAuthAuthorizer : public mcp::HttpAuthorizer {
 public:
  explicit OAuthAuthorizer(OAuthFlags flags, platform::OAuthVerifierOptions tuning = {});

  // The server's canonical URL (http://host:port/mcp), known once bound. It is the resource of
  // the metadata, and the audience unless --oauth-audience named one.
  void set_resource(const std::string& canonical_url);

  std::variant<mcp::AuthGrant, mcp::AuthRefusal> check(const std::string& authorization) override;
  std::optional<mcp::AuthRefusal> allows(const mcp::AuthGrant& grant, const std::string& method,
                                         bool tool_read_only) const override;
  mcp::json resource_metadata() const override;

  // The URL of the metadata document for the resource (RFC 9728 §3.1).
  std::string metadata_url() const;

 private:
  std::string challenge(const std::string& error, const std::string& scope) const;

  OAuthFlags flags_;
  platform::OAuthVerifierOptions tuning_;
  std::string resource_;
  std::unique_ptr<platform::OAuthTokenVerifier> verifier_;
};

}  // namespace runagents::cli
