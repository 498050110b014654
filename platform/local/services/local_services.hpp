// Factories of the local platform's services. Internal to platform/local; use
// open_local_platform() (local_platform.hpp).
#pragma once

#include <memory>

#include "platform/local/services/local_state.hpp"

namespace runagents::platform::local {

std::shared_ptr<AgentService> make_local_agents(std::shared_ptr<LocalState> state);
std::shared_ptr<RunService> make_local_runs(std::shared_ptr<LocalState> state);
std::shared_ptr<ApprovalService> make_local_approvals(std::shared_ptr<LocalState> state);
std::shared_ptr<ModelProviderService> make_local_models(std::shared_ptr<LocalState> state);
std::shared_ptr<PolicyService> make_local_policies(std::shared_ptr<LocalState> state);
std::shared_ptr<ContextService> make_local_context(Platform services);

}  // namespace runagents::platform::local
