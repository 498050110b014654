// OAuth resource-server mode: the token verifier (platform/http/oauth_token_verifier.hpp) and
// the scope rules (app/oauth_authorizer.hpp) against a test issuer on 127.0.0.1.
#include <doctest/doctest.h>

#include "app/oauth_authorizer.hpp"
#include "oauth_test_issuer.hpp"
#include "platform/http/oauth_token_verifier.hpp"

using namespace runagents;
using oauth_test::json;
using oauth_test::make_jwt;
using oauth_test::now_seconds;
using oauth_test::TestKey;

namespace {

const std::string kAudience = "http://127.0.0.1:9/mcp";

json claims_for(const oauth_test::TestIssuer& issuer, const std::string& scope = "runagents:read") {
  return {{"iss", issuer.url()},        {"aud", kAudience},     {"sub", "alice"},
          {"exp", now_seconds() + 300}, {"iat", now_seconds()}, {"scope", scope}};
}

}  // namespace

TEST_CASE("OAuth verifier: a valid RS256 or ES256 token is accepted with its scopes") {
  oauth_test::TestIssuer issuer;
  const TestKey rsa = TestKey::rsa("r1"), ec = TestKey::ec("e1");
  issuer.publish(rsa);
  issuer.publish(ec);
  platform::OAuthVerifierOptions o{issuer.url(), kAudience};
  platform::OAuthTokenVerifier v(o);
  auto a = v.verify(make_jwt(rsa, claims_for(issuer, "runagents:read runagents:write")));
  REQUIRE_MESSAGE(a.token, a.error);
  CHECK(a.token->subject == "alice");
  CHECK(a.token->scopes == std::vector<std::string>{"runagents:read", "runagents:write"});
  json c = claims_for(issuer);
  c.erase("scope");
  c["scp"] = {"runagents:write"};
  c["aud"] = {"other", kAudience};
  auto b = v.verify(make_jwt(ec, c));
  REQUIRE_MESSAGE(b.token, b.error);
  CHECK(b.token->scopes == std::vector<std::string>{"runagents:write"});
  CHECK(v.jwks_fetches() == 1);  // cached
}

TEST_CASE("OAuth verifier: bad signature, wrong iss or aud, expired, nbf ahead, alg none") {
  oauth_test::TestIssuer issuer;
  const TestKey key = TestKey::rsa("k1");
  const TestKey stranger = TestKey::rsa("k1");  // same kid, not published
  issuer.publish(key);
  platform::OAuthVerifierOptions o{issuer.url(), kAudience};
  platform::OAuthTokenVerifier v(o);
  REQUIRE(v.verify(make_jwt(key, claims_for(issuer))).token);

  auto refused = [&](const std::string& jwt, const char* words) {
    auto r = v.verify(jwt);
    CHECK_FALSE(r.token);
    CHECK_MESSAGE(r.error.find(words) != std::string::npos, r.error);
    CHECK(r.error.find(jwt) == std::string::npos);
  };
  refused(make_jwt(stranger, claims_for(issuer)), "signature");
  json c = claims_for(issuer);
  c["iss"] = "http://evil.example";
  refused(make_jwt(key, c), "another issuer");
  c = claims_for(issuer);
  c["aud"] = "http://127.0.0.1:9/other";
  refused(make_jwt(key, c), "aud");
  c = claims_for(issuer);
  c["exp"] = now_seconds() - 120;  // beyond the 60 s leeway
  refused(make_jwt(key, c), "expired");
  c = claims_for(issuer);
  c["nbf"] = now_seconds() + 600;
  refused(make_jwt(key, c), "nbf");
  c = claims_for(issuer);
  c.erase("exp");
  refused(make_jwt(key, c), "no exp");

  // alg none: an unsigned token with the right claims.
  const std::string none = oauth_test::b64url(json{{"alg", "none"}, {"kid", "k1"}}.dump()) + "." +
                           oauth_test::b64url(claims_for(issuer).dump()) + ".";
  refused(none, "alg");
  // HS256 with the public key's modulus as the "secret" never reaches a MAC check.
  const std::string hs = oauth_test::b64url(json{{"alg", "HS256"}, {"kid", "k1"}}.dump()) + "." +
                         oauth_test::b64url(claims_for(issuer).dump()) + ".AAAA";
  refused(hs, "alg");
  // An RS256 header over an ES256 signature does not verify.
  refused(make_jwt(key, claims_for(issuer), {{"alg", "ES256"}}), "signing key");
  refused("not-a-jwt", "not a JWT");
}

TEST_CASE("OAuth verifier: an unknown kid refreshes the JWKS once, then accepts a rotated key") {
  oauth_test::TestIssuer issuer;
  const TestKey first = TestKey::ec("old"), rotated = TestKey::ec("new");
  issuer.publish(first);
  platform::OAuthVerifierOptions o{issuer.url(), kAudience};
  platform::OAuthTokenVerifier v(o);
  REQUIRE(v.verify(make_jwt(first, claims_for(issuer))).token);
  CHECK(v.jwks_fetches() == 1);

  issuer.publish(rotated);
  auto r = v.verify(make_jwt(rotated, claims_for(issuer)));
  REQUIRE_MESSAGE(r.token, r.error);
  CHECK(v.jwks_fetches() == 2);
  REQUIRE(v.verify(make_jwt(rotated, claims_for(issuer))).token);
  CHECK(v.jwks_fetches() == 2);

  // Junk kids right after may not hammer the issuer: no further fetch within the interval.
  const TestKey junk = TestKey::ec("junk");
  CHECK_FALSE(v.verify(make_jwt(junk, claims_for(issuer))).token);
  CHECK_FALSE(v.verify(make_jwt(junk, claims_for(issuer))).token);
  CHECK(v.jwks_fetches() == 2);
  CHECK(issuer.jwks_hits == 2);
}

TEST_CASE("OAuth verifier: an unreachable issuer is said so, not blamed on the token") {
  platform::OAuthVerifierOptions o{"http://127.0.0.1:1", kAudience};
  o.timeout = std::chrono::milliseconds(2000);
  platform::OAuthTokenVerifier v(o);
  const TestKey key = TestKey::rsa("k");
  auto r = v.verify(make_jwt(key, {{"iss", "http://127.0.0.1:1"}}));
  CHECK_FALSE(r.token);
  CHECK(r.issuer_unreachable);
}

TEST_CASE("OAuth authorizer: challenges and scopes") {
  oauth_test::TestIssuer issuer;
  const TestKey key = TestKey::rsa("k1");
  issuer.publish(key);
  cli::OAuthAuthorizer auth({issuer.url(), ""});
  auth.set_resource(kAudience);
  CHECK(auth.metadata_url() == "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp");
  auto meta = auth.resource_metadata();
  CHECK(meta["resource"] == kAudience);
  CHECK(meta["authorization_servers"] == json{issuer.url()});

  auto missing = std::get<mcp::AuthRefusal>(auth.check(""));
  CHECK(missing.status == 401);
  CHECK(missing.www_authenticate ==
        "Bearer resource_metadata=\"http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp\", "
        "scope=\"runagents:read runagents:write\"");
  auto bad = std::get<mcp::AuthRefusal>(auth.check("Bearer abc.def.ghi"));
  CHECK(bad.status == 401);
  CHECK(bad.www_authenticate.find("error=\"invalid_token\"") != std::string::npos);

  auto read = std::get<mcp::AuthGrant>(auth.check("Bearer " + make_jwt(key, claims_for(issuer))));
  CHECK_FALSE(auth.allows(read, "tools/list", false));
  CHECK_FALSE(auth.allows(read, "initialize", false));
  CHECK_FALSE(auth.allows(read, "tools/call", true));
  auto denied = auth.allows(read, "tools/call", false);
  REQUIRE(denied);
  CHECK(denied->status == 403);
  CHECK(denied->www_authenticate.find("error=\"insufficient_scope\"") != std::string::npos);
  CHECK(denied->www_authenticate.find("scope=\"runagents:write\"") != std::string::npos);

  auto write = std::get<mcp::AuthGrant>(
      auth.check("bearer " + make_jwt(key, claims_for(issuer, "runagents:write"))));
  CHECK_FALSE(auth.allows(write, "tools/call", false));
  mcp::AuthGrant none;
  CHECK(auth.allows(none, "tools/list", false));
}
