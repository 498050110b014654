#include "platform/queries/agent_query.hpp"

#include <chrono>

#include "platform/queries/query_stop.hpp"

namespace runagents::platform {

namespace {

void answer(QueryResult& r, const InvokeResult& out, const QueryRequest& request) {
  const json& response = out.response;
  const json field =
      response.is_object() && response.contains("response") ? response["response"] : response;
  if (request.output_schema) {
    json value = field;
    if (value.is_string()) {
      json parsed = json::parse(value.get<std::string>(), nullptr, false);
      if (!parsed.is_discarded()) value = parsed;
    }
    r.result_type = "structured_output";
    r.structured_output = value.is_object() || value.is_array() ? value : response;
    return;
  }
  r.result_type = "text";
  r.text = field.is_string() ? field.get<std::string>() : field.dump();
}

QueryResult& paused(QueryResult& r, const std::string& who, const InvokeResult& out,
                    ApprovalService* approvals) {
  AccessRequest pending;
  try {
    ApprovalFilter filter;
    filter.status = "PENDING";
    filter.limit = 200;
    if (approvals)
      for (const auto& a : approvals->list(filter))
        if (a.run_id == out.run_id) {
          pending = a;
          break;
        }
  } catch (const PlatformError&) {
    // The text below still says the run waits; list_approvals shows the request.
  }
  r.result_type = "text";
  r.approval_request_id = pending.id;
  if (pending.id.empty()) {
    r.text = "Run " + out.run_id + " of agent " + who +
             " is paused waiting for approval. list_approvals shows the pending request; "
             "decide it with decide_approval and the run resumes.";
  } else {
    r.text = "Run " + out.run_id + " of agent " + who + " is paused: its call to tool " +
             pending.tool + " needs approval. Decide access request " + pending.id +
             " with decide_approval (request_id=" + pending.id +
             ", decision=approve or reject); on approve the run resumes and finishes.";
  }
  return r;
}

class AgentQueryRunner : public QueryRunner {
 public:
  AgentQueryRunner(std::shared_ptr<AgentService> agents, std::shared_ptr<ApprovalService> approvals,
                   std::string ns)
      : agents_(std::move(agents)), approvals_(std::move(approvals)), ns_(std::move(ns)) {}

  QueryResult run(const QueryRequest& request, const QueryObserver& observer) override {
    if (request.prompt.empty())
      throw PlatformError(ErrorKind::invalid, "prompt is empty: say what the agent should do");
    const std::string ns = request.agent_ns.empty() ? ns_ : request.agent_ns;
    const std::string who = ns + "/" + request.agent_name;

    InvokeRequest invoke;
    invoke.agent = request.agent_name;
    invoke.ns = ns;
    invoke.message = request.prompt;
    // The caller's cancel and the deadline stop the handler alike.
    QueryStop stop(request.cancel, std::chrono::steady_clock::now() + request.timeout);
    invoke.cancel = stop.signal();

    if (observer.on_status) observer.on_status("invoking agent " + who);
    InvokeResult out;
    try {
      out = agents_->invoke(invoke);
    } catch (const PlatformError&) {
      // The remote face abandons its request when stopped: the run, whose id the answer would
      // have carried, may go on on the platform.
      if (!stop.stopped()) throw;
      out.status = "RUNNING";
    }
    stop.finish();

    QueryResult r;
    r.metadata = agent_query_metadata(request, who, out.run_id);
    if (stop.stopped() && out.status != "COMPLETED" && out.status != "PAUSED_APPROVAL") {
      if (!stop.timed_out()) {
        r.run_id = out.run_id;
        r.run_status = out.status;
        r.cancelled = true;
        return r;
      }
      return agent_timed_out(std::move(r), out, who, request.timeout);
    }
    return agent_run_result(std::move(r), out, who, request, approvals_.get());
  }

 private:
  std::shared_ptr<AgentService> agents_;
  std::shared_ptr<ApprovalService> approvals_;
  std::string ns_;
};

}  // namespace

json agent_query_metadata(const QueryRequest& request, const std::string& who,
                          const std::string& run_id) {
  json m = {{"runtime", "agent"}, {"agent", who}, {"run_id", run_id}};
  std::string note;
  if (!request.system_prompt.empty() || !request.model.empty())
    note =
        "system_prompt and model do not apply to a deployed agent (it has its own); they were "
        "not used";
  if (!request.pre_commands.empty() || !request.post_commands.empty() ||
      !request.downloadables.empty() || !request.artifacts_dir.empty())
    note += std::string(note.empty() ? "" : " ") +
            "pre_agent_downloadables, pre_agent_commands, post_agent_commands and artifacts_dir "
            "apply to the embedded runtime and RuntimeUse, not to a deployed agent; they were not "
            "used";
  if (!note.empty()) m["note"] = note;
  return m;
}

QueryResult agent_run_result(QueryResult r, const InvokeResult& out, const std::string& who,
                             const QueryRequest& request, ApprovalService* approvals) {
  r.run_id = out.run_id;
  r.run_status = out.status;
  if (out.status == "PAUSED_APPROVAL") return paused(r, who, out, approvals);
  if (out.status == "FAILED") {
    r.result_type = "error";
    r.error = "run " + out.run_id + " of agent " + who + " failed: " +
              out.response.value("error", std::string("the agent reported no reason")) +
              " (get_run_events run_id=" + out.run_id + " shows what happened)";
    return r;
  }
  answer(r, out, request);
  if (out.status == "RUNNING")
    r.metadata["note"] =
        "the run is still running on the platform; get_run_events run_id=" + out.run_id +
        " follows it";
  return r;
}

QueryResult agent_timed_out(QueryResult r, const InvokeResult& out, const std::string& who,
                            std::chrono::seconds timeout) {
  r.run_id = out.run_id;
  r.run_status = out.status;
  r.result_type = "error";
  r.timed_out = true;
  r.error =
      "agent " + who + " did not answer within " + std::to_string(timeout.count()) + " s; " +
      (out.run_id.empty() ? "the invocation was abandoned, and its run may go on on the platform "
                            "(list_runs shows it)"
                          : "run " + out.run_id + " was stopped (status " + out.status + ")");
  return r;
}

std::shared_ptr<QueryRunner> make_agent_query_runner(std::shared_ptr<AgentService> agents,
                                                     std::shared_ptr<ApprovalService> approvals,
                                                     std::string default_ns) {
  return std::make_shared<AgentQueryRunner>(std::move(agents), std::move(approvals),
                                            std::move(default_ns));
}

}  // namespace runagents::platform
