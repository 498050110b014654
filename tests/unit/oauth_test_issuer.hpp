// A test OAuth issuer: keys made at test time with OpenSSL (RSA 2048, EC P-256), its RFC 8414
// metadata and JWKS served by cpp-httplib on 127.0.0.1, and JWTs signed with those keys.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace oauth_test {

using json = nlohmann::json;

inline std::string b64url(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

inline std::string bn_bytes(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  REQUIRE(EVP_PKEY_get_bn_param(key, name, &bn) == 1);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

struct TestKey {
  std::string kid;
  std::string alg;  // RS256 or ES256
  std::shared_ptr<EVP_PKEY> key;

  static TestKey rsa(std::string kid) {
    return {std::move(kid), "RS256", std::shared_ptr<EVP_PKEY>(EVP_RSA_gen(2048), &EVP_PKEY_free)};
  }
  static TestKey ec(std::string kid) {
    return {std::move(kid), "ES256",
            std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), &EVP_PKEY_free)};
  }

  json jwk() const {
    if (alg == "RS256") {
      return {{"kty", "RSA"},
              {"kid", kid},
              {"use", "sig"},
              {"alg", alg},
              {"n", b64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_N))},
              {"e", b64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
    }
    unsigned char point[65];
    size_t len = 0;
    REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                            &len) == 1);
    REQUIRE(len == 65);
    const std::string p(reinterpret_cast<char*>(point), len);
    return {{"kty", "EC"},
            {"kid", kid},
            {"crv", "P-256"},
            {"x", b64url(p.substr(1, 32))},
            {"y", b64url(p.substr(33, 32))}};
  }

  std::string sign(const std::string& input) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1);
    size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(input.data());
    REQUIRE(EVP_DigestSign(md.get(), nullptr, &len, in, input.size()) == 1);
    std::string sig(len, '\0');
    REQUIRE(EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           input.size()) == 1);
    sig.resize(len);
    if (alg == "RS256") return sig;
    // DER to the JWS form r||s, each 32 bytes.
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    REQUIRE(es != nullptr);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }
};

inline long long now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A JWT of `claims` signed by `key` (header alg and kid from the key unless `header` overrides).
inline std::string make_jwt(const TestKey& key, const json& claims, json header = json::object()) {
  if (!header.contains("alg")) header["alg"] = key.alg;
  if (!header.contains("kid")) header["kid"] = key.kid;
  header["typ"] = "at+jwt";
  const std::string input = b64url(header.dump()) + "." + b64url(claims.dump());
  return input + "." + b64url(key.sign(input));
}

// The issuer: /.well-known/oauth-authorization-server and /jwks on an ephemeral port.
class TestIssuer {
 public:
  TestIssuer() {
    svr_.Get("/.well-known/oauth-authorization-server",
             [this](const httplib::Request&, httplib::Response& res) {
               res.set_content(json{{"issuer", url()}, {"jwks_uri", url() + "/jwks"}}.dump(),
                               "application/json");
             });
    svr_.Get("/jwks", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++jwks_hits;
      json keys = json::array();
      for (const auto& k : published_) keys.push_back(k.jwk());
      res.set_content(json{{"keys", keys}}.dump(), "application/json");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
  }
  ~TestIssuer() {
    svr_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void publish(const TestKey& key) {
    std::lock_guard lock(mu_);
    published_.push_back(key);
  }

  std::atomic<int> jwks_hits{0};

 private:
  httplib::Server svr_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<TestKey> published_;
};

}  // namespace oauth_test
