// The access-token check of OAuth resource-server mode (docs/CONFIGURATION.md, "OAuth"): a JWT
// (RFC 9068 style) is accepted when
//   - its header names RS256 or ES256 and a key of the issuer's JWKS signs it;
//   - `iss` is the issuer, `aud` (a string or an array) holds the audience;
//   - `exp` is present and not past, `nbf` (when present) not ahead, each with `leeway`.
// The issuer's metadata (RFC 8414 /.well-known/oauth-authorization-server, then OIDC
// /.well-known/openid-configuration) names `jwks_uri`; both are fetched on the first token, the
// keys are kept for `keys_ttl`, and a token whose `kid` is unknown fetches them again, at most
// once per `min_refresh_interval` (so junk kids cannot make us hammer the issuer).
//
// Thread safety: verify() may be called from many threads at once; a fetch holds a lock so only
// one thread talks to the issuer at a time. The token itself never reaches a log line or a
// TokenVerdict::error.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/http/jwk_key.hpp"

namespace runagents::platform {

struct OAuthVerifierOptions {
  std::string issuer;    // compared exactly with `iss`
  std::string audience;  // must be in `aud`
  std::chrono::seconds leeway{60};
  std::chrono::seconds keys_ttl{3600};
  std::chrono::seconds min_refresh_interval{30};
  std::chrono::milliseconds timeout{5000};  // each metadata or JWKS fetch
};

struct VerifiedToken {
  std::string subject;              // `sub`, "" when absent
  std::vector<std::string> scopes;  // `scope` (space-separated) or `scp` (array)
};

struct TokenVerdict {
  std::optional<VerifiedToken> token;  // set when accepted
  std::string error;                   // why not, for the client; never holds the token
  bool issuer_unreachable = false;     // the keys could not be fetched (not the client's fault)
};

class OAuthTokenVerifier {
 public:
  explicit OAuthTokenVerifier(OAuthVerifierOptions options);
  OAuthTokenVerifier(const OAuthTokenVerifier&) = delete;
  OAuthTokenVerifier& operator=(const OAuthTokenVerifier&) = delete;

  TokenVerdict verify(std::string_view jwt);

  // How many times the JWKS has been fetched (tests and diagnostics).
  int jwks_fetches() const;

 private:
  // The key for `kid` ("" = the only key that fits `kty`), fetching the JWKS when none is cached,
  // when the cache is stale, or (rate-limited) when `kid` is unknown. Throws PlatformError when
  // the issuer cannot be reached.
  std::optional<JwkKey> find_key(const std::string& kid, const std::string& kty);
  void fetch_keys();       // holds mu_
  std::string jwks_uri();  // holds mu_; discovers once

  OAuthVerifierOptions opts_;
  mutable std::mutex mu_;
  std::string jwks_uri_;
  std::vector<JwkKey> keys_;
  std::chrono::steady_clock::time_point fetched_at_{};
  std::optional<std::chrono::steady_clock::time_point> last_forced_refresh_;
  int fetches_ = 0;
};

// The scopes of a token's claims: `scope` split on spaces, else `scp` (array or string).
std::vector<std::string> token_scopes(const nlohmann::json& claims);

}  // namespace runagents::platform
