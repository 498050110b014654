// The RunAgents runs service (runagents_client.hpp has the wire contract).
#include <algorithm>

#include "platform/remote/runagents/runagents_calls.hpp"

namespace runagents::platform::remote {

namespace {

class RunAgentsRuns final : public RunService {
 public:
  explicit RunAgentsRuns(Conn c) : c_(std::move(c)) {}

  std::vector<Run> list(const RunFilter& filter) override {
    const int limit = std::clamp(filter.limit, 1, 200);
    HttpRequest req = HttpRequest::get("/runs");
    if (!filter.agent.empty()) {
      req.with_query("agent", filter.agent).with_query("agent_id", filter.agent);
    }
    if (!filter.status.empty()) req.with_query("status", filter.status);
    if (limit != 20) req.with_query("limit", std::to_string(limit));
    json body = c_->http().send_json(req);
    std::vector<Run> out;
    for (const auto& e : list_items(body, {"runs"}, "list runs")) {
      Run r = run_from_json(e);
      if (!filter.agent.empty() && r.agent != filter.agent) continue;
      if (!filter.status.empty() && r.status != filter.status) continue;
      out.push_back(std::move(r));
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Run& a, const Run& b) { return a.updated_at > b.updated_at; });
    if (out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }

  Run get(const std::string& run_id) override {
    try {
      return run_from_json(c_->http().send_json(HttpRequest::get("/runs/" + seg(run_id))));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
  }

  EventPage events(const std::string& run_id, std::int64_t after_seq, int limit_in) override {
    const int limit = std::clamp(limit_in, 1, 500);
    HttpRequest req = HttpRequest::get("/runs/" + seg(run_id) + "/events");
    if (after_seq > 0) req.with_query("after_seq", std::to_string(after_seq));
    req.with_query("limit", std::to_string(limit + 1));  // one more tells whether there is more
    HttpResponse res;
    try {
      res = c_->http().send(req);
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
    json body = res.json_body();
    EventPage page;
    for (const auto& e : list_items(body, {"events"}, "run events")) {
      RunEvent ev = run_event_from_json(e);
      if (ev.seq <= after_seq) continue;
      if (ev.run_id.empty()) ev.run_id = run_id;
      page.events.push_back(std::move(ev));
    }
    std::stable_sort(page.events.begin(), page.events.end(),
                     [](const RunEvent& a, const RunEvent& b) { return a.seq < b.seq; });
    if (page.events.size() > static_cast<size_t>(limit)) {
      page.events.resize(limit);
      page.more = true;
    }
    // A server that caps the page below limit + 1 says there is more in this header.
    if (!res.header("X-Next-After-Seq").empty()) page.more = true;
    page.next_after_seq = page.events.empty() ? after_seq : page.events.back().seq;
    return page;
  }

  Run create(const RunCreateRequest& request) override {
    if (request.agent.empty())
      throw PlatformError(ErrorKind::invalid, "the agent of a new run is required");
    const std::string ns = c_->ns_or_default(request.ns);
    json body = {{"agent_id", request.agent}, {"namespace", ns}};
    if (!request.user_id.empty()) body["user_id"] = request.user_id;
    if (!request.conversation_id.empty()) body["conversation_id"] = request.conversation_id;
    HttpRequest http = HttpRequest::post("/runs", body);
    if (ns != c_->ns()) http.with_header("X-Workspace-Namespace", ns);
    Run r = run_from_json(c_->http().send_json(http));
    if (r.id.empty())
      throw PlatformError(ErrorKind::internal,
                          "the server answered POST /runs without the new run's id");
    if (r.agent.empty()) r.agent = request.agent;
    if (r.ns.empty()) r.ns = ns;
    return r;
  }

  Run set_status(const std::string& run_id, const std::string& status) override {
    try {
      return run_from_json(c_->http().send_json(
          HttpRequest::make("PATCH", "/runs/" + seg(run_id)).with_json({{"status", status}})));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
  }

  void add_event(const std::string& run_id, const std::string& type, const std::string& actor,
                 const json& data) override {
    json body = {{"type", type}};
    if (!actor.empty()) body["actor"] = actor;
    if (data.is_object() && !data.empty()) body["data"] = data;
    try {
      c_->http().send(HttpRequest::post("/runs/" + seg(run_id) + "/events", body));
    } catch (const RemoteError& e) {
      if (e.kind() != ErrorKind::not_found) throw;
      not_found(e, "run " + run_id + " not found; list_runs lists recent runs");
    }
  }

 private:
  Conn c_;
};

}  // namespace

std::shared_ptr<RunService> make_runagents_runs(Conn c) {
  return std::make_shared<RunAgentsRuns>(std::move(c));
}

}  // namespace runagents::platform::remote
