// OAuth resource-server mode in the HTTP transport: the HttpAuthorizer hook
// (server/http_authorizer.hpp) applied to each request, and the RFC 9728 metadata routes.
#include "server/http_transport_impl.hpp"

namespace runagents::mcp {

namespace {

void send_refusal(httplib::Response& res, const AuthRefusal& r, const json& id = nullptr) {
  if (!r.www_authenticate.empty()) res.set_header("WWW-Authenticate", r.www_authenticate);
  res.status = r.status;
  res.set_content(serialize(make_error(id, -32000, r.message)), "application/json");
}

}  // namespace

std::optional<AuthGrant> HttpTransport::Impl::authorize(const httplib::Request& req,
                                                        httplib::Response& res) {
  if (!opts.authorizer) return AuthGrant{};
  auto decision =
      opts.authorizer->check(std::string(common::header_value(req.headers, "Authorization")));
  if (auto* refusal = std::get_if<AuthRefusal>(&decision)) {
    send_refusal(res, *refusal);
    return std::nullopt;
  }
  return std::get<AuthGrant>(std::move(decision));
}

bool HttpTransport::Impl::permit(const AuthGrant& grant, const Message& msg,
                                 httplib::Response& res) {
  if (!opts.authorizer || msg.kind != Message::Kind::request) return true;
  bool read_only = false;
  if (msg.method == "tools/call" && msg.params.is_object()) {
    auto name = msg.params.find("name");
    const auto* tool = name != msg.params.end() && name->is_string()
                           ? server.tools().find(name->get<std::string>())
                           : nullptr;
    read_only = tool && tool->annotations.read_only;
  }
  auto refusal = opts.authorizer->allows(grant, msg.method, read_only);
  if (!refusal) return true;
  send_refusal(res, *refusal, msg.id);
  return false;
}

void HttpTransport::Impl::install_resource_metadata() {
  if (!opts.authorizer) return;
  auto serve = [self = this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=3600");
    res.set_content(self->opts.authorizer->resource_metadata().dump(), "application/json");
  };
  http.Get("/.well-known/oauth-protected-resource", serve);
  http.Get("/.well-known/oauth-protected-resource" + opts.path, serve);
}

}  // namespace runagents::mcp
