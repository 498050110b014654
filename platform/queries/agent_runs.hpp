// run_query on a deployed agent as a handle on its run, for the 2026-07-28 Tasks extension on a
// remote face (issue 9 §3): the run is made first (RunService::create, POST /runs), then invoked
// with its id in the background (a thread of this object owns the HTTP request), and from then
// on whatever can read the run, any replica, says how the query stands: read() turns the run's
// status and events into run_query's answer (agent_query.hpp builds it, as for a synchronous
// call). Nothing about the query lives in this process but the invoke itself:
//   - a cancel records an event with actor kCancelActor, then sets the run FAILED (which stops
//     the agent's handler) and aborts this process's invoke if it holds it;
//   - past its timeout the reader that notices records kTimeoutActor and sets the run FAILED;
//   - an invoke that fails before the run ends (the service refused it, the connection broke)
//     records kInvokeActor with the error and sets the run FAILED.
// Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "platform/platform.hpp"
#include "platform/queries.hpp"

namespace runagents::platform {

// The actors of the events this object records in a run (RunService::add_event).
inline constexpr const char* kCancelActor = "runagents-mcp tasks/cancel";
inline constexpr const char* kTimeoutActor = "runagents-mcp timeout";
inline constexpr const char* kInvokeActor = "runagents-mcp invoke";

// AgentRunQueries (platform/queries.hpp) over the platform's services.
class AgentRuns final : public AgentRunQueries {
 public:
  AgentRuns(std::shared_ptr<AgentService> agents, std::shared_ptr<RunService> runs,
            std::shared_ptr<ApprovalService> approvals, std::string default_ns);
  // Aborts the invokes still going (their runs go on in the service) and waits for them.
  ~AgentRuns();
  AgentRuns(const AgentRuns&) = delete;
  AgentRuns& operator=(const AgentRuns&) = delete;

  AgentRunStart start(const QueryRequest& request) override;

  AgentRunReading read(const std::string& run_id, const std::string& who,
                       std::chrono::milliseconds elapsed, std::chrono::seconds timeout,
                       const QueryRequest& request, const json& metadata) override;

  void cancel(const std::string& run_id) override;

 private:
  struct Invocation;
  void invoke(const std::shared_ptr<Invocation>& inv, InvokeRequest request,
              std::chrono::seconds timeout);
  // Records `actor` (and `error`) in the run and sets it FAILED; false when it had ended.
  bool fail(const std::string& run_id, const char* actor, const std::string& error);
  void stop_invoke(const std::string& run_id);
  void reap_locked();

  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<RunService> runs_;
  std::shared_ptr<ApprovalService> approvals_;
  std::string ns_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Invocation>> invoking_;  // by run id
};

std::shared_ptr<AgentRunQueries> make_agent_run_queries(std::shared_ptr<AgentService> agents,
                                                        std::shared_ptr<RunService> runs,
                                                        std::shared_ptr<ApprovalService> approvals,
                                                        std::string default_ns);

}  // namespace runagents::platform
