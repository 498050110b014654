// The RunAgents approvals service (runagents_client.hpp has the wire contract).
#include <algorithm>

#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

namespace {

class RunAgentsApprovals final : public ApprovalService {
 public:
  explicit RunAgentsApprovals(Conn c) : c_(std::move(c)) {}

  std::vector<AccessRequest> list(const ApprovalFilter& filter) override {
    const int limit = std::clamp(filter.limit, 1, 200);
    HttpRequest req = HttpRequest::get("/governance/requests");
    if (!filter.status.empty()) req.with_query("status", filter.status);
    json body = c_->http().send_json(req);
    std::vector<AccessRequest> out;
    for (const auto& e : list_items(body, {"requests", "approvals"}, "list access requests")) {
      AccessRequest a = access_request_from_json(e);
      if (!filter.status.empty() && !a.status.empty() && a.status != filter.status) continue;
      if (!filter.agent.empty() && a.agent != filter.agent) continue;
      out.push_back(std::move(a));
    }
    std::stable_sort(out.begin(), out.end(), [](const AccessRequest& a, const AccessRequest& b) {
      return a.created_at > b.created_at;
    });
    if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }

  AccessRequest get(const std::string& request_id) override {
    // SDK 1.2.1 has no single-request call; ask for it, then look in the full list.
    try {
      json body = c_->http().send_json(HttpRequest::get("/governance/requests/" + seg(request_id)));
      AccessRequest a = access_request_from_json(body);
      if (a.id == request_id) return a;
    } catch (const RemoteError& e) {
      if (e.http_status() != 404 && e.http_status() != 405) throw;
    }
    ApprovalFilter all;
    all.status = "";
    all.limit = 200;
    for (auto& a : list(all)) {
      if (a.id == request_id) return a;
    }
    throw PlatformError(
        ErrorKind::not_found,
        "access request " + request_id + " not found; list_approvals lists pending requests", 404);
  }

  DecisionResult decide(const ApprovalDecision& d) override {
    std::string scope = d.scope;
    if (scope == "window" || scope == "ttl") scope = "agent_user_ttl";
    if (!d.approve && (!scope.empty() || !d.duration.empty())) {
      throw PlatformError(ErrorKind::invalid,
                          "scope and duration apply to approvals only; a rejection takes a "
                          "reason");
    }
    if (d.approve) {
      if (!scope.empty() && scope != "once" && scope != "run" && scope != "agent_user_ttl") {
        throw PlatformError(ErrorKind::invalid, "scope '" + d.scope +
                                                    "' is not valid; use once, run or "
                                                    "agent_user_ttl");
      }
      if (!d.duration.empty() && (scope == "once" || scope == "run")) {
        throw PlatformError(ErrorKind::invalid,
                            "a duration applies only to scope "
                            "agent_user_ttl, not " +
                                scope);
      }
      if (!d.duration.empty() && scope.empty()) scope = "agent_user_ttl";
    }
    json body = json::object();
    if (!scope.empty()) body["scope"] = scope;
    if (!d.duration.empty()) body["duration"] = d.duration;
    if (!d.reason.empty()) body["reason"] = d.reason;
    HttpRequest req = HttpRequest::post("/governance/requests/" + seg(d.request_id) +
                                        (d.approve ? "/approve" : "/reject"));
    if (!body.empty()) req.with_json(body);  // SDK 1.2.1 sends no body
    json answer;
    try {
      answer = c_->http().send_json(req);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "access request " + d.request_id +
                       " not found; list_approvals lists pending requests");
    }
    if (!answer.is_object()) answer = json::object();
    DecisionResult r;
    AccessRequest now = access_request_from_json(answer);
    if (now.agent.empty() || now.run_id.empty()) {
      // The answer is partial ({id, status, approver_id, ...}): fill in from the request.
      try {
        AccessRequest full = get(d.request_id);
        merge(full, now);
        now = std::move(full);
      } catch (const PlatformError&) {
      }
    }
    if (now.id.empty()) now.id = d.request_id;
    r.request = std::move(now);
    r.run_status = text_field(answer, {"run_status"});
    if (r.run_status.empty() && !r.request.run_id.empty()) {
      try {
        r.run_status =
            run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(r.request.run_id))))
                .status;
      } catch (const PlatformError&) {
      }
    }
    if (const json* resp = field_at(answer, {"agent_response"})) r.response = *resp;
    return r;
  }

 private:
  // Non-empty fields of `update` replace those of `base`.
  static void merge(AccessRequest& base, const AccessRequest& update) {
    auto take = [](std::string& to, const std::string& from) {
      if (!from.empty()) to = from;
    };
    take(base.id, update.id);
    take(base.subject, update.subject);
    take(base.agent, update.agent);
    take(base.tool, update.tool);
    take(base.run_id, update.run_id);
    take(base.action_id, update.action_id);
    take(base.payload_hash, update.payload_hash);
    take(base.status, update.status);
    take(base.scope, update.scope);
    take(base.duration, update.duration);
    take(base.approver_id, update.approver_id);
    take(base.reason, update.reason);
    take(base.created_at, update.created_at);
    take(base.updated_at, update.updated_at);
    take(base.expires_at, update.expires_at);
  }

  Conn c_;
};

}  // namespace

std::shared_ptr<ApprovalService> make_runagents_approvals(Conn c) {
  return std::make_shared<RunAgentsApprovals>(std::move(c));
}

}  // namespace runagents::platform::remote
