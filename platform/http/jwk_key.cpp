#include "platform/http/jwk_key.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>

#include <vector>

namespace runagents::platform {

namespace {

using json = nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn to_bn(std::string_view bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()), nullptr));
}

std::optional<std::string> member_bytes(const json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return base64url_decode(it->get<std::string>());
}

// Builds a public key of `type` ("RSA", "EC") from the parameters `fill` pushes.
template <typename Fill>
std::shared_ptr<EVP_PKEY> key_from_params(const char* type, Fill fill) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (!bld || !fill(bld.get())) return nullptr;
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()),
                                                                 &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) {
    return nullptr;
  }
  return std::shared_ptr<EVP_PKEY>(pkey, &EVP_PKEY_free);
}

std::shared_ptr<EVP_PKEY> rsa_key(const json& jwk) {
  auto n = member_bytes(jwk, "n");
  auto e = member_bytes(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  Bn bn_n = to_bn(*n), bn_e = to_bn(*e);
  if (!bn_n || !bn_e) return nullptr;
  return key_from_params("RSA", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) &&
           OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, bn_e.get());
  });
}

std::shared_ptr<EVP_PKEY> p256_key(const json& jwk) {
  if (jwk.value("crv", "") != "P-256") return nullptr;
  auto x = member_bytes(jwk, "x");
  auto y = member_bytes(jwk, "y");
  if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  return key_from_params("EC", [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  });
}

bool digest_verify(EVP_PKEY* key, std::string_view input, const unsigned char* sig,
                   size_t sig_len) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(md.get(), sig, sig_len,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

// JWS carries an ECDSA signature as r||s; OpenSSL verifies DER.
std::optional<std::vector<unsigned char>> es256_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return std::nullopt;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::vector<unsigned char> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view in) {
  std::string b64;
  b64.reserve(in.size() + 3);
  for (char c : in) {
    if (c == '-') {
      b64 += '+';
    } else if (c == '_') {
      b64 += '/';
    } else if (std::isalnum(static_cast<unsigned char>(c))) {
      b64 += c;
    } else {
      return std::nullopt;  // padding, whitespace and the standard alphabet's +/ are not base64url
    }
  }
  if (b64.size() % 4 == 1) return std::nullopt;
  const size_t pad = (4 - b64.size() % 4) % 4;
  b64.append(pad, '=');
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

std::optional<JwkKey> parse_jwk(const json& jwk) {
  if (!jwk.is_object() || jwk.value("use", "sig") != "sig") return std::nullopt;
  JwkKey out;
  out.kty = jwk.value("kty", "");
  out.kid = jwk.value("kid", "");
  out.alg = jwk.value("alg", "");
  if (out.kty == "RSA") {
    out.key = rsa_key(jwk);
  } else if (out.kty == "EC") {
    out.key = p256_key(jwk);
  }
  if (!out.key) return std::nullopt;
  return out;
}

bool verify_jws_signature(std::string_view alg, const JwkKey& key, std::string_view signing_input,
                          std::string_view signature) {
  if (!key.key || (!key.alg.empty() && key.alg != alg)) return false;
  if (alg == "RS256") {
    if (!EVP_PKEY_is_a(key.key.get(), "RSA")) return false;
    return digest_verify(key.key.get(), signing_input,
                         reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size());
  }
  if (alg == "ES256") {
    if (!EVP_PKEY_is_a(key.key.get(), "EC")) return false;
    auto der = es256_to_der(signature);
    return der && digest_verify(key.key.get(), signing_input, der->data(), der->size());
  }
  return false;  // "none", HS* (a public key is no shared secret) and everything else
}

}  // namespace runagents::platform
