// One query of the embedded runtime while it runs: its devbox, deadline and stop signal, and the
// command runner every step uses. Internal to query_runtime.cpp and query_agent_step.cpp.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "platform/local/queries/query_runtime.hpp"
#include "platform/queries/query_stop.hpp"

namespace runagents::platform::local {

using QueryClock = std::chrono::steady_clock;

struct RunningQuery {
  DevboxService& devboxes;
  const QueryRequest& request;
  const QueryObserver& observer;
  const EmbeddedQueryOptions& options;
  std::string devbox_id;
  QueryClock::time_point deadline;
  QueryStop& stop;  // fired by the caller's cancel and by the deadline
  nlohmann::json commands = nlohmann::json::array();  // what ran: {phase, command, exit_code}
  std::vector<QueryCommandRun> command_runs;          // pre- and post-agent, with output tails

  bool stopped() const { return stop.stopped(); }
  std::chrono::seconds remaining() const;
  void status(const std::string& message) const;

  // Runs `command` in the devbox (bash), streaming its output to the observer. `cwd` relative to
  // the home or under /home/user; `timeout` 0 = until the deadline. Records it under `phase`
  // (pre-agent and post-agent also in command_runs, with the tail of their output).
  DevboxExecution exec(const std::string& phase, const std::string& command,
                       const std::string& cwd = {},
                       const std::map<std::string, std::string>& env = {},
                       std::chrono::seconds timeout = std::chrono::seconds(0));
};

struct AgentAnswer {
  bool ok = true;
  std::string error;  // when !ok
  std::string text;
  std::optional<nlohmann::json> structured;
  nlohmann::json metadata = nlohmann::json::object();
};

// The agent step: the playground, or the tool-using loop against the configured endpoint.
AgentAnswer run_agent_step(RunningQuery& session);

}  // namespace runagents::platform::local
