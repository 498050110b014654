#include "platform/open/lazy_platform.hpp"

#include <mutex>

#include "platform/open/lazy.hpp"

namespace runagents::platform {

namespace {

class Opener {
 public:
  explicit Opener(std::function<Platform()> open) : open_(std::move(open)) {}

  Platform& get() {
    std::lock_guard lock(mu_);
    if (!opened_) {
      platform_ = open_();
      opened_ = true;
    }
    return platform_;
  }

 private:
  std::mutex mu_;
  std::function<Platform()> open_;
  bool opened_ = false;
  Platform platform_;
};

// One service of the platform `opener` opens, opened lazily with it.
template <typename Wrapper, auto member>
std::shared_ptr<typename Wrapper::Interface> lazy_service(const std::shared_ptr<Opener>& opener) {
  return std::make_shared<Lazy<Wrapper>>([opener] { return opener->get().*member; });
}

}  // namespace

Platform lazy_platform(std::function<Platform()> open, std::string ns,
                       std::map<std::string, Face> faces) {
  auto opener = std::make_shared<Opener>(std::move(open));
  Platform p;
  p.ns = std::move(ns);
  p.faces = std::move(faces);
  p.agents = lazy_service<AgentServiceWrapper, &Platform::agents>(opener);
  p.tools = lazy_service<ToolServiceWrapper, &Platform::tools>(opener);
  p.models = lazy_service<ModelProviderServiceWrapper, &Platform::models>(opener);
  p.policies = lazy_service<PolicyServiceWrapper, &Platform::policies>(opener);
  p.runs = lazy_service<RunServiceWrapper, &Platform::runs>(opener);
  p.approvals = lazy_service<ApprovalServiceWrapper, &Platform::approvals>(opener);
  p.context = lazy_service<ContextServiceWrapper, &Platform::context>(opener);
  return p;
}

}  // namespace runagents::platform
