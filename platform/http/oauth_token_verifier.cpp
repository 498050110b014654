#include "platform/http/oauth_token_verifier.hpp"

#include <spdlog/spdlog.h>

#include <sstream>

#include "platform/error.hpp"
#include "platform/http/base_url.hpp"
#include "platform/http/http_client.hpp"

namespace runagents::platform {

namespace {

using json = nlohmann::json;

// GETs `url` and parses its JSON body; throws PlatformError (unavailable) saying what failed.
json get_json(const std::string& url, std::chrono::milliseconds timeout, const char* what) {
  auto [origin, path] = split_origin(url);
  HttpClient client(HttpClientOptions::plain(origin, "OAuth issuer", timeout, timeout));
  HttpRequest req;
  req.path = path;
  HttpAttempt got = client.attempt(req);
  if (!got.response) {
    throw PlatformError(ErrorKind::unavailable, std::string("cannot fetch the issuer's ") + what +
                                                    " from " + url + ": " + got.failure);
  }
  if (got.response->status != 200) {
    throw PlatformError(ErrorKind::unavailable, std::string("the issuer's ") + what + " at " + url +
                                                    " answered HTTP " +
                                                    std::to_string(got.response->status));
  }
  json body = json::parse(got.response->body, nullptr, false);
  if (!body.is_object()) {
    throw PlatformError(ErrorKind::unavailable, std::string("the issuer's ") + what + " at " + url +
                                                    " is not a JSON object");
  }
  return body;
}

std::optional<json> decode_segment(std::string_view segment) {
  auto bytes = base64url_decode(segment);
  if (!bytes) return std::nullopt;
  json j = json::parse(*bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

bool audience_matches(const json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get<std::string>() == audience;
  if (!aud.is_array()) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get<std::string>() == audience) return true;
  }
  return false;
}

TokenVerdict refuse(std::string why) {
  TokenVerdict v;
  v.error = std::move(why);
  return v;
}

}  // namespace

std::vector<std::string> token_scopes(const json& claims) {
  std::vector<std::string> out;
  auto add_words = [&](const std::string& s) {
    std::istringstream words(s);
    for (std::string w; words >> w;) out.push_back(w);
  };
  if (auto it = claims.find("scope"); it != claims.end() && it->is_string()) {
    add_words(it->get<std::string>());
  } else if (auto scp = claims.find("scp"); scp != claims.end()) {
    if (scp->is_string()) add_words(scp->get<std::string>());
    if (scp->is_array()) {
      for (const auto& s : *scp) {
        if (s.is_string()) out.push_back(s.get<std::string>());
      }
    }
  }
  return out;
}

OAuthTokenVerifier::OAuthTokenVerifier(OAuthVerifierOptions options) : opts_(std::move(options)) {}

int OAuthTokenVerifier::jwks_fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

std::string OAuthTokenVerifier::jwks_uri() {
  if (!jwks_uri_.empty()) return jwks_uri_;
  std::string issuer = opts_.issuer;
  while (issuer.size() > 1 && issuer.back() == '/') issuer.pop_back();
  auto [origin, path] = split_origin(issuer);
  if (path == "/") path.clear();
  // RFC 8414 §3 inserts the well-known segment before the issuer's path; OIDC appends it.
  const std::string candidates[] = {origin + "/.well-known/oauth-authorization-server" + path,
                                    issuer + "/.well-known/openid-configuration"};
  std::string failures;
  for (const auto& url : candidates) {
    try {
      json meta = get_json(url, opts_.timeout, "metadata");
      if (meta.value("issuer", opts_.issuer) != opts_.issuer) {
        throw PlatformError(ErrorKind::unavailable,
                            "the metadata at " + url + " names another issuer");
      }
      jwks_uri_ = meta.value("jwks_uri", "");
      if (jwks_uri_.empty()) {
        throw PlatformError(ErrorKind::unavailable, "the metadata at " + url + " has no jwks_uri");
      }
      return jwks_uri_;
    } catch (const PlatformError& e) {
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
    }
  }
  throw PlatformError(ErrorKind::unavailable,
                      failures + " (check --oauth-issuer: its metadata must name jwks_uri)");
}

void OAuthTokenVerifier::fetch_keys() {
  json jwks = get_json(jwks_uri(), opts_.timeout, "JWKS");
  std::vector<JwkKey> keys;
  if (auto it = jwks.find("keys"); it != jwks.end() && it->is_array()) {
    for (const auto& k : *it) {
      if (auto key = parse_jwk(k)) keys.push_back(std::move(*key));
    }
  }
  ++fetches_;
  fetched_at_ = std::chrono::steady_clock::now();
  keys_ = std::move(keys);
  spdlog::debug("OAuth: fetched {} usable keys from the issuer's JWKS", keys_.size());
}

std::optional<JwkKey> OAuthTokenVerifier::find_key(const std::string& kid, const std::string& kty) {
  std::lock_guard lock(mu_);
  auto lookup = [&]() -> std::optional<JwkKey> {
    std::optional<JwkKey> only;
    int fitting = 0;
    for (const auto& k : keys_) {
      if (!kid.empty() && k.kid == kid) return k;
      if (kid.empty() && k.kty == kty) {
        only = k;
        ++fitting;
      }
    }
    if (kid.empty() && fitting == 1) return only;
    return std::nullopt;
  };
  const auto now = std::chrono::steady_clock::now();
  if (fetches_ == 0 || now - fetched_at_ > opts_.keys_ttl) fetch_keys();
  if (auto key = lookup()) return key;
  // An unknown kid may be a rotated key: fetch again, but not more often than allowed.
  if (last_forced_refresh_ && now - *last_forced_refresh_ < opts_.min_refresh_interval) {
    return std::nullopt;
  }
  last_forced_refresh_ = now;
  fetch_keys();
  return lookup();
}

TokenVerdict OAuthTokenVerifier::verify(std::string_view jwt) {
  const auto dot1 = jwt.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || jwt.find('.', dot2 + 1) != std::string_view::npos) {
    return refuse("the access token is not a JWT (three base64url parts)");
  }
  auto header = decode_segment(jwt.substr(0, dot1));
  auto claims = decode_segment(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(jwt.substr(dot2 + 1));
  if (!header || !claims || !signature) return refuse("the access token is not a well-formed JWT");

  const std::string alg = header->value("alg", "");
  std::string kty;
  if (alg == "RS256") {
    kty = "RSA";
  } else if (alg == "ES256") {
    kty = "EC";
  } else {
    return refuse("the access token's alg '" + alg.substr(0, 16) +
                  "' is not accepted (RS256 or ES256)");
  }
  const std::string kid = header->value("kid", "");
  std::optional<JwkKey> key;
  try {
    key = find_key(kid, kty);
  } catch (const std::exception& e) {
    spdlog::warn("OAuth: {}", e.what());
    TokenVerdict v = refuse("the authorization server's keys are unavailable");
    v.issuer_unreachable = true;
    return v;
  }
  if (!key) return refuse("the access token's signing key is not in the issuer's JWKS");
  if (key->kty != kty)
    return refuse("the access token's signing key is an " + key->kty + " key, which cannot make " +
                  alg + " signatures");
  if (!verify_jws_signature(alg, *key, jwt.substr(0, dot2), *signature)) {
    return refuse("the access token's signature does not verify");
  }

  if (claims->value("iss", json()) != json(opts_.issuer)) {
    return refuse("the access token was issued by another issuer");
  }
  if (!audience_matches(claims->value("aud", json()), opts_.audience)) {
    return refuse("the access token is not meant for this server (aud)");
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto leeway = opts_.leeway.count();
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number()) return refuse("the access token has no exp");
  if (now > exp->get<double>() + static_cast<double>(leeway)) {
    return refuse("the access token has expired");
  }
  if (auto nbf = claims->find("nbf"); nbf != claims->end()) {
    if (!nbf->is_number() || now < nbf->get<double>() - static_cast<double>(leeway)) {
      return refuse("the access token is not valid yet (nbf)");
    }
  }
  TokenVerdict v;
  v.token = VerifiedToken{claims->value("sub", ""), token_scopes(*claims)};
  return v;
}

}  // namespace runagents::platform
