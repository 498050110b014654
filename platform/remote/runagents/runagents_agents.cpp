// The RunAgents agents service (runagents_client.hpp has the wire contract).
#include <algorithm>
#include <set>

#include "platform/names.hpp"
#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

namespace {

class RunAgentsAgents final : public AgentService {
 public:
  explicit RunAgentsAgents(Conn c) : c_(std::move(c)) {}

  std::vector<Agent> list(const std::string& ns) override {
    return in_namespace(get_list(*c_, "/api/agents", {"agents"}, "list agents", agent_from_json),
                        ns);
  }

  Agent get(const std::string& ns_in, const std::string& name) override {
    const std::string ns = c_->ns_or_default(ns_in);
    try {
      Agent a = agent_from_json(
          c_->http().send_json(HttpRequest::get("/api/agents/" + seg(ns) + "/" + seg(name))));
      if (a.ns.empty()) a.ns = ns;
      if (a.name.empty()) a.name = name;
      return a;
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "agent " + ns + "/" + name + " not found; list_agents lists deployed agents");
    }
  }

  DeployResult deploy(const DeployRequest& request) override {
    const std::string ns = c_->ns_or_default(request.ns);
    if (request.dry_run) return dry_run(request, ns);
    // The deploy's `policies` binds policies by name only (reference §2.3): inline rules are
    // first stored as the agent's own named policy through the Policies API (§4), then bound.
    DeployRequest wire = request;
    bool policy_created = false;
    if (!request.policy_rules.empty()) {
      require_dns_label(request.agent_name, "agent_name");
      const std::string name = inline_policy_name(request.agent_name);
      policy_created = upsert_policy(ns, name, request.policy_rules);
      wire.policy_rules.clear();
      if (std::find(wire.policy_names.begin(), wire.policy_names.end(), name) ==
          wire.policy_names.end()) {
        wire.policy_names.push_back(name);
      }
    }
    HttpRequest http = HttpRequest::post("/api/deploy", deploy_request_to_json(wire));
    if (ns != c_->ns()) http.with_header("X-Workspace-Namespace", ns);
    HttpResponse res;
    try {
      res = c_->http().send(http);
    } catch (const RemoteError& e) {
      // The server refused the deploy, so nothing is bound to a policy this call created: take
      // it back (best effort). Not on 5xx or transport errors, where the deploy may have landed.
      if (policy_created && e.http_status() >= 400 && e.http_status() < 500) {
        try {
          c_->http().send(
              in_ns(HttpRequest::make(
                        "DELETE", "/api/policies/" + seg(inline_policy_name(request.agent_name))),
                    ns));
        } catch (const PlatformError&) {
        }
      }
      throw;
    }
    json body = res.json_body();
    DeployResult r = deploy_result_from_json(body.is_object() ? body : json::object());
    if (r.agent.empty()) r.agent = request.agent_name;
    if (r.ns.empty()) r.ns = ns;
    if (r.status.empty()) r.status = res.status == 201 ? "created" : "updated";
    if (r.phase.empty()) {
      // The API does not say how the agent ended up; ask, but do not fail the deploy over it.
      try {
        Agent a = get(r.ns, r.agent);
        r.phase = a.phase;
        if (r.message.empty()) r.message = a.message;
      } catch (const PlatformError&) {
      }
    }
    return r;
  }

  InvokeResult invoke(const InvokeRequest& request) override {
    const std::string ns = c_->ns_or_default(request.ns);
    json body = {{"message", request.message}, {"history", request.history}};
    if (!request.user_id.empty()) body["user_id"] = request.user_id;
    if (!request.run_id.empty()) body["run_id"] = request.run_id;
    HttpRequest http =
        HttpRequest::post("/api/agents/" + seg(ns) + "/" + seg(request.agent) + "/invoke", body)
            .with_timeout(c_->options().invoke_timeout);
    if (!request.run_id.empty()) http.with_header("X-Run-ID", request.run_id);
    if (request.cancel) http.with_cancel([cancel = request.cancel] { return cancel->cancelled(); });
    HttpResponse res;
    try {
      res = c_->http().send(http);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(
          e, "agent " + ns + "/" + request.agent + " not found; list_agents lists deployed agents");
    }
    json answer = res.json_body();
    if (!answer.is_object()) answer = json{{"response", answer}};
    InvokeResult r;
    r.run_id = res.header("X-Run-ID");
    if (r.run_id.empty()) r.run_id = request.run_id;
    r.status = res.header("X-Run-Status");
    if (!r.run_id.empty() && answer.value("run_id", json()) == r.run_id) answer.erase("run_id");
    if (!r.status.empty() && answer.value("run_status", json()) == r.status) {
      answer.erase("run_status");
    }
    if (r.run_id.empty()) r.run_id = text_field(answer, {"run_id"});
    if (r.status.empty()) r.status = text_field(answer, {"run_status"});
    if (r.status.empty() && !r.run_id.empty()) {
      try {
        r.status =
            run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(r.run_id)))).status;
      } catch (const PlatformError&) {
      }
    }
    if (r.status.empty()) {
      r.status = answer.contains("approval_required") ? "PAUSED_APPROVAL"
                 : answer.contains("error")           ? "FAILED"
                                                      : "COMPLETED";
    }
    r.response = std::move(answer);
    return r;
  }

 private:
  HttpRequest in_ns(HttpRequest http, const std::string& ns) const {
    if (ns != c_->ns()) http.with_header("X-Workspace-Namespace", ns);
    return http;
  }

  // Stores `rules` as the policy `name` in `ns`; true when it was created. The reference (§4)
  // gives PUT /api/policies/{name} for an existing policy and POST /api/policies for a new one,
  // so: PUT first (the redeploy case), and POST when the PUT answers 404 (no such policy) or
  // 405 (no PUT); a 409 to the POST (created meanwhile) means PUT again. Errors are the
  // RemoteErrors of the http client (status and the server's detail).
  bool upsert_policy(const std::string& ns, const std::string& name,
                     const std::vector<PolicyRule>& rules) {
    json spec_rules = json::array();
    for (const auto& r : rules) spec_rules.push_back(policy_rule_to_json(r));
    const json body = {{"name", name},
                       {"spec", {{"policies", spec_rules}, {"approvals", json::array()}}}};
    auto put = [&] {
      c_->http().send(
          in_ns(HttpRequest::make("PUT", "/api/policies/" + seg(name)).with_json(body), ns));
    };
    try {
      put();
      return false;
    } catch (const RemoteError& e) {
      if (e.http_status() != 404 && e.http_status() != 405) throw;
    }
    try {
      c_->http().send(in_ns(HttpRequest::post("/api/policies", body), ns));
      return true;
    } catch (const RemoteError& e) {
      if (e.http_status() != 409) throw;
    }
    put();
    return false;
  }

  DeployResult dry_run(const DeployRequest& request, const std::string& ns) {
    DeployResult r;
    r.agent = request.agent_name;
    r.ns = ns;
    r.status = "validated";
    // A dry run writes nothing: inline rules are only checked here; a deploy would store them
    // as the policy inline_policy_name(agent) and bind it.
    for (std::size_t i = 0; i < request.policy_rules.size(); ++i) {
      const PolicyRule& rule = request.policy_rules[i];
      const std::string where = "policies[" + std::to_string(i) + "]";
      if (rule.permission != "allow" && rule.permission != "deny" &&
          rule.permission != "approval_required") {
        r.warnings.push_back("would fail: " + where + ": permission '" + rule.permission +
                             "' is not allow, deny or approval_required");
      }
      if (rule.resource.empty()) {
        r.warnings.push_back("would fail: " + where +
                             ": resource is empty; give a tool name, \"*\" or a URL pattern");
      }
    }
    if (!request.policy_names.empty()) {
      // Named policies must exist; a server without the list is not a reason to fail.
      try {
        std::set<std::string> existing;
        json body = c_->http().send_json(HttpRequest::get("/api/policies"));
        for (const auto& e : list_items(body, {"policies"}, "list policies")) {
          Policy p = policy_from_json(e);
          if (p.ns.empty() || p.ns == ns) existing.insert(p.name);
        }
        const std::string own = inline_policy_name(request.agent_name);
        for (const auto& n : request.policy_names) {
          if (existing.count(n) || (n == own && !request.policy_rules.empty())) continue;
          r.warnings.push_back("would fail: policy '" + n + "' does not exist in namespace " + ns);
        }
      } catch (const PlatformError&) {
      }
    }
    if (request.source_files.empty()) {
      r.warnings.push_back(request.image.empty()
                               ? "no source_files or image given: nothing to deploy"
                               : "an image cannot be analyzed; only source_files are");
      return r;
    }
    r.analysis = c_->analyze(request.source_files);
    // Required tools must exist or be created by the deploy.
    std::set<std::string> known;
    for (const auto& t : request.tools_to_create) known.insert(t.name);
    std::vector<std::string> missing;
    if (!request.required_tools.empty()) {
      json tools = c_->http().send_json(HttpRequest::get("/api/tools"));
      for (const auto& e : list_items(tools, {"tools"}, "list tools")) {
        known.insert(tool_from_json(e).name);
      }
      for (const auto& t : request.required_tools) {
        if (!known.count(t)) missing.push_back(t);
      }
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      r.warnings.push_back("required tools not registered: " + list +
                           "; register them with create_tool or list them in tools_to_create");
    }
    return r;
  }

  Conn c_;
};

}  // namespace

std::shared_ptr<AgentService> make_runagents_agents(Conn c) {
  return std::make_shared<RunAgentsAgents>(std::move(c));
}

}  // namespace runagents::platform::remote
