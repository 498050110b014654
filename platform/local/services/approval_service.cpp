// ApprovalService of the local platform: access requests, and deciding one (approving resumes
// the paused run, rejecting fails it).
#include "platform/local/agents/agent_runtime.hpp"
#include "platform/local/services/local_services.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/run_store.hpp"
#include "platform/local/store/timestamps.hpp"

namespace runagents::platform::local {

namespace {

// Checks and normalises scope and duration of an approval ("window"/"ttl" mean agent_user_ttl;
// a duration alone implies it; it defaults to 1h).
void normalise_scope(ApprovalDecision& d) {
  if (d.scope == "window" || d.scope == "ttl") d.scope = "agent_user_ttl";
  if (d.scope.empty()) d.scope = d.duration.empty() ? "once" : "agent_user_ttl";
  if (d.scope != "once" && d.scope != "run" && d.scope != "agent_user_ttl")
    throw PlatformError(ErrorKind::invalid, "scope '" + d.scope +
                                                "' must be once (this call), run (matching calls "
                                                "of this run) or agent_user_ttl (the agent, user "
                                                "and tool for a duration)");
  if (d.scope != "agent_user_ttl") {
    if (!d.duration.empty())
      throw PlatformError(ErrorKind::invalid,
                          "duration applies only to scope agent_user_ttl; "
                          "leave it out for scope " +
                              d.scope);
    return;
  }
  if (d.duration.empty()) d.duration = "1h";
  auto parsed = parse_duration(d.duration);
  if (!parsed || *parsed > std::chrono::hours(24 * 30))
    throw PlatformError(ErrorKind::invalid, "duration '" + d.duration +
                                                "' is not valid: use hours, minutes and seconds "
                                                "such as 30m, 4h or 1h30m, at most 720h");
}

class LocalApprovals : public ApprovalService {
 public:
  explicit LocalApprovals(std::shared_ptr<LocalState> state) : state_(std::move(state)) {}

  std::vector<AccessRequest> list(const ApprovalFilter& filter) override {
    expire_access_requests(*state_->db);
    return list_access_requests(*state_->db, filter);
  }

  AccessRequest get(const std::string& id) override {
    expire_access_requests(*state_->db);
    auto req = find_access_request(*state_->db, id);
    if (!req) throw_request_not_found(id);
    return *req;
  }

  DecisionResult decide(const ApprovalDecision& decision) override;

 private:
  [[noreturn]] static void throw_request_not_found(const std::string& id) {
    throw PlatformError(ErrorKind::not_found, "access request " + id +
                                                  " not found; list_approvals lists pending "
                                                  "requests");
  }

  std::shared_ptr<LocalState> state_;
};

DecisionResult LocalApprovals::decide(const ApprovalDecision& in) {
  Database& db = *state_->db;
  ApprovalDecision d = in;
  if (d.approver.empty()) d.approver = "local-user";
  if (d.approve) {
    normalise_scope(d);
  } else if (!d.scope.empty() || !d.duration.empty()) {
    throw PlatformError(ErrorKind::invalid,
                        "scope and duration apply only to approve; leave them out to reject");
  }
  auto existing = find_access_request(db, d.request_id);
  if (!existing) throw_request_not_found(d.request_id);
  if (d.approve && !existing->run_id.empty()) require_agent_runtime(*state_);

  DecisionResult result;
  bool resume = false;
  db.transaction([&] {
    expire_access_requests(db);
    auto req = find_access_request(db, d.request_id);
    if (!req) throw_request_not_found(d.request_id);
    if (req->status != "PENDING")
      throw PlatformError(ErrorKind::conflict,
                          "access request " + req->id + " is already " + req->status +
                              (req->approver_id.empty() ? "" : " (by " + req->approver_id + ")") +
                              "; only PENDING requests can be decided (list_approvals lists "
                              "them)");
    req->status = d.approve ? "APPROVED" : "REJECTED";
    req->approver_id = d.approver;
    req->reason = d.reason;
    if (d.approve) {
      req->scope = d.scope;
      req->duration = d.scope == "agent_user_ttl" ? d.duration : "";
      req->expires_at = d.scope == "agent_user_ttl"
                            ? format_timestamp(SystemClock::now() + *parse_duration(d.duration))
                            : "";
    }
    update_access_request(db, *req);
    result.request = *find_access_request(db, req->id);
    if (req->run_id.empty()) return;
    auto run = find_run(db, req->run_id);
    if (!run) return;
    result.run_status = run->run.status;
    json data = {{"request_id", req->id}, {"action_id", req->action_id}, {"tool", req->tool}};
    if (d.approve) {
      data["scope"] = req->scope;
      if (!req->duration.empty()) data["duration"] = req->duration;
      append_event(db, run->run.id, "APPROVED", d.approver, data);
      if (run->run.status == "PAUSED_APPROVAL" && run->run.blocked_action_id == req->action_id) {
        set_run_status(db, run->run.id, "RUNNING");
        append_event(db, run->run.id, "RESUMED", "platform", {{"action_id", req->action_id}});
        result.run_status = "RUNNING";
        resume = true;
      }
    } else {
      if (!d.reason.empty()) data["reason"] = d.reason;
      append_event(db, run->run.id, "REJECTED", d.approver, data);
      if (run->run.status == "PAUSED_APPROVAL" || run->run.status == "RUNNING") {
        append_event(db, run->run.id, "FAILED", "platform",
                     {{"error", "access request " + req->id + " for tool " + req->tool +
                                    " was rejected" + (d.reason.empty() ? "" : ": " + d.reason)}});
        set_run_status(db, run->run.id, "FAILED");
        result.run_status = "FAILED";
      }
    }
  });
  if (!resume) return result;

  auto run = find_run(db, result.request.run_id);
  auto agent = find_agent(db, run->run.ns, run->run.agent);
  if (!agent) {
    db.transaction([&] {
      append_event(db, run->run.id, "FAILED", "platform",
                   {{"error", "agent " + run->run.ns + "/" + run->run.agent +
                                  " no longer exists; the run cannot resume"}});
      set_run_status(db, run->run.id, "FAILED");
    });
    result.run_status = "FAILED";
    return result;
  }
  json resume_request = {
      {"action_id", result.request.action_id}, {"state", run->resume_state}, {"approved", true}};
  InvokeResult outcome = execute_run(state_, *agent, *run, resume_request, d.cancel);
  result.run_status = outcome.status;
  result.response = outcome.response;
  return result;
}

}  // namespace

std::shared_ptr<ApprovalService> make_local_approvals(std::shared_ptr<LocalState> state) {
  return std::make_shared<LocalApprovals>(std::move(state));
}

}  // namespace runagents::platform::local
