#include "platform/serve/runtime_routes.hpp"

#include <chrono>

#include "platform/common/random_hex.hpp"

namespace runagents::platform::serve {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<RunEvent> events_after(Platform& p, const std::string& run_id, std::int64_t after) {
  std::vector<RunEvent> all;
  for (;;) {
    EventPage page = p.runs->events(run_id, after, 500);
    for (auto& e : page.events) all.push_back(std::move(e));
    if (!page.more || page.next_after_seq <= after) return all;
    after = page.next_after_seq;
  }
}

std::int64_t last_seq(Platform& p, const std::string& run_id) {
  auto events = events_after(p, run_id, 0);
  return events.empty() ? 0 : events.back().seq;
}

std::string model_of(Platform& p, const RuntimeAgent& agent) {
  try {
    Agent a = p.agents->get(agent.ns, agent.name);
    if (!a.llm_configs.empty() && !a.llm_configs.front().model.empty())
      return a.llm_configs.front().model;
  } catch (const PlatformError&) {
  }
  return "playground-llm";
}

// The runtime's traced calls, {function, tool, method, url, status_code, source, arguments,
// result}, from the egress's TOOL_REQUEST / TOOL_RESPONSE pairs.
json tool_calls(const std::vector<RunEvent>& events) {
  json calls = json::array();
  for (const auto& e : events) {
    const std::string tool = e.data.value("tool", "");
    if (e.type == "TOOL_REQUEST") {
      calls.push_back({{"function", tool},
                       {"tool", tool},
                       {"method", e.data.value("tool_method", "POST")},
                       {"url", e.data.value("tool_url", "")},
                       {"status_code", nullptr},
                       {"source", "egress"},
                       {"arguments", {{"path", e.data.value("path", "/")}}},
                       {"result", nullptr}});
    } else if (e.type == "TOOL_RESPONSE") {
      for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
        if ((*it)["tool"] != tool || !(*it)["status_code"].is_null()) continue;
        (*it)["status_code"] = e.data.value("status_code", 0);
        if (e.data.contains("result")) (*it)["result"] = e.data["result"];
        if (e.data.contains("error")) (*it)["result"] = {{"error", e.data["error"]}};
        break;
      }
    }
  }
  return calls;
}

std::string text_of(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

void reply_run(httplib::Response& res, const InvokeResult& r, const json& answer, bool stream) {
  res.set_header("X-Run-ID", r.run_id);
  res.set_header("X-Run-Status", r.status);
  res.set_header("X-Request-Id", answer.value("request_id", ""));
  if (r.status == "FAILED") {
    json error = {{"error", answer.value("error", std::string("the agent's handler failed"))},
                  {"request_id", answer.value("request_id", "")},
                  {"run_id", r.run_id}};
    if (!stream) return reply_json(res, 500, error);
    json e = {{"type", "error"}, {"message", error["error"]}};
    res.set_content("data: " + e.dump() + "\n\ndata: [DONE]\n\n", "text/event-stream");
    return;
  }
  if (!stream) return reply_json(res, 200, answer);
  res.set_header("Cache-Control", "no-cache");
  res.set_content(runtime_stream(answer), "text/event-stream");
}

std::string run_id_of(const httplib::Request& req, const json& body) {
  std::string id = req.get_header_value("X-Run-ID");
  if (id.empty() && body.is_object()) {
    auto it = body.find("run_id");
    if (it != body.end() && it->is_string()) id = *it;
  }
  return id;
}

}  // namespace

json runtime_answer(Platform& p, const RuntimeAgent& agent, const InvokeResult& result,
                    std::int64_t after_seq, long long duration_ms, const std::string& request_id) {
  json answer = result.response.is_object() ? result.response : json{{"response", result.response}};
  if (!answer.contains("response")) answer["response"] = "";
  if (!answer.contains("model")) answer["model"] = model_of(p, agent);
  if (!answer.contains("usage")) answer["usage"] = json::object();
  answer["tool_calls_made"] =
      result.run_id.empty() ? json::array() : tool_calls(events_after(p, result.run_id, after_seq));
  answer["duration_ms"] = duration_ms;
  answer["request_id"] = request_id;
  answer["handler"] = "user";
  answer["run_id"] = result.run_id;
  return answer;
}

std::string runtime_stream(const json& answer) {
  std::string out;
  auto event = [&out](const json& e) { out += "data: " + e.dump() + "\n\n"; };
  const json calls = answer.value("tool_calls_made", json::array());
  for (const auto& c : calls) {
    event({{"type", "tool_call"},
           {"tool", c.value("function", "")},
           {"arguments", c.value("arguments", json::object()).dump()}});
    event({{"type", "tool_result"},
           {"tool", c.value("function", "")},
           {"result", text_of(c.value("result", json())).substr(0, 1000)}});
  }
  event({{"type", "content"}, {"delta", text_of(answer.value("response", json("")))}});
  if (auto held = answer.find("approval_required"); held != answer.end())
    event({{"type", "approval_required"}, {"tool", held->value("tool", "")}, {"detail", *held}});
  event({{"type", "done"}, {"model", answer.value("model", "")}, {"tool_calls_made", calls}});
  return out + "data: [DONE]\n\n";
}

void register_runtime_routes(RestServer& server, const Platform& platform, RuntimeRoutes routes) {
  auto p = std::make_shared<Platform>(platform);
  auto who = std::make_shared<std::function<RuntimeAgent(const httplib::Request&)>>(routes.agent);

  auto invoke = [p, who, &server](bool stream) {
    return [p, who, stream, &server](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      if (!body.is_object()) throw PlatformError(ErrorKind::invalid, "invalid JSON body");
      InvokeRequest in;
      RuntimeAgent agent = (*who)(req);
      in.ns = agent.ns;
      in.agent = agent.name;
      if (auto m = body.find("message"); m != body.end() && m->is_string()) in.message = *m;
      if (in.message.empty()) throw PlatformError(ErrorKind::invalid, "message is required");
      if (auto h = body.find("history"); h != body.end() && !h->is_null()) {
        if (!h->is_array())
          throw PlatformError(ErrorKind::invalid,
                              "field 'history' must be an array of {role, content}");
        in.history = *h;
      }
      if (auto u = body.find("user_id"); u != body.end() && u->is_string()) in.user_id = *u;
      if (in.user_id.empty()) in.user_id = req.get_header_value("X-End-User-Id");
      std::string request_id = req.get_header_value("X-Request-Id");
      if (request_id.empty()) request_id = common::random_hex(16);
      const auto start = Clock::now();
      auto stop = server.stop_link();  // the run stops with the server
      in.cancel = stop->cancel;
      InvokeResult r = p->agents->invoke(in);
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      reply_run(res, r, runtime_answer(*p, agent, r, 0, ms, request_id), stream);
    };
  };
  auto resume = [p, who, &server](bool stream) {
    return [p, who, stream, &server](const httplib::Request& req, httplib::Response& res) {
      json body = body_json(req);
      const std::string action_id = req.matches[req.matches.size() - 1];
      const std::string run_id = run_id_of(req, body);
      if (run_id.empty())
        return reply_json(res, 400, {{"error", "X-Run-ID header or run_id in body is required"}});
      RuntimeAgent agent = (*who)(req);
      ApprovalFilter filter;
      filter.agent = agent.name;
      filter.limit = 200;
      std::string request_id;
      for (const auto& a : p->approvals->list(filter))
        if (a.action_id == action_id && a.run_id == run_id) request_id = a.id;
      if (request_id.empty())
        return reply_json(res, 404,
                          {{"error", "checkpoint for action " + action_id + " not found"}});
      const std::int64_t before = last_seq(*p, run_id);
      std::string trace_id = req.get_header_value("X-Request-Id");
      if (trace_id.empty()) trace_id = common::random_hex(16);
      ApprovalDecision d;
      d.request_id = request_id;
      d.approve = true;
      d.scope = "once";
      d.approver = "runtime /resume";
      const auto start = Clock::now();
      auto stop = server.stop_link();  // the resumed run stops with the server
      d.cancel = stop->cancel;
      DecisionResult decided = p->approvals->decide(d);
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      InvokeResult r;
      r.run_id = run_id;
      r.status = decided.run_status;
      r.response = decided.response.is_null() ? json::object() : decided.response;
      reply_run(res, r, runtime_answer(*p, agent, r, before, ms, trace_id), stream);
    };
  };
  if (routes.invoke) server.post(routes.prefix + "/invoke", invoke(false));
  server.post(routes.prefix + "/invoke/stream", invoke(true));
  server.post(routes.prefix + "/resume/([^/]+)", resume(false));
  server.post(routes.prefix + "/resume/([^/]+)/stream", resume(true));
}

}  // namespace runagents::platform::serve
