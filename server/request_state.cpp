#include "server/request_state.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "platform/common/random_hex.hpp"
#include "server/base64.hpp"

namespace runagents::mcp {

namespace {

// base64url without padding, so the token survives URLs and headers unchanged.
std::string to_url(std::string b64) {
  for (char& c : b64) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return b64;
}

std::string from_url(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (s.size() % 4) s.push_back('=');
  return s;
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RpcError invalid(const std::string& why) {
  return RpcError(error_code::invalid_params,
                  "Invalid requestState: " + why +
                      "; send the request again without inputResponses and requestState to start "
                      "over");
}

}  // namespace

std::string RequestStateCodec::random_key() {
  unsigned char bytes[32];
  if (!common::random_bytes(bytes, sizeof bytes))
    throw std::runtime_error("no randomness for a key");
  return std::string(reinterpret_cast<char*>(bytes), sizeof bytes);
}

RequestStateCodec::RequestStateCodec(std::string key, std::chrono::seconds lifetime)
    : key_(key.empty() ? random_key() : std::move(key)), lifetime_(lifetime) {}

std::string RequestStateCodec::mac(const std::string& data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string RequestStateCodec::seal(const json& payload, const std::string& bind,
                                    std::optional<std::chrono::seconds> lifetime) const {
  json envelope = {
      {"p", payload}, {"b", bind}, {"e", now_s() + lifetime.value_or(lifetime_).count()}};
  std::string body = to_url(base64_encode(envelope.dump()));
  return body + "." + to_url(base64_encode(mac(body)));
}

json RequestStateCodec::open(const std::string& token, const std::string& bind) const {
  auto dot = token.find('.');
  if (dot == std::string::npos || token.find('.', dot + 1) != std::string::npos) {
    throw invalid("it is not a state this server issued");
  }
  std::string body = token.substr(0, dot);
  auto given = base64_decode(from_url(token.substr(dot + 1)));
  std::string expected = mac(body);
  if (!given || given->size() != expected.size() ||
      CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0) {
    throw invalid("the integrity check failed (it was changed, or issued by another server)");
  }
  auto text = base64_decode(from_url(body));
  json envelope = text ? json::parse(*text, nullptr, false) : json();
  if (!envelope.is_object() || !envelope.contains("p") || !envelope["e"].is_number_integer()) {
    throw invalid("it is malformed");
  }
  if (envelope.value("b", std::string()) != bind) {
    throw invalid("it belongs to another request");
  }
  if (envelope["e"].get<std::int64_t>() < now_s()) throw invalid("it has expired");
  return envelope["p"];
}

}  // namespace runagents::mcp
