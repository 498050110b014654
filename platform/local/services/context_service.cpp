// ContextService of the local platform: the workspace export, built from the other services.
#include <functional>

#include "platform/local/services/local_services.hpp"
#include "platform/local/store/timestamps.hpp"

namespace runagents::platform::local {

namespace {

// Built from the other services, so it reads exactly what they show.
class LocalContext : public ContextService {
 public:
  explicit LocalContext(Platform services) : p_(std::move(services)) {}

  WorkspaceContext export_context() override {
    WorkspaceContext c;
    c.generated_at = now_timestamp();
    c.ns = p_.ns;
    auto attempt = [&](const char* what, const std::function<void()>& read) {
      try {
        read();
      } catch (const std::exception& e) {
        c.errors[what] = e.what();
      }
    };
    attempt("agents", [&] { c.agents = p_.agents->list(""); });
    attempt("tools", [&] { c.tools = p_.tools->list(); });
    attempt("model_providers", [&] { c.model_providers = p_.models->list(); });
    attempt("policies", [&] { c.policies = p_.policies->list(""); });
    attempt("approvals", [&] {
      ApprovalFilter all;
      all.status = "";
      all.limit = 200;
      c.approvals = p_.approvals->list(all);
    });
    return c;
  }

 private:
  Platform p_;
};

}  // namespace

std::shared_ptr<ContextService> make_local_context(Platform services) {
  return std::make_shared<LocalContext>(std::move(services));
}
}  // namespace runagents::platform::local
