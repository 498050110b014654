// JSON Web Keys (RFC 7517) as OpenSSL public keys, and the JWS signature check (RFC 7518) of the
// two algorithms OAuth mode accepts: RS256 and ES256 (P-256). Every cryptographic step is
// OpenSSL's (EVP_PKEY_fromdata, EVP_DigestVerify); this file only moves bytes between the JOSE
// encodings (base64url, raw r||s signatures) and OpenSSL's.
// Thread safety: free functions; a JwkKey may be shared read-only between threads.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace runagents::platform {

// Decodes base64url without padding (RFC 7515 §2). nullopt when `in` is not base64url.
std::optional<std::string> base64url_decode(std::string_view in);

struct JwkKey {
  std::string kid;                // "" when the JWK has none
  std::string kty;                // "RSA" or "EC"
  std::string alg;                // the JWK's "alg", "" when absent
  std::shared_ptr<EVP_PKEY> key;  // the public key
};

// The public key of an RSA or EC P-256 JWK; nullopt for any other key type, curve, an
// encryption key ("use": "enc") or malformed members.
std::optional<JwkKey> parse_jwk(const nlohmann::json& jwk);

// Whether `signature` (the JWS's raw bytes) signs `signing_input` with `key` under `alg`. Only
// "RS256" (an RSA key) and "ES256" (a P-256 key, 64-byte r||s) can succeed; any other alg,
// including "none" and HS*, or a key of the wrong type, is false.
bool verify_jws_signature(std::string_view alg, const JwkKey& key, std::string_view signing_input,
                          std::string_view signature);

}  // namespace runagents::platform
