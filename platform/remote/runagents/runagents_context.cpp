// The RunAgents context service (runagents_client.hpp has the wire contract).
#include <algorithm>
#include <ctime>

#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

namespace {

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class RunAgentsContext final : public ContextService {
 public:
  explicit RunAgentsContext(Conn c) : c_(std::move(c)) {}

  WorkspaceContext export_context() override {
    try {
      WorkspaceContext ctx = workspace_context_from_json(
          c_->http().send_json(HttpRequest::get("/api/context/export")));
      if (ctx.ns.empty()) ctx.ns = c_->ns();
      if (ctx.endpoint.empty()) ctx.endpoint = c_->http().base_url().to_string();
      if (ctx.generated_at.empty()) ctx.generated_at = now_rfc3339();
      return ctx;
    } catch (const RemoteError& e) {
      // Older servers lack the export: build it from the lists, as the Go CLI does.
      if (e.http_status() != 404 && e.http_status() != 405 && e.http_status() != 501) throw;
    }
    WorkspaceContext ctx;
    ctx.generated_at = now_rfc3339();
    ctx.ns = c_->ns();
    ctx.endpoint = c_->http().base_url().to_string();
    auto attempt = [&](const char* key, auto&& fn) {
      try {
        fn();
      } catch (const PlatformError& e) {
        ctx.errors[key] = e.what();
      }
    };
    attempt("agents", [&] { ctx.agents = make_runagents_agents(c_)->list(""); });
    attempt("tools", [&] { ctx.tools = make_runagents_tools(c_)->list(); });
    attempt("model_providers", [&] { ctx.model_providers = make_runagents_models(c_)->list(); });
    attempt("policies", [&] { ctx.policies = make_runagents_policies(c_)->list(""); });
    attempt("approvals", [&] {
      ApprovalFilter all;
      all.status = "";
      all.limit = 200;
      ctx.approvals = make_runagents_approvals(c_)->list(all);
    });
    return ctx;
  }

 private:
  Conn c_;
};

}  // namespace

std::shared_ptr<ContextService> make_runagents_context(Conn c) {
  return std::make_shared<RunAgentsContext>(std::move(c));
}

}  // namespace runagents::platform::remote
