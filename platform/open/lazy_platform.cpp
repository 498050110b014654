#include "platform/open/lazy_platform.hpp"

#include <mutex>

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

using OpenerPtr = std::shared_ptr<Opener>;

class LazyAgents : public AgentService {
 public:
  explicit LazyAgents(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<Agent> list(const std::string& ns) override { return o_->get().agents->list(ns); }
  Agent get(const std::string& ns, const std::string& name) override {
    return o_->get().agents->get(ns, name);
  }
  DeployResult deploy(const DeployRequest& r) override { return o_->get().agents->deploy(r); }
  InvokeResult invoke(const InvokeRequest& r) override { return o_->get().agents->invoke(r); }

 private:
  OpenerPtr o_;
};

class LazyTools : public ToolService {
 public:
  explicit LazyTools(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<Tool> list() override { return o_->get().tools->list(); }
  Tool get(const std::string& name) override { return o_->get().tools->get(name); }
  UpsertResult upsert(const ToolRegistration& t) override { return o_->get().tools->upsert(t); }

 private:
  OpenerPtr o_;
};

class LazyModels : public ModelProviderService {
 public:
  explicit LazyModels(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<ModelProvider> list() override { return o_->get().models->list(); }

 private:
  OpenerPtr o_;
};

class LazyPolicies : public PolicyService {
 public:
  explicit LazyPolicies(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<Policy> list(const std::string& ns) override { return o_->get().policies->list(ns); }

 private:
  OpenerPtr o_;
};

class LazyRuns : public RunService {
 public:
  explicit LazyRuns(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<Run> list(const RunFilter& f) override { return o_->get().runs->list(f); }
  Run get(const std::string& id) override { return o_->get().runs->get(id); }
  EventPage events(const std::string& id, std::int64_t after, int limit) override {
    return o_->get().runs->events(id, after, limit);
  }

 private:
  OpenerPtr o_;
};

class LazyApprovals : public ApprovalService {
 public:
  explicit LazyApprovals(OpenerPtr o) : o_(std::move(o)) {}
  std::vector<AccessRequest> list(const ApprovalFilter& f) override {
    return o_->get().approvals->list(f);
  }
  AccessRequest get(const std::string& id) override { return o_->get().approvals->get(id); }
  DecisionResult decide(const ApprovalDecision& d) override {
    return o_->get().approvals->decide(d);
  }

 private:
  OpenerPtr o_;
};

class LazyContext : public ContextService {
 public:
  explicit LazyContext(OpenerPtr o) : o_(std::move(o)) {}
  WorkspaceContext export_context() override { return o_->get().context->export_context(); }

 private:
  OpenerPtr o_;
};

}  // namespace

Platform lazy_platform(std::function<Platform()> open, std::string ns,
                       std::map<std::string, Face> faces) {
  auto opener = std::make_shared<Opener>(std::move(open));
  Platform p;
  p.ns = std::move(ns);
  p.faces = std::move(faces);
  p.agents = std::make_shared<LazyAgents>(opener);
  p.tools = std::make_shared<LazyTools>(opener);
  p.models = std::make_shared<LazyModels>(opener);
  p.policies = std::make_shared<LazyPolicies>(opener);
  p.runs = std::make_shared<LazyRuns>(opener);
  p.approvals = std::make_shared<LazyApprovals>(opener);
  p.context = std::make_shared<LazyContext>(opener);
  return p;
}

}  // namespace runagents::platform
