// RunService of the local platform: runs and their event timelines, read from the store; runs
// made ahead of their invocation, status moves (FAILED stops the run's handler in this process)
// and events added from outside.
#include <algorithm>

#include "platform/local/services/local_services.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/run_store.hpp"

namespace runagents::platform::local {

namespace {

[[noreturn]] void throw_run_not_found(const std::string& id) {
  throw PlatformError(ErrorKind::not_found,
                      "run " + id + " not found; list_runs lists recent runs");
}

// The moves PATCH /runs/:id allows (reference §2.3).
bool allowed_move(const std::string& from, const std::string& to) {
  if (from == "RUNNING") return to == "PAUSED_APPROVAL" || to == "COMPLETED" || to == "FAILED";
  if (from == "PAUSED_APPROVAL") return to == "RUNNING" || to == "FAILED";
  return false;
}

class LocalRuns : public RunService {
 public:
  explicit LocalRuns(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<Run> list(const RunFilter& filter) override { return list_runs(*state_->db, filter); }

  Run get(const std::string& run_id) override {
    auto rec = find_run(*state_->db, run_id);
    if (!rec) throw_run_not_found(run_id);
    return rec->run;
  }

  EventPage events(const std::string& run_id, std::int64_t after_seq, int limit) override {
    if (!find_run(*state_->db, run_id)) throw_run_not_found(run_id);
    return run_events(*state_->db, run_id, std::max<std::int64_t>(after_seq, 0), limit);
  }

  Run create(const RunCreateRequest& in) override {
    if (in.agent.empty())
      throw PlatformError(ErrorKind::invalid, "agent_id is required: the agent the run is for");
    const std::string ns = in.ns.empty() ? state_->options.ns : in.ns;
    if (!find_agent(*state_->db, ns, in.agent))
      throw PlatformError(
          ErrorKind::not_found,
          "agent " + ns + "/" + in.agent + " not found; list_agents lists deployed agents");
    return create_pending_run(*state_->db, ns, in.agent,
                              in.user_id.empty() ? "local-user" : in.user_id);
  }

  Run set_status(const std::string& run_id, const std::string& status) override {
    static const char* const kKnown[] = {"RUNNING", "PAUSED_APPROVAL", "COMPLETED", "FAILED"};
    if (std::find(std::begin(kKnown), std::end(kKnown), status) == std::end(kKnown))
      throw PlatformError(ErrorKind::invalid, "status '" + status +
                                                  "' is not one of RUNNING, PAUSED_APPROVAL, "
                                                  "COMPLETED, FAILED");
    Database& db = *state_->db;
    db.transaction([&] {
      auto rec = find_run(db, run_id);
      if (!rec) throw_run_not_found(run_id);
      const std::string& from = rec->run.status;
      if (!allowed_move(from, status))
        throw PlatformError(ErrorKind::conflict,
                            "run " + run_id + " cannot move from " + from + " to " + status +
                                " (allowed: RUNNING to PAUSED_APPROVAL, COMPLETED or FAILED; "
                                "PAUSED_APPROVAL to RUNNING or FAILED)");
      if (status == "FAILED")
        append_event(db, run_id, "FAILED", "platform",
                     {{"error", "the run was set to FAILED through the runs API"}});
      else if (status == "COMPLETED")
        append_event(db, run_id, "COMPLETED", "platform", json::object());
      set_run_status(db, run_id, status,
                     status == "PAUSED_APPROVAL" ? rec->run.blocked_action_id : "");
    });
    // After the commit, so that the handler, when it ends, finds the run FAILED and records
    // nothing over it.
    if (status == "FAILED") state_->stops->stop(run_id);
    return get(run_id);
  }

  void add_event(const std::string& run_id, const std::string& type, const std::string& actor,
                 const json& data) override {
    if (type.empty()) throw PlatformError(ErrorKind::invalid, "the event's type is required");
    Database& db = *state_->db;
    db.transaction([&] {
      if (!find_run(db, run_id)) throw_run_not_found(run_id);
      append_event(db, run_id, type, actor.empty() ? "platform" : actor,
                   data.is_object() ? data : json::object());
    });
  }

 private:
  std::shared_ptr<LocalState> state_;
};

}  // namespace

std::shared_ptr<RunService> make_local_runs(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalRuns>(std::move(state));
}

}  // namespace runagents::platform::local
