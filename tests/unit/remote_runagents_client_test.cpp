// Wire tests of the remote RunAgents client (platform/remote/runagents/runagents_client.hpp)
// against a fake RunAgents API on 127.0.0.1: headers, paths and query parameters as SDK 1.2.1 sends
// them, tolerant parsing of both field spellings, retries of GETs only, and error mapping.
#include <doctest/doctest.h>
#include <httplib.h>

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/wire/runagents_json.hpp"

using namespace runagents::platform;
using namespace runagents::platform::remote;
using namespace std::chrono_literals;

namespace {

struct FakeApi {
  httplib::Server svr;
  int port = 0;
  std::thread thread;
  std::mutex mu;
  std::vector<httplib::Request> seen;

  explicit FakeApi(const std::function<void(FakeApi&, httplib::Server&)>& setup) {
    // After the handler, before the answer is written: the client sees it only once recorded.
    svr.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard l(mu);
      seen.push_back(req);
    });
    setup(*this, svr);
    port = svr.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~FakeApi() {
    svr.stop();
    thread.join();
  }
  RunAgentsOptions options(const std::string& key = "") const {
    RunAgentsOptions o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(port);
    o.api_key = key;
    o.ns = "team-a";
    o.retry.initial_backoff = 5ms;
    o.retry.max_backoff = 10ms;
    return o;
  }
  httplib::Request last() {
    std::lock_guard l(mu);
    REQUIRE(!seen.empty());
    return seen.back();
  }
  std::optional<httplib::Request> find(const std::string& path) {
    std::lock_guard l(mu);
    for (const auto& r : seen) {
      if (r.path == path) return r;
    }
    return std::nullopt;
  }
  size_t count() {
    std::lock_guard l(mu);
    return seen.size();
  }
};

void json_reply(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

ErrorKind kind_of_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::internal;
}

}  // namespace

TEST_SUITE("remote") {
  TEST_CASE("RunAgents headers: namespace, bearer, and X-RunAgents-API-Key for ra_ws_ keys") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Get("/api/tools", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array());
      });
    });
    const std::string ws_key = "ra_ws_abcdefghijklmnop1234";
    Platform p = open_runagents_platform(api.options(ws_key));
    CHECK(p.tools->list().empty());
    auto req = api.last();
    CHECK(req.get_header_value("X-Workspace-Namespace") == "team-a");
    CHECK(req.get_header_value("Authorization") == "Bearer " + ws_key);
    CHECK(req.get_header_value("X-RunAgents-API-Key") == ws_key);
    CHECK(req.get_header_value("Content-Type") == "application/json");
    CHECK(p.faces["tools"].kind == "remote");

    Platform q = open_runagents_platform(api.options("sk-other-key-123456"));
    q.tools->list();
    req = api.last();
    CHECK(req.get_header_value("Authorization") == "Bearer sk-other-key-123456");
    CHECK_FALSE(req.has_header("X-RunAgents-API-Key"));

    Platform none = open_runagents_platform(api.options(""));
    none.tools->list();
    CHECK_FALSE(api.last().has_header("Authorization"));
  }

  TEST_CASE("a bad endpoint is refused with the setting's name") {
    RunAgentsOptions o;
    o.endpoint = "localhost:8092";
    try {
      open_runagents_platform(o);
      FAIL("accepted");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::invalid);
      CHECK(std::string(e.what()).find("RUNAGENTS_ENDPOINT") != std::string::npos);
    }
  }

  TEST_CASE("agents parse from the API's nested form and the SDK's flat form") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Get("/api/agents", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array(
                            {{{"metadata",
                               {{"name", "pay"},
                                {"namespace", "team-a"},
                                {"creationTimestamp", "2026-02-23T10:00:00Z"}}},
                              {"spec",
                               {{"image", "reg/pay:1"},
                                {"systemPrompt", "be nice"},
                                {"requiredTools", {{{"name", "stripe-api"}}}},
                                {"llmConfig", {{"provider", "openai"}, {"model", "gpt-4o-mini"}}}}},
                              {"status", {{"phase", "Running"}, {"message", ""}}}},
                             {{"name", "flat"},
                              {"namespace", "team-a"},
                              {"status", "Failed"},
                              {"required_tools", {"echo-tool"}},
                              {"created_at", 1771840800}}}));
      });
      svr.Get("/api/agents/team-a/pay", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res,
                   {{"name", "pay"}, {"namespace", "team-a"}, {"status", {{"phase", "Pending"}}}});
      });
      svr.Get("/api/agents/team-a/nope", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"error", "agent team-a/nope not found"}}, 404);
      });
    });
    Platform p = open_runagents_platform(api.options());
    auto agents = p.agents->list("");
    REQUIRE(agents.size() == 2);
    CHECK(agents[0].name == "flat");
    CHECK(agents[0].phase == "Failed");
    CHECK(agents[0].required_tools == std::vector<std::string>{"echo-tool"});
    CHECK(agents[0].created_at == "2026-02-23T10:00:00Z");
    CHECK(agents[1].name == "pay");
    CHECK(agents[1].ns == "team-a");
    CHECK(agents[1].phase == "Running");
    CHECK(agents[1].image == "reg/pay:1");
    CHECK(agents[1].system_prompt == "be nice");
    CHECK(agents[1].required_tools == std::vector<std::string>{"stripe-api"});
    REQUIRE(agents[1].llm_configs.size() == 1);
    CHECK(agents[1].llm_configs[0].model == "gpt-4o-mini");
    CHECK(agents[1].created_at == "2026-02-23T10:00:00Z");
    CHECK(p.agents->list("other").empty());

    CHECK(p.agents->get("", "pay").phase == "Pending");  // "" = the configured namespace
    CHECK(api.last().path == "/api/agents/team-a/pay");
    try {
      p.agents->get("team-a", "nope");
      FAIL("found");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::not_found);
      CHECK(e.http_status() == 404);
      std::string what = e.what();
      CHECK(what.rfind("agent team-a/nope not found; list_agents", 0) == 0);
      CHECK(what.find("agent team-a/nope not found)") != std::string::npos);  // server detail
    }
  }

  TEST_CASE("runs, events and approvals parse both spellings; queries are the SDK's") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Get("/runs", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array({{{"id", "r1"},
                                      {"agent_id", "pay"},
                                      {"status", "COMPLETED"},
                                      {"updated_at", "2026-01-01T00:00:01Z"}},
                                     {{"id", "r2"},
                                      {"agent", "pay"},
                                      {"status", "RUNNING"},
                                      {"updated_at", "2026-01-01T00:00:02Z"}}}));
      });
      svr.Get("/runs/r1/events", [](const httplib::Request&, httplib::Response& res) {
        json_reply(
            res, json::array(
                     {{{"id", "e2"}, {"sequence", 2}, {"type", "COMPLETED"}, {"created_at", "t2"}},
                      {{"event_id", "e1"},
                       {"seq", 1},
                       {"type", "RUN_CREATED"},
                       {"timestamp", "t1"},
                       {"data", {{"k", 1}}}},
                      {{"event_id", "e3"}, {"seq", "3"}, {"type", "X"}}}));
      });
      svr.Get("/governance/requests", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array({{{"id", "req-1"},
                                      {"agent_id", "pay"},
                                      {"tool_id", "stripe-api"},
                                      {"status", "PENDING"},
                                      {"run_id", "r1"},
                                      {"created_at", "2026-01-01T00:00:00Z"}},
                                     {{"id", "req-2"},
                                      {"agent", "other"},
                                      {"tool", "x"},
                                      {"status", "PENDING"},
                                      {"created_at", "2026-01-02T00:00:00Z"}}}));
      });
      svr.Post("/governance/requests/req-1/approve",
               [](const httplib::Request&, httplib::Response& res) {
                 json_reply(res, {{"id", "req-1"},
                                  {"status", "APPROVED"},
                                  {"approver_id", "admin"},
                                  {"scope", "agent_user_ttl"},
                                  {"duration", "4h"}});
               });
      svr.Get("/runs/r1", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"id", "r1"}, {"agent_id", "pay"}, {"status", "RUNNING"}});
      });
    });
    Platform p = open_runagents_platform(api.options());

    auto runs = p.runs->list({});
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].id == "r2");  // most recently updated first
    CHECK(runs[1].agent == "pay");
    auto q = api.last();
    CHECK_FALSE(q.has_param("limit"));  // SDK 1.2.1 sends limit only when it is not 20
    CHECK_FALSE(q.has_param("agent"));

    RunFilter f;
    f.agent = "pay";
    f.status = "COMPLETED";
    f.limit = 5;
    runs = p.runs->list(f);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].id == "r1");
    q = api.last();
    CHECK(q.get_param_value("agent") == "pay");
    CHECK(q.get_param_value("agent_id") == "pay");
    CHECK(q.get_param_value("status") == "COMPLETED");
    CHECK(q.get_param_value("limit") == "5");

    auto page = p.runs->events("r1", 0, 2);
    REQUIRE(page.events.size() == 2);
    CHECK(page.events[0].id == "e1");
    CHECK(page.events[0].seq == 1);
    CHECK(page.events[0].timestamp == "t1");
    CHECK(page.events[0].data["k"] == 1);
    CHECK(page.events[0].run_id == "r1");
    CHECK(page.events[1].id == "e2");
    CHECK(page.events[1].timestamp == "t2");
    CHECK(page.more);
    CHECK(page.next_after_seq == 2);
    CHECK(api.last().get_param_value("limit") == "3");
    page = p.runs->events("r1", 2, 10);
    REQUIRE(page.events.size() == 1);
    CHECK(page.events[0].seq == 3);
    CHECK_FALSE(page.more);
    CHECK(api.last().get_param_value("after_seq") == "2");

    auto pending = p.approvals->list({});
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].id == "req-2");  // newest first
    CHECK(pending[0].agent == "other");
    CHECK(pending[0].tool == "x");
    CHECK(api.last().get_param_value("status") == "PENDING");
    ApprovalFilter af;
    af.agent = "pay";
    CHECK(p.approvals->list(af).size() == 1);

    ApprovalDecision d;
    d.request_id = "req-1";
    d.approve = true;
    d.duration = "4h";  // implies agent_user_ttl, as SDK 1.3
    auto r = p.approvals->decide(d);
    CHECK(r.request.status == "APPROVED");
    CHECK(r.request.agent == "pay");  // filled in from the list
    CHECK(r.request.tool == "stripe-api");
    CHECK(r.request.scope == "agent_user_ttl");
    CHECK(r.run_status == "RUNNING");

    d.scope = "once";
    CHECK_THROWS_AS(p.approvals->decide(d), PlatformError);
    d.scope = "forever";
    d.duration.clear();
    CHECK_THROWS_AS(p.approvals->decide(d), PlatformError);
  }

  TEST_CASE("approve without options sends no body, as SDK 1.2.1") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Post("/governance/requests/req-9/approve",
               [](const httplib::Request& req, httplib::Response& res) {
                 json_reply(res, {{"id", "req-9"},
                                  {"status", "APPROVED"},
                                  {"agent_id", "a"},
                                  {"run_id", "r9"},
                                  {"body", req.body}});
               });
      svr.Post("/governance/requests/req-9/reject",
               [](const httplib::Request& req, httplib::Response& res) {
                 json_reply(res, {{"id", "req-9"},
                                  {"status", "REJECTED"},
                                  {"agent_id", "a"},
                                  {"run_id", "r9"},
                                  {"reason", json::parse(req.body)["reason"]}});
               });
      svr.Get("/runs/r9", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"id", "r9"}, {"status", "FAILED"}});
      });
    });
    Platform p = open_runagents_platform(api.options());
    ApprovalDecision d;
    d.request_id = "req-9";
    d.approve = true;
    p.approvals->decide(d);
    auto approve_req = api.find("/governance/requests/req-9/approve");
    REQUIRE(approve_req);
    CHECK(approve_req->body.empty());
    d.approve = false;
    d.reason = "not today";
    auto r = p.approvals->decide(d);
    CHECK(r.request.status == "REJECTED");
    CHECK(r.request.reason == "not today");
    CHECK(r.run_status == "FAILED");
  }

  TEST_CASE("tools: flat SDK body on create; created vs updated; nested parse") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Post("/api/tools", [](const httplib::Request& req, httplib::Response& res) {
        json b = json::parse(req.body);
        bool exists = b["name"] == "old";
        json_reply(res,
                   {{"name", b["name"]},
                    {"spec",
                     {{"description", b["description"]},
                      {"connection",
                       {{"baseUrl", b["base_url"]},
                        {"port", b["port"]},
                        {"scheme", b["scheme"]},
                        {"authentication", {{"type", b["auth_type"]}}}}}}},
                    {"status", {{"phase", "Pending"}}},
                    {"sent", b}},
                   exists ? 200 : 201);
      });
    });
    Platform p = open_runagents_platform(api.options());
    ToolRegistration t;
    t.name = "stripe-api";
    t.base_url = "https://api.stripe.com";
    t.description = "payments";
    auto r = p.tools->upsert(t);
    CHECK(r.created);
    CHECK(r.tool.base_url == "https://api.stripe.com");
    CHECK(r.tool.port == 443);
    CHECK(r.tool.scheme == "HTTPS");
    CHECK(r.tool.auth_type == "None");
    CHECK(r.tool.description == "payments");
    CHECK(r.tool.status == "Pending");
    json sent = json::parse(api.last().body);
    CHECK(sent == json{{"name", "stripe-api"},
                       {"base_url", "https://api.stripe.com"},
                       {"description", "payments"},
                       {"auth_type", "None"},
                       {"port", 443},
                       {"scheme", "HTTPS"}});
    t.name = "old";
    CHECK_FALSE(p.tools->upsert(t).created);
  }

  TEST_CASE("GETs retry on 429 with Retry-After; deploys do not retry") {
    FakeApi api([](FakeApi& self, httplib::Server& svr) {
      svr.Get("/api/model-providers", [&self](const httplib::Request&, httplib::Response& res) {
        if (self.count() < 2) {
          res.status = 429;
          res.set_header("Retry-After", "0.02");
          return;
        }
        json_reply(res, json::array({{{"name", "openai"},
                                      {"provider", "openai"},
                                      {"models", {"gpt-4o"}},
                                      {"status", "Available"}}}));
      });
      svr.Post("/api/deploy", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"error", "build backend down"}}, 503);
      });
    });
    Platform p = open_runagents_platform(api.options());
    auto models = p.models->list();
    REQUIRE(models.size() == 1);
    CHECK(models[0].models == std::vector<std::string>{"gpt-4o"});
    CHECK(models[0].status == "Available");
    CHECK(api.count() == 3);

    DeployRequest d;
    d.agent_name = "x";
    d.source_files = {{"agent.py", "def handler(r): return 'x'\n"}};
    try {
      p.agents->deploy(d);
      FAIL("deployed");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::unavailable);
      CHECK(e.http_status() == 503);
      CHECK(std::string(e.what()).find("build backend down") != std::string::npos);
    }
    CHECK(api.count() == 4);
    json sent = json::parse(api.last().body);
    CHECK(sent == json{{"agent_name", "x"},
                       {"source_files", {{"agent.py", "def handler(r): return 'x'\n"}}}});
  }

  TEST_CASE("export_context falls back to the lists when the server has no export") {
    FakeApi api([](FakeApi&, httplib::Server& svr) {
      svr.Get("/api/agents", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array({{{"name", "a"}, {"namespace", "team-a"}}}));
      });
      svr.Get("/api/tools", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"tools", json::array({{{"name", "t"}}})}});
      });
      svr.Get("/api/model-providers", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array());
      });
      svr.Get("/governance/requests", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, json::array());
      });
    });
    Platform p = open_runagents_platform(api.options());
    auto ctx = p.context->export_context();
    CHECK(ctx.ns == "team-a");
    CHECK(ctx.agents.size() == 1);
    CHECK(ctx.tools.size() == 1);
    CHECK(ctx.errors.count("policies") == 1);  // GET /api/policies is 404 here
    CHECK(ctx.errors.count("agents") == 0);
    CHECK_FALSE(ctx.generated_at.empty());
  }

  TEST_CASE("deploy: inline rules go to the Policies API first; the deploy sends names only") {
    struct State {
      std::mutex mu;
      std::map<std::string, json> policies;  // name -> body as stored
      int deploy_status = 201;
      int put_error = 0;  // answer every PUT with this status when set
    };
    auto st = std::make_shared<State>();
    FakeApi api([st](FakeApi&, httplib::Server& svr) {
      svr.Put("/api/policies/([^/]+)", [st](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard l(st->mu);
        if (st->put_error) return json_reply(res, {{"error", "policy admin only"}}, st->put_error);
        if (!st->policies.count(req.matches[1])) {
          return json_reply(res, {{"error", "policy not found"}}, 404);
        }
        st->policies[req.matches[1]] = json::parse(req.body);
        json_reply(res, st->policies[req.matches[1]]);
      });
      svr.Post("/api/policies", [st](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard l(st->mu);
        json b = json::parse(req.body);
        st->policies[b["name"].get<std::string>()] = b;
        json_reply(res, b, 201);
      });
      svr.Delete("/api/policies/([^/]+)",
                 [st](const httplib::Request& req, httplib::Response& res) {
                   std::lock_guard l(st->mu);
                   st->policies.erase(req.matches[1]);
                   json_reply(res, {{"status", "deleted"}});
                 });
      svr.Get("/api/policies", [st](const httplib::Request&, httplib::Response& res) {
        std::lock_guard l(st->mu);
        json out = json::array();
        for (const auto& [name, b] : st->policies) out.push_back(b);
        json_reply(res, out);
      });
      svr.Post("/api/deploy", [st](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard l(st->mu);
        if (st->deploy_status >= 400) {
          return json_reply(res, {{"error", "required tool missing"}}, st->deploy_status);
        }
        json b = json::parse(req.body);
        json_reply(res, {{"agent", b["agent_name"]}, {"namespace", "team-a"}, {"phase", "Running"}},
                   st->deploy_status);
      });
      svr.Post("/ingestion/analyze", [](const httplib::Request&, httplib::Response& res) {
        json_reply(res, {{"entry_point", "agent.py"}}, 201);
      });
    });
    auto requests = [&] {
      std::lock_guard l(api.mu);
      std::vector<std::string> out;
      for (const auto& r : api.seen) out.push_back(r.method + " " + r.path);
      api.seen.clear();
      return out;
    };
    Platform p = open_runagents_platform(api.options());
    DeployRequest d;
    d.agent_name = "pay";
    d.source_files = {{"agent.py", "def handler(r): return 'x'\n"}};
    d.policy_names = {"shared"};
    d.policy_rules = {{"approval_required", "stripe-api", {"POST"}}};
    st->policies["shared"] = {{"name", "shared"}, {"spec", {{"policies", json::array()}}}};
    const json rules_body = {{"name", "pay-inline"},
                             {"spec",
                              {{"policies", json::array({{{"permission", "approval_required"},
                                                          {"resource", "stripe-api"},
                                                          {"operations", {"POST"}}}})},
                               {"approvals", json::array()}}}};

    // A dry run checks, and writes nothing.
    DeployRequest dry = d;
    dry.dry_run = true;
    dry.policy_names = {"shared", "ghost"};
    auto rd = p.agents->deploy(dry);
    CHECK(rd.status == "validated");
    CHECK(requests() == std::vector<std::string>{"GET /api/policies", "POST /ingestion/analyze"});
    REQUIRE(rd.warnings.size() == 1);
    CHECK(rd.warnings[0].find("policy 'ghost' does not exist") != std::string::npos);
    CHECK(st->policies.count("pay-inline") == 0);

    // First deploy: PUT answers 404, so POST creates the policy; the deploy binds it by name.
    auto r = p.agents->deploy(d);
    CHECK(r.status == "created");
    auto first = std::vector<httplib::Request>(api.seen);
    CHECK(requests() == std::vector<std::string>{"PUT /api/policies/pay-inline",
                                                 "POST /api/policies", "POST /api/deploy"});
    REQUIRE(first.size() == 3);
    CHECK(json::parse(first[0].body) == rules_body);
    CHECK(json::parse(first[1].body) == rules_body);
    json sent = json::parse(first[2].body);
    CHECK(sent["policies"] == json::array({"shared", "pay-inline"}));
    for (const auto& n : sent["policies"]) CHECK(n.is_string());
    CHECK(st->policies.at("pay-inline") == rules_body);

    // Redeploy: the policy exists, so PUT replaces it; no POST.
    d.policy_rules[0].operations = {"POST", "PUT"};
    st->deploy_status = 200;
    CHECK(p.agents->deploy(d).status == "updated");
    CHECK(requests() ==
          std::vector<std::string>{"PUT /api/policies/pay-inline", "POST /api/deploy"});
    CHECK(st->policies.at("pay-inline")["spec"]["policies"][0]["operations"] ==
          json::array({"POST", "PUT"}));

    // A refused deploy takes back the policy it created.
    DeployRequest other = d;
    other.agent_name = "refund";
    other.policy_names.clear();
    st->deploy_status = 400;
    CHECK(kind_of_error([&] { p.agents->deploy(other); }) == ErrorKind::invalid);
    CHECK(requests() == std::vector<std::string>{"PUT /api/policies/refund-inline",
                                                 "POST /api/policies", "POST /api/deploy",
                                                 "DELETE /api/policies/refund-inline"});
    CHECK(st->policies.count("refund-inline") == 0);

    // An error from the Policies API surfaces with its status and detail; no deploy is sent.
    st->put_error = 403;
    try {
      p.agents->deploy(d);
      FAIL("deployed");
    } catch (const PlatformError& e) {
      CHECK(e.http_status() == 403);
      CHECK(std::string(e.what()).find("policy admin only") != std::string::npos);
      CHECK(std::string(e.what()).find("/api/policies/pay-inline") != std::string::npos);
    }
    CHECK(requests() == std::vector<std::string>{"PUT /api/policies/pay-inline"});

    // The policy name stays a DNS label for the longest agent names.
    const std::string long_name(63, 'a');
    CHECK(inline_policy_name(long_name).size() == 63);
    CHECK(inline_policy_name(std::string(55, 'b') + "-cc") == std::string(55, 'b') + "-inline");
    CHECK(inline_policy_name("pay") == "pay-inline");
  }
}
