#include "platform/queries/agent_runs.hpp"

#include <atomic>

#include "platform/queries/agent_query.hpp"
#include "platform/queries/query_stop.hpp"

namespace runagents::platform {

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string((d.count() + 500) / 1000) + " s";
}

std::vector<RunEvent> all_events(RunService& runs, const std::string& run_id) {
  std::vector<RunEvent> out;
  std::int64_t after = 0;
  for (;;) {
    EventPage page = runs.events(run_id, after, 500);
    for (auto& e : page.events) out.push_back(std::move(e));
    if (!page.more || page.next_after_seq <= after) return out;
    after = page.next_after_seq;
  }
}

// The text of an event's data field `key`, or "".
std::string data_text(const RunEvent& e, const char* key) {
  auto it = e.data.find(key);
  return it != e.data.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

struct AgentRuns::Invocation {
  std::shared_ptr<ExecCancel> signal = std::make_shared<ExecCancel>();
  std::atomic<bool> done{false};
  std::thread thread;
};

AgentRuns::AgentRuns(std::shared_ptr<AgentService> agents, std::shared_ptr<RunService> runs,
                     std::shared_ptr<ApprovalService> approvals, std::string default_ns)
    : agents_(std::move(agents)),
      runs_(std::move(runs)),
      approvals_(std::move(approvals)),
      ns_(std::move(default_ns)) {}

AgentRuns::~AgentRuns() {
  std::map<std::string, std::shared_ptr<Invocation>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(invoking_);
  }
  for (auto& [id, inv] : all) inv->signal->cancel();
  for (auto& [id, inv] : all)
    if (inv->thread.joinable()) inv->thread.join();
}

AgentRunStart AgentRuns::start(const QueryRequest& request) {
  if (request.prompt.empty())
    throw PlatformError(ErrorKind::invalid, "prompt is empty: say what the agent should do");
  const std::string ns = request.agent_ns.empty() ? ns_ : request.agent_ns;
  AgentRunStart s;
  s.ns = ns;
  s.who = ns + "/" + request.agent_name;
  // What invoke would refuse, refused before a run is made for nothing.
  Agent agent = agents_->get(ns, request.agent_name);
  if (!agent.phase.empty() && agent.phase != "Running")
    throw PlatformError(ErrorKind::conflict,
                        "agent " + s.who + " is " + agent.phase +
                            (agent.message.empty() ? "" : " (" + agent.message + ")") +
                            "; fix it and deploy it again");
  RunCreateRequest create;
  create.agent = request.agent_name;
  create.ns = ns;
  Run run = runs_->create(create);
  s.run_id = run.id;
  s.metadata = agent_query_metadata(request, s.who, run.id);

  InvokeRequest invoke;
  invoke.agent = request.agent_name;
  invoke.ns = ns;
  invoke.message = request.prompt;
  invoke.run_id = run.id;
  auto inv = std::make_shared<Invocation>();
  std::lock_guard lock(mu_);
  reap_locked();
  try {
    inv->thread = std::thread(
        [this, inv, invoke, timeout = request.timeout] { this->invoke(inv, invoke, timeout); });
  } catch (const std::exception& e) {
    fail(run.id, kInvokeActor, std::string("the invocation could not start: ") + e.what());
    throw PlatformError(ErrorKind::internal,
                        std::string("cannot start a thread to invoke the agent: ") + e.what());
  }
  invoking_[run.id] = inv;
  return s;
}

void AgentRuns::invoke(const std::shared_ptr<Invocation>& inv, InvokeRequest request,
                       std::chrono::seconds timeout) {
  QueryStop stop(inv->signal, std::chrono::steady_clock::now() + timeout);
  request.cancel = stop.signal();
  std::string error;
  try {
    agents_->invoke(request);
  } catch (const std::exception& e) {
    error = e.what();
  }
  stop.finish();
  try {
    if (stop.timed_out())
      fail(request.run_id, kTimeoutActor,
           "the agent did not answer within " + std::to_string(timeout.count()) + " s");
    else if (!stop.stopped() && !error.empty())
      fail(request.run_id, kInvokeActor, "the invocation failed: " + error);
  } catch (const std::exception&) {
    // The service cannot be reached: the next read finds the run as it is (and its timeout).
  }
  inv->done = true;
}

bool AgentRuns::fail(const std::string& run_id, const char* actor, const std::string& error) {
  if (runs_->get(run_id).status != "RUNNING") return false;
  runs_->add_event(run_id, "FAILED", actor, {{"error", error}});
  try {
    runs_->set_status(run_id, "FAILED");
  } catch (const PlatformError& e) {
    if (e.kind() != ErrorKind::conflict) throw;
    return false;  // it ended meanwhile
  }
  return true;
}

void AgentRuns::stop_invoke(const std::string& run_id) {
  std::lock_guard lock(mu_);
  auto it = invoking_.find(run_id);
  if (it != invoking_.end()) it->second->signal->cancel();
}

void AgentRuns::reap_locked() {
  for (auto it = invoking_.begin(); it != invoking_.end();) {
    if (!it->second->done) {
      ++it;
      continue;
    }
    if (it->second->thread.joinable()) it->second->thread.join();
    it = invoking_.erase(it);
  }
}

AgentRunReading AgentRuns::read(const std::string& run_id, const std::string& who,
                                std::chrono::milliseconds elapsed, std::chrono::seconds timeout,
                                const QueryRequest& request, const json& metadata) {
  AgentRunReading reading;
  Run run = runs_->get(run_id);
  if (run.status == "RUNNING" && timeout.count() > 0 && elapsed >= timeout) {
    fail(run_id, kTimeoutActor,
         "the agent did not answer within " + std::to_string(timeout.count()) + " s");
    stop_invoke(run_id);
    run = runs_->get(run_id);
  }
  if (run.status != "COMPLETED" && run.status != "FAILED" && run.status != "PAUSED_APPROVAL") {
    reading.message = "run " + run_id + " of agent " + who + " is " + run.status + " (" +
                      seconds_text(elapsed) + " so far)";
    return reading;
  }

  InvokeResult out;
  out.run_id = run_id;
  out.status = run.status;
  QueryResult r;
  r.metadata = metadata.is_object() ? metadata : json::object();
  if (run.status == "COMPLETED") {
    json content = "";
    for (const auto& e : all_events(*runs_, run_id)) {
      if (e.type != "AGENT_MESSAGE") continue;
      if (e.data.contains("content"))
        content = e.data["content"];
      else if (e.data.contains("message"))
        content = e.data["message"];
    }
    out.response = {{"response", content}};
  } else if (run.status == "FAILED") {
    std::string reason;
    bool timed_out = false;
    for (const auto& e : all_events(*runs_, run_id)) {
      if (e.actor == kCancelActor) {
        reading.state = AgentRunReading::State::cancelled;
        reading.message = "the client cancelled the query (tasks/cancel); run " + run_id +
                          " was set FAILED and its agent stopped";
        return reading;
      }
      if (e.actor == kTimeoutActor) timed_out = true;
      if (reason.empty() && (e.type == "FAILED" || e.type == "INVOKE_FAILED"))
        reason = data_text(e, "error");
    }
    reading.state = AgentRunReading::State::ended;
    if (timed_out) {
      reading.result = agent_timed_out(std::move(r), out, who, timeout);
      return reading;
    }
    if (!reason.empty()) out.response = {{"error", reason}};
  }
  reading.state = AgentRunReading::State::ended;
  reading.result = agent_run_result(std::move(r), out, who, request, approvals_.get());
  return reading;
}

void AgentRuns::cancel(const std::string& run_id) {
  fail(run_id, kCancelActor, "the client cancelled the query (tasks/cancel)");
  stop_invoke(run_id);
}

std::shared_ptr<AgentRunQueries> make_agent_run_queries(std::shared_ptr<AgentService> agents,
                                                        std::shared_ptr<RunService> runs,
                                                        std::shared_ptr<ApprovalService> approvals,
                                                        std::string default_ns) {
  return std::make_shared<AgentRuns>(std::move(agents), std::move(runs), std::move(approvals),
                                     std::move(default_ns));
}

}  // namespace runagents::platform
