#include "app/oauth_authorizer.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace runagents::cli {

namespace {

bool has_scope(const mcp::AuthGrant& grant, const char* scope) {
  return std::find(grant.scopes.begin(), grant.scopes.end(), scope) != grant.scopes.end();
}

// "Bearer <token>" with the scheme in any case (RFC 6750 §2.1); "" when it is not one.
std::string bearer_token(const std::string& authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return "";
  for (size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return "";
  }
  auto token = authorization.substr(scheme.size());
  token.erase(0, token.find_first_not_of(' '));
  return token;
}

}  // namespace

void add_oauth_options(CLI::App& app, OAuthFlags& flags) {
  app.add_option("--oauth-issuer", flags.issuer,
                 "OAuth resource-server mode on HTTP: accept only JWT access tokens from this "
                 "issuer (its RFC 8414 or OIDC metadata names the JWKS)")
      ->envname("RUNAGENTS_MCP_OAUTH_ISSUER");
  app.add_option("--oauth-audience", flags.audience,
                 "The audience (aud) tokens must name (default: the server's URL, "
                 "http://HOST:PORT/mcp)")
      ->envname("RUNAGENTS_MCP_OAUTH_AUDIENCE");
}

OAuthAuthorizer::OAuthAuthorizer(OAuthFlags flags, platform::OAuthVerifierOptions tuning)
    : flags_(std::move(flags)), tuning_(std::move(tuning)) {}

void OAuthAuthorizer::set_resource(const std::string& canonical_url) {
  resource_ = flags_.audience.empty() ? canonical_url : flags_.audience;
  platform::OAuthVerifierOptions o = tuning_;
  o.issuer = flags_.issuer;
  o.audience = resource_;
  verifier_ = std::make_unique<platform::OAuthTokenVerifier>(std::move(o));
}

std::string OAuthAuthorizer::metadata_url() const {
  auto scheme = resource_.find("://");
  auto slash = resource_.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return resource_ + "/.well-known/oauth-protected-resource";
  std::string path = resource_.substr(slash);
  if (path == "/") path.clear();
  return resource_.substr(0, slash) + "/.well-known/oauth-protected-resource" + path;
}

std::string OAuthAuthorizer::challenge(const std::string& error, const std::string& scope) const {
  std::string h = "Bearer ";
  if (!error.empty()) h += "error=\"" + error + "\", ";
  h += "resource_metadata=\"" + metadata_url() + "\", scope=\"" + scope + "\"";
  return h;
}

std::variant<mcp::AuthGrant, mcp::AuthRefusal> OAuthAuthorizer::check(
    const std::string& authorization) {
  const std::string all_scopes = std::string(kReadScope) + " " + kWriteScope;
  if (!verifier_) throw std::logic_error("OAuthAuthorizer::set_resource was not called");
  const std::string token = bearer_token(authorization);
  if (token.empty()) {
    return mcp::AuthRefusal{401, challenge("", all_scopes),
                            "Unauthorized: send Authorization: Bearer <access token> from " +
                                flags_.issuer + " (see " + metadata_url() + ")"};
  }
  auto verdict = verifier_->verify(token);
  if (verdict.issuer_unreachable) {
    return mcp::AuthRefusal{503, "", "Service Unavailable: " + verdict.error + "; try again"};
  }
  if (!verdict.token) {
    return mcp::AuthRefusal{401, challenge("invalid_token", all_scopes),
                            "Unauthorized: " + verdict.error};
  }
  return mcp::AuthGrant{std::move(verdict.token->scopes), std::move(verdict.token->subject)};
}

std::optional<mcp::AuthRefusal> OAuthAuthorizer::allows(const mcp::AuthGrant& grant,
                                                        const std::string& method,
                                                        bool tool_read_only) const {
  if (has_scope(grant, kWriteScope)) return std::nullopt;
  const bool needs_write = method == "tools/call" && !tool_read_only;
  if (!needs_write && has_scope(grant, kReadScope)) return std::nullopt;
  const char* needed = needs_write ? kWriteScope : kReadScope;
  return mcp::AuthRefusal{403, challenge("insufficient_scope", needed),
                          std::string("Forbidden: ") +
                              (needs_write ? "this tool changes things and needs the scope "
                                           : "this request needs the scope ") +
                              needed + "; ask the authorization server for a token with it"};
}

mcp::json OAuthAuthorizer::resource_metadata() const {
  return {{"resource", resource_},
          {"authorization_servers", {flags_.issuer}},
          {"scopes_supported", {kReadScope, kWriteScope}},
          {"bearer_methods_supported", {"header"}},
          {"resource_name", "runagents-mcp"}};
}

}  // namespace runagents::cli
