// Contract tests: `platform serve` (the embedded local platform over the RunAgents 1.2.1 REST
// paths) started in-process on 127.0.0.1 and an ephemeral port over a temporary data dir, with
// the remote RunAgents client pointed at it. Every call through the remote client must give the
// same result as the same call on the local platform in-process.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "platform/local/local_platform.hpp"
#include "platform/queries/agent_query.hpp"
#include "platform/queries/agent_runs.hpp"
#include "platform/remote/runagents/runagents_client.hpp"
#include "platform/serve/rest_server.hpp"
#include "platform/serve/runagents_routes.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using namespace std::chrono_literals;
using runagents::platform::testing::kEchoAgent;
using runagents::platform::testing::TempDir;

namespace {

// The local platform, served; `local` and `remote` answer from the same data.
struct Served {
  TempDir dir;
  Platform local;
  std::unique_ptr<serve::RestServer> server;
  std::thread thread;
  int port = 0;
  Platform remote;

  explicit Served(std::string token = "") {
    local::LocalOptions lo;
    lo.data_dir = dir.path / "data";
    local = local::open_local_platform(lo);
    serve::ServeOptions so;
    so.port = 0;
    so.auth_token = token;
    server = std::make_unique<serve::RestServer>(so);
    serve::register_runagents_routes(*server, local);
    port = server->bind();
    thread = std::thread([this] { server->serve(); });
    remote = remote::open_runagents_platform(options(token));
  }
  ~Served() {
    server->stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  remote::RunAgentsOptions options(const std::string& key) const {
    remote::RunAgentsOptions o;
    o.endpoint = url();
    o.api_key = key;
    o.ns = "default";
    o.retry.initial_backoff = 5ms;
    o.retry.max_backoff = 10ms;
    return o;
  }
};

// A recording pass-through in front of the served platform: what a RunAgents server receives
// from the remote client, request by request.
struct RecordingProxy {
  struct Seen {
    std::string call;  // "POST /api/deploy"
    json body;         // null when empty or not JSON
  };
  httplib::Server svr;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<Seen> seen;

  explicit RecordingProxy(int target) {
    // A route handler, not a pre-routing one: the body is read only when routing.
    auto forward = [this, target](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard l(mu);
        seen.push_back({req.method + " " + req.path,
                        req.body.empty() ? json() : json::parse(req.body, nullptr, false)});
      }
      httplib::Client c("127.0.0.1", target);
      c.set_read_timeout(120, 0);
      const std::string path = httplib::append_query_params(req.path, req.params);
      const std::string type = req.get_header_value("Content-Type");
      httplib::Headers headers;
      for (const char* h :
           {"X-Workspace-Namespace", "Authorization", "X-RunAgents-API-Key", "X-End-User-Id"}) {
        if (req.has_header(h)) headers.emplace(h, req.get_header_value(h));
      }
      httplib::Result r = req.method == "GET"    ? c.Get(path, headers)
                          : req.method == "POST" ? c.Post(path, headers, req.body, type)
                          : req.method == "PUT"  ? c.Put(path, headers, req.body, type)
                                                 : c.Delete(path, headers);
      if (!r) {
        res.status = 502;
        return;
      }
      res.status = r->status;
      for (const auto& [k, v] : r->headers) {
        if (k.rfind("X-", 0) == 0) res.set_header(k, v);
      }
      res.set_content(r->body, r->get_header_value("Content-Type"));
    };
    svr.Get(".*", forward);
    svr.Post(".*", forward);
    svr.Put(".*", forward);
    svr.Delete(".*", forward);
    port = svr.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~RecordingProxy() {
    svr.stop();
    thread.join();
  }
  // The calls recorded since the last take, forgetting them.
  std::vector<Seen> take() {
    std::lock_guard l(mu);
    return std::exchange(seen, {});
  }
  static std::vector<std::string> calls(const std::vector<Seen>& seen) {
    std::vector<std::string> out;
    for (const auto& s : seen) out.push_back(s.call);
    return out;
  }
};

DeployRequest echo_agent(const std::string& name) {
  DeployRequest req;
  req.agent_name = name;
  req.source_files = {{"agent.py", kEchoAgent}};
  req.required_tools = {"echo-tool"};
  req.system_prompt = "You echo.";
  req.llm_configs = {{"playground", "playground-llm", "default"}};
  return req;
}

// An agent whose handler sleeps until it is stopped.
DeployRequest sleepy_agent(const std::string& name) {
  DeployRequest req;
  req.agent_name = name;
  req.source_files = {{"agent.py",
                       "import time\n\n\ndef handler(request, ctx):\n    time.sleep(300)\n"
                       "    return {\"response\": \"woke up\"}\n"}};
  return req;
}

std::vector<std::string> event_types(RunService& runs, const std::string& run_id) {
  std::vector<std::string> out;
  for (const auto& e : runs.events(run_id, 0, 500).events) out.push_back(e.type);
  return out;
}

std::string kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return to_string(e.kind());
  }
  return "none";
}

void check_same(const Tool& a, const Tool& b) {
  CHECK(a.name == b.name);
  CHECK(a.description == b.description);
  CHECK(a.base_url == b.base_url);
  CHECK(a.auth_type == b.auth_type);
  CHECK(a.port == b.port);
  CHECK(a.scheme == b.scheme);
  CHECK(a.status == b.status);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void check_same(const Agent& a, const Agent& b) {
  CHECK(a.name == b.name);
  CHECK(a.ns == b.ns);
  CHECK(a.phase == b.phase);
  CHECK(a.message == b.message);
  CHECK(a.image == b.image);
  CHECK(a.system_prompt == b.system_prompt);
  CHECK(a.entry_point == b.entry_point);
  CHECK(a.required_tools == b.required_tools);
  CHECK(a.policies == b.policies);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
  REQUIRE(a.llm_configs.size() == b.llm_configs.size());
  for (size_t i = 0; i < a.llm_configs.size(); ++i) {
    CHECK(a.llm_configs[i].provider == b.llm_configs[i].provider);
    CHECK(a.llm_configs[i].model == b.llm_configs[i].model);
    CHECK(a.llm_configs[i].role == b.llm_configs[i].role);
  }
  // The served spec carries everything the local one does (plus the API's camelCase keys).
  for (const auto& item : a.spec.items()) {
    const std::string& k = item.key();  // CAPTURE takes a reference; clang 14 refuses a binding
    CAPTURE(k);
    CHECK(b.spec.value(k, json()) == item.value());
  }
}

void check_same(const Run& a, const Run& b) {
  CHECK(a.id == b.id);
  CHECK(a.agent == b.agent);
  CHECK(a.ns == b.ns);
  CHECK(a.status == b.status);
  CHECK(a.blocked_action_id == b.blocked_action_id);
  CHECK(a.user_id == b.user_id);
  CHECK(a.initial_message == b.initial_message);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void check_same(const EventPage& a, const EventPage& b) {
  CHECK(a.more == b.more);
  CHECK(a.next_after_seq == b.next_after_seq);
  REQUIRE(a.events.size() == b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    CAPTURE(i);
    CHECK(a.events[i].id == b.events[i].id);
    CHECK(a.events[i].run_id == b.events[i].run_id);
    CHECK(a.events[i].seq == b.events[i].seq);
    CHECK(a.events[i].type == b.events[i].type);
    CHECK(a.events[i].actor == b.events[i].actor);
    CHECK(a.events[i].timestamp == b.events[i].timestamp);
    CHECK(a.events[i].data == b.events[i].data);
  }
}

void check_same(const AccessRequest& a, const AccessRequest& b) {
  CHECK(a.id == b.id);
  CHECK(a.subject == b.subject);
  CHECK(a.agent == b.agent);
  CHECK(a.tool == b.tool);
  CHECK(a.run_id == b.run_id);
  CHECK(a.action_id == b.action_id);
  CHECK(a.payload_hash == b.payload_hash);
  CHECK(a.status == b.status);
  CHECK(a.scope == b.scope);
  CHECK(a.duration == b.duration);
  CHECK(a.approver_id == b.approver_id);
  CHECK(a.reason == b.reason);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
  CHECK(a.expires_at == b.expires_at);
}

void check_same(const Analysis& a, const Analysis& b) {
  CHECK(a.entry_point == b.entry_point);
  CHECK(a.has_handler == b.has_handler);
  CHECK(a.handler_signature == b.handler_signature);
  CHECK(a.framework == b.framework);
  CHECK(a.llm_libraries == b.llm_libraries);
  CHECK(a.requirements == b.requirements);
  CHECK(a.outbound_destinations == b.outbound_destinations);
  REQUIRE(a.tools.size() == b.tools.size());
  for (size_t i = 0; i < a.tools.size(); ++i) {
    CHECK(a.tools[i].name == b.tools[i].name);
    CHECK(a.tools[i].base_url == b.tools[i].base_url);
    CHECK(a.tools[i].file == b.tools[i].file);
    CHECK(a.tools[i].line == b.tools[i].line);
  }
  CHECK(a.models.size() == b.models.size());
  CHECK(a.secrets.size() == b.secrets.size());
}

template <typename T>
void check_same_lists(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CAPTURE(i);
    check_same(a[i], b[i]);
  }
}

}  // namespace

TEST_SUITE("contract") {
  TEST_CASE("tools and model providers: list, get, create and update") {
    Served s;
    check_same_lists(s.local.tools->list(), s.remote.tools->list());
    check_same(s.local.tools->get("echo-tool"), s.remote.tools->get("echo-tool"));
    CHECK(kind_of([&] { s.remote.tools->get("nope"); }) == "not_found");
    CHECK(kind_of([&] { s.local.tools->get("nope"); }) == "not_found");

    ToolRegistration t;
    t.name = "weather";
    t.base_url = "https://api.weather.example";
    t.description = "Forecasts";
    t.auth_type = "APIKey";
    auto created = s.remote.tools->upsert(t);
    CHECK(created.created);
    check_same(s.local.tools->get("weather"), created.tool);
    t.description = "Forecasts, updated";
    t.port = 8443;
    auto updated = s.remote.tools->upsert(t);
    CHECK_FALSE(updated.created);
    CHECK(updated.tool.port == 8443);
    check_same(s.local.tools->get("weather"), s.remote.tools->get("weather"));
    check_same_lists(s.local.tools->list(), s.remote.tools->list());

    ToolRegistration bad = t;
    bad.scheme = "FTP";
    CHECK(kind_of([&] { s.remote.tools->upsert(bad); }) ==
          kind_of([&] { s.local.tools->upsert(bad); }));

    auto lm = s.local.models->list(), rm = s.remote.models->list();
    REQUIRE(lm.size() == rm.size());
    for (size_t i = 0; i < lm.size(); ++i) {
      CHECK(lm[i].name == rm[i].name);
      CHECK(lm[i].provider == rm[i].provider);
      CHECK(lm[i].base_url == rm[i].base_url);
      CHECK(lm[i].models == rm[i].models);
      CHECK(lm[i].status == rm[i].status);
    }
  }

  TEST_CASE("agents: deploy (created, updated, failed, invalid, dry run), list, get") {
    Served s;
    auto r = s.remote.agents->deploy(echo_agent("echo-agent"));
    CHECK(r.agent == "echo-agent");
    CHECK(r.ns == "default");
    CHECK(r.status == "created");
    CHECK(r.phase == "Running");
    CHECK(r.analysis.has_handler);
    CHECK(s.remote.agents->deploy(echo_agent("echo-agent")).status == "updated");

    check_same(s.local.agents->get("default", "echo-agent"),
               s.remote.agents->get("default", "echo-agent"));
    check_same(s.local.agents->get("", "echo-agent"), s.remote.agents->get("", "echo-agent"));
    check_same_lists(s.local.agents->list(""), s.remote.agents->list(""));
    check_same_lists(s.local.agents->list("default"), s.remote.agents->list("default"));
    CHECK(kind_of([&] { s.remote.agents->get("default", "nope"); }) == "not_found");

    // Broken code is stored as Failed, with the reason, through both faces.
    auto broken = echo_agent("broken");
    broken.source_files = {{"agent.py", "def handler(request:\n    return 1\n"}};
    auto b = s.remote.agents->deploy(broken);
    CHECK(b.phase == "Failed");
    CHECK(b.message == s.local.agents->get("", "broken").message);
    CHECK(b.message.find("SyntaxError") != std::string::npos);

    // Invalid requests fail the same way and change nothing.
    auto missing = echo_agent("needs-more");
    missing.required_tools = {"echo-tool", "no-such-tool"};
    CHECK(kind_of([&] { s.remote.agents->deploy(missing); }) == "invalid");
    CHECK(kind_of([&] { s.local.agents->deploy(missing); }) == "invalid");
    CHECK(kind_of([&] { s.remote.agents->deploy(echo_agent("Bad_Name")); }) == "invalid");
    CHECK(kind_of([&] { s.remote.agents->get("", "needs-more"); }) == "not_found");

    // Tools created with the deploy, inline policies bound.
    auto tooled = echo_agent("tooled");
    tooled.tools_to_create = {
        {"calendar", "https://cal.example", "Calendar", "None", 443, "HTTPS"}};
    tooled.required_tools = {"echo-tool", "calendar"};
    tooled.policy_rules = {{"approval_required", "calendar", {"POST"}}};
    auto tr = s.remote.agents->deploy(tooled);
    CHECK(tr.tools_created == std::vector<std::string>{"calendar"});
    check_same(s.local.agents->get("", "tooled"), s.remote.agents->get("", "tooled"));
    check_same(s.local.tools->get("calendar"), s.remote.tools->get("calendar"));
    auto lp = s.local.policies->list(""), rp = s.remote.policies->list("");
    REQUIRE(lp.size() == rp.size());
    REQUIRE(!lp.empty());
    for (size_t i = 0; i < lp.size(); ++i) {
      CHECK(lp[i].name == rp[i].name);
      CHECK(lp[i].ns == rp[i].ns);
      CHECK(lp[i].bound_agents == rp[i].bound_agents);
      REQUIRE(lp[i].rules.size() == rp[i].rules.size());
      for (size_t j = 0; j < lp[i].rules.size(); ++j) {
        CHECK(lp[i].rules[j].permission == rp[i].rules[j].permission);
        CHECK(lp[i].rules[j].resource == rp[i].rules[j].resource);
        CHECK(lp[i].rules[j].operations == rp[i].rules[j].operations);
      }
    }

    // A dry run goes to /ingestion/analyze and changes nothing.
    auto dry = echo_agent("dry-one");
    dry.dry_run = true;
    auto rd = s.remote.agents->deploy(dry);
    auto ld = s.local.agents->deploy(dry);
    CHECK(rd.status == "validated");
    CHECK(ld.status == "validated");
    check_same(ld.analysis, rd.analysis);
    CHECK(kind_of([&] { s.local.agents->get("", "dry-one"); }) == "not_found");
  }

  TEST_CASE("invoke, runs and events") {
    Served s;
    REQUIRE(s.remote.agents->deploy(echo_agent("echo-agent")).phase == "Running");
    InvokeRequest inv;
    inv.agent = "echo-agent";
    inv.message = "hello";
    auto remote_result = s.remote.agents->invoke(inv);
    INFO(remote_result.response.dump());
    REQUIRE(remote_result.status == "COMPLETED");
    CHECK_FALSE(remote_result.run_id.empty());
    CHECK(remote_result.response["response"] == "echoed: hello");
    CHECK_FALSE(remote_result.response.contains("run_id"));
    auto local_result = s.local.agents->invoke(inv);
    REQUIRE(local_result.status == "COMPLETED");
    CHECK(local_result.response["response"] == remote_result.response["response"]);

    check_same(s.local.runs->get(remote_result.run_id), s.remote.runs->get(remote_result.run_id));
    check_same_lists(s.local.runs->list({}), s.remote.runs->list({}));
    RunFilter f;
    f.agent = "echo-agent";
    f.status = "COMPLETED";
    f.limit = 1;
    check_same_lists(s.local.runs->list(f), s.remote.runs->list(f));
    f.agent = "nobody";
    CHECK(s.remote.runs->list(f).empty());

    const std::string run = remote_result.run_id;
    check_same(s.local.runs->events(run, 0, 500), s.remote.runs->events(run, 0, 500));
    check_same(s.local.runs->events(run, 2, 2), s.remote.runs->events(run, 2, 2));
    auto all = s.remote.runs->events(run, 0, 500);
    REQUIRE(all.events.size() >= 4);
    CHECK(all.events.front().type == "RUN_CREATED");
    CHECK(all.events.back().type == "COMPLETED");
    check_same(s.local.runs->events(run, all.events.back().seq, 10),
               s.remote.runs->events(run, all.events.back().seq, 10));

    CHECK(kind_of([&] { s.remote.runs->get("no-such-run"); }) == "not_found");
    CHECK(kind_of([&] { s.remote.runs->events("no-such-run", 0, 10); }) == "not_found");
    InvokeRequest unknown = inv;
    unknown.agent = "ghost";
    CHECK(kind_of([&] { s.remote.agents->invoke(unknown); }) == "not_found");
    InvokeRequest empty = inv;
    empty.message = "";
    CHECK(kind_of([&] { s.remote.agents->invoke(empty); }) == "invalid");
  }

  TEST_CASE("runs made before their invocation: create, invoke with run_id, status moves") {
    Served s;
    REQUIRE(s.remote.agents->deploy(echo_agent("echo-agent")).phase == "Running");
    REQUIRE(s.remote.agents->deploy(echo_agent("other-agent")).phase == "Running");
    RunCreateRequest create;
    create.agent = "echo-agent";
    Run made = s.remote.runs->create(create);
    CHECK_FALSE(made.id.empty());
    CHECK(made.status == "RUNNING");
    CHECK(made.agent == "echo-agent");
    CHECK(made.initial_message.empty());
    check_same(s.local.runs->get(made.id), s.remote.runs->get(made.id));
    CHECK(event_types(*s.remote.runs, made.id) == std::vector<std::string>{"RUN_CREATED"});

    // Another agent cannot take the run; its own agent continues it, once.
    InvokeRequest inv;
    inv.agent = "other-agent";
    inv.message = "hello";
    inv.run_id = made.id;
    CHECK(kind_of([&] { s.remote.agents->invoke(inv); }) == "invalid");
    inv.agent = "echo-agent";
    auto out = s.remote.agents->invoke(inv);
    INFO(out.response.dump());
    CHECK(out.run_id == made.id);
    CHECK(out.status == "COMPLETED");
    CHECK(out.response["response"] == "echoed: hello");
    CHECK(s.remote.runs->get(made.id).initial_message == "hello");
    auto types = event_types(*s.remote.runs, made.id);
    REQUIRE(types.size() >= 4);
    CHECK(types[0] == "RUN_CREATED");
    CHECK(types[1] == "USER_MESSAGE");
    CHECK(types.back() == "COMPLETED");
    CHECK(kind_of([&] { s.remote.agents->invoke(inv); }) == "conflict");
    CHECK(kind_of([&] { s.remote.runs->set_status(made.id, "FAILED"); }) == "conflict");

    // The reference's moves; a FAILED run cannot be invoked.
    Run other = s.remote.runs->create(create);
    CHECK(s.remote.runs->set_status(other.id, "PAUSED_APPROVAL").status == "PAUSED_APPROVAL");
    CHECK(kind_of([&] { s.remote.runs->set_status(other.id, "COMPLETED"); }) == "conflict");
    CHECK(s.remote.runs->set_status(other.id, "RUNNING").status == "RUNNING");
    CHECK(kind_of([&] { s.remote.runs->set_status(other.id, "DONE"); }) == "invalid");
    s.remote.runs->add_event(other.id, "FAILED", "someone", {{"error", "told to stop"}});
    Run failed = s.remote.runs->set_status(other.id, "FAILED");
    CHECK(failed.status == "FAILED");
    check_same(s.local.runs->get(other.id), failed);
    auto events = s.remote.runs->events(other.id, 0, 500).events;
    REQUIRE(events.size() >= 2);
    CHECK(events[1].type == "FAILED");
    CHECK(events[1].actor == "someone");
    CHECK(events[1].data["error"] == "told to stop");
    check_same(s.local.runs->events(other.id, 0, 500), s.remote.runs->events(other.id, 0, 500));
    inv.run_id = other.id;
    CHECK(kind_of([&] { s.remote.agents->invoke(inv); }) == "conflict");

    CHECK(kind_of([&] { s.remote.runs->set_status("no-such-run", "FAILED"); }) == "not_found");
    CHECK(kind_of([&] { s.remote.runs->add_event("no-such-run", "X", "", {}); }) == "not_found");
    RunCreateRequest ghost;
    ghost.agent = "ghost";
    CHECK(kind_of([&] { s.remote.runs->create(ghost); }) == "not_found");
    CHECK(kind_of([&] { s.remote.runs->create({}); }) == "invalid");
  }

  TEST_CASE("a run set FAILED from outside stops its handler, and the invoke says so") {
    Served s;
    REQUIRE(s.remote.agents->deploy(sleepy_agent("sleepy")).phase == "Running");
    RunCreateRequest create;
    create.agent = "sleepy";
    Run run = s.remote.runs->create(create);
    InvokeResult out;
    std::string error;
    std::thread invoker([&] {
      InvokeRequest inv;
      inv.agent = "sleepy";
      inv.message = "sleep";
      inv.run_id = run.id;
      try {
        out = s.remote.agents->invoke(inv);
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    // The handler runs once the run has its message; give its sandbox a moment to start.
    for (int i = 0; i < 100 && s.remote.runs->get(run.id).initial_message.empty(); ++i)
      std::this_thread::sleep_for(50ms);
    std::this_thread::sleep_for(500ms);
    const auto stopped_at = std::chrono::steady_clock::now();
    CHECK(s.remote.runs->set_status(run.id, "FAILED").status == "FAILED");
    invoker.join();
    CHECK(error.empty());
    CHECK(out.status == "FAILED");
    CHECK(std::chrono::steady_clock::now() - stopped_at < 20s);  // not the handler's 300 s
    CHECK(s.remote.runs->get(run.id).status == "FAILED");
    // One FAILED event: the one the status move wrote; the stopped handler added none.
    auto types = event_types(*s.remote.runs, run.id);
    CHECK(std::count(types.begin(), types.end(), "FAILED") == 1);
    CHECK(types.back() == "FAILED");
  }

  TEST_CASE("a synchronous query to a remote agent answers at its timeout") {
    Served s;
    REQUIRE(s.remote.agents->deploy(sleepy_agent("sleepy")).phase == "Running");
    auto runner = make_agent_query_runner(s.remote.agents, s.remote.approvals, "default");
    QueryRequest q;
    q.agent_name = "sleepy";
    q.prompt = "sleep";
    q.timeout = 1s;
    const auto t0 = std::chrono::steady_clock::now();
    QueryResult r = runner->run(q, {});
    CHECK(std::chrono::steady_clock::now() - t0 < 15s);  // not the handler's 300 s
    CHECK(r.timed_out);
    CHECK(r.result_type == "error");
    CHECK(r.error.find("did not answer within 1 s") != std::string::npos);
    CHECK(r.error.find("list_runs") != std::string::npos);
    // The run goes on in the service; stop it there (and let the served platform shut down).
    RunFilter running;
    running.agent = "sleepy";
    running.status = "RUNNING";
    auto left = s.remote.runs->list(running);
    REQUIRE(left.size() == 1);
    CHECK(s.remote.runs->set_status(left[0].id, "FAILED").status == "FAILED");
  }

  TEST_CASE("AgentRuns: a query as a handle on its run, read back from the service") {
    Served s;
    REQUIRE(s.remote.agents->deploy(echo_agent("echo-agent")).phase == "Running");
    REQUIRE(s.remote.agents->deploy(sleepy_agent("sleepy")).phase == "Running");
    AgentRuns runs(s.remote.agents, s.remote.runs, s.remote.approvals, "default");
    // Another reader stands for another replica: it shares nothing but the service.
    AgentRuns reader(s.remote.agents, s.remote.runs, s.remote.approvals, "default");
    auto read_until_ended = [&](const std::string& run_id, const std::string& who,
                                std::chrono::seconds timeout, const QueryRequest& q) {
      const auto t0 = std::chrono::steady_clock::now();
      for (;;) {
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - t0);
        AgentRunReading r = reader.read(run_id, who, elapsed, timeout, q, json::object());
        if (r.state != AgentRunReading::State::running || elapsed > 60s) return r;
        std::this_thread::sleep_for(100ms);
      }
    };

    QueryRequest q;
    q.agent_name = "echo-agent";
    q.prompt = "hi";
    q.timeout = 60s;
    AgentRunStart started = runs.start(q);
    CHECK(started.who == "default/echo-agent");
    CHECK(started.metadata["run_id"] == started.run_id);
    AgentRunReading done = read_until_ended(started.run_id, started.who, q.timeout, q);
    REQUIRE(done.state == AgentRunReading::State::ended);
    CHECK(done.result.result_type == "text");
    CHECK(done.result.text == "echoed: hi");
    CHECK(done.result.run_status == "COMPLETED");

    // Cancel: recorded in the run, so another reader says cancelled; the handler is stopped.
    QueryRequest slow = q;
    slow.agent_name = "sleepy";
    AgentRunStart second = runs.start(slow);
    for (int i = 0; i < 100 && s.remote.runs->get(second.run_id).initial_message.empty(); ++i)
      std::this_thread::sleep_for(50ms);
    reader.cancel(second.run_id);
    CHECK(s.remote.runs->get(second.run_id).status == "FAILED");
    AgentRunReading cancelled = read_until_ended(second.run_id, second.who, slow.timeout, slow);
    CHECK(cancelled.state == AgentRunReading::State::cancelled);

    // Timeout: the reader past it sets the run FAILED and answers as the synchronous call does.
    slow.timeout = 1s;
    AgentRunStart third = runs.start(slow);
    std::this_thread::sleep_for(1100ms);
    AgentRunReading late = reader.read(third.run_id, third.who, 1100ms, slow.timeout, slow, {});
    REQUIRE(late.state == AgentRunReading::State::ended);
    CHECK(late.result.timed_out);
    CHECK(late.result.result_type == "error");
    CHECK(late.result.error.find("did not answer within 1 s") != std::string::npos);
    CHECK(s.remote.runs->get(third.run_id).status == "FAILED");

    // What invoke would refuse is refused before a run is made.
    QueryRequest ghost = q;
    ghost.agent_name = "ghost";
    CHECK(kind_of([&] { runs.start(ghost); }) == "not_found");
  }

  TEST_CASE("approvals: held call, list, approve resumes to COMPLETED, reject fails the run") {
    Served s;
    auto held = echo_agent("held");
    held.policy_rules = {{"approval_required", "echo-tool", {"POST"}}};
    REQUIRE(s.remote.agents->deploy(held).phase == "Running");
    InvokeRequest inv;
    inv.agent = "held";
    inv.message = "pay";
    auto first = s.remote.agents->invoke(inv);
    INFO(first.response.dump());
    REQUIRE(first.status == "PAUSED_APPROVAL");
    auto second = s.remote.agents->invoke(inv);
    REQUIRE(second.status == "PAUSED_APPROVAL");

    check_same_lists(s.local.approvals->list({}), s.remote.approvals->list({}));
    ApprovalFilter every;
    every.status = "";
    check_same_lists(s.local.approvals->list(every), s.remote.approvals->list(every));
    auto pending = s.remote.approvals->list({});
    REQUIRE(pending.size() == 2);
    for (const auto& p : pending) {
      CHECK(p.agent == "held");
      CHECK(p.tool == "echo-tool");
      CHECK(p.status == "PENDING");
      check_same(s.local.approvals->get(p.id), s.remote.approvals->get(p.id));
    }
    check_same(s.local.runs->get(first.run_id), s.remote.runs->get(first.run_id));
    CHECK(s.remote.runs->get(first.run_id).status == "PAUSED_APPROVAL");

    auto request_of = [&](const std::string& run_id) {
      for (const auto& p : pending) {
        if (p.run_id == run_id) return p.id;
      }
      FAIL("no request for run " << run_id);
      return std::string();
    };

    ApprovalDecision approve;
    approve.request_id = request_of(first.run_id);
    approve.approve = true;
    approve.scope = "once";
    auto a = s.remote.approvals->decide(approve);
    INFO(a.response.dump());
    CHECK(a.request.status == "APPROVED");
    CHECK(a.request.scope == "once");
    CHECK(a.run_status == "COMPLETED");
    CHECK(a.response["response"] == "echoed: pay");
    CHECK(a.response["resumed"] == true);
    // The request changes again as the resumed run consumes the approval: compare it as it
    // stands now through both faces.
    check_same(s.local.approvals->get(approve.request_id),
               s.remote.approvals->get(approve.request_id));
    CHECK(a.request.id == approve.request_id);
    CHECK(a.request.run_id == first.run_id);
    check_same(s.local.runs->get(first.run_id), s.remote.runs->get(first.run_id));
    check_same(s.local.runs->events(first.run_id, 0, 500),
               s.remote.runs->events(first.run_id, 0, 500));

    ApprovalDecision reject;
    reject.request_id = request_of(second.run_id);
    reject.reason = "not today";
    auto r = s.remote.approvals->decide(reject);
    CHECK(r.request.status == "REJECTED");
    CHECK(r.request.reason == "not today");
    CHECK(r.run_status == "FAILED");
    check_same(s.local.approvals->get(reject.request_id),
               s.remote.approvals->get(reject.request_id));
    CHECK(s.remote.runs->get(second.run_id).status == "FAILED");

    // Deciding again conflicts; unknown requests are not found; bad scopes are invalid.
    CHECK(kind_of([&] { s.remote.approvals->decide(reject); }) == "conflict");
    CHECK(kind_of([&] { s.local.approvals->decide(reject); }) == "conflict");
    ApprovalDecision ghost = approve;
    ghost.request_id = "req-ghost";
    CHECK(kind_of([&] { s.remote.approvals->decide(ghost); }) == "not_found");
    CHECK(kind_of([&] { s.remote.approvals->get("req-ghost"); }) == "not_found");
    check_same_lists(s.local.approvals->list(every), s.remote.approvals->list(every));
    CHECK(s.remote.approvals->list({}).empty());
  }

  TEST_CASE("policies: inline rules are stored through the Policies API and bound by name") {
    Served s;
    RecordingProxy proxy(s.port);
    remote::RunAgentsOptions o = s.options("");
    o.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port);
    Platform remote = remote::open_runagents_platform(o);
    auto held = echo_agent("held");
    held.policy_rules = {{"approval_required", "echo-tool", {"POST"}}};
    const json rule = {
        {"permission", "approval_required"}, {"resource", "echo-tool"}, {"operations", {"POST"}}};

    // A dry run writes nothing: no policy, no agent.
    auto dry = held;
    dry.dry_run = true;
    CHECK(remote.agents->deploy(dry).status == "validated");
    for (const auto& seen : proxy.take()) {
      CAPTURE(seen.call);
      CHECK((seen.call.rfind("GET ", 0) == 0 || seen.call == "POST /ingestion/analyze"));
    }
    CHECK(s.local.policies->list("").empty());
    CHECK(kind_of([&] { s.local.agents->get("", "held"); }) == "not_found");

    // The deploy: PUT finds no policy (404), POST creates it, the deploy names it.
    auto r = remote.agents->deploy(held);
    CHECK(r.status == "created");
    REQUIRE(r.phase == "Running");
    auto seen = proxy.take();
    auto calls = RecordingProxy::calls(seen);
    REQUIRE(calls.size() >= 3);
    CHECK(std::vector<std::string>(calls.begin(), calls.begin() + 3) ==
          std::vector<std::string>{"PUT /api/policies/held-inline", "POST /api/policies",
                                   "POST /api/deploy"});
    const json policy_body = {
        {"name", "held-inline"},
        {"spec", {{"policies", json::array({rule})}, {"approvals", json::array()}}}};
    CHECK(seen[1].body == policy_body);
    CHECK(seen[2].body["policies"] == json::array({"held-inline"}));  // names only

    // The policy exists, bound to the agent, through both faces and the raw API.
    auto rp = remote.policies->list("");
    REQUIRE(rp.size() == 1);
    CHECK(rp[0].name == "held-inline");
    CHECK(rp[0].bound_agents == std::vector<std::string>{"held"});
    REQUIRE(rp[0].rules.size() == 1);
    CHECK(rp[0].rules[0].permission == "approval_required");
    CHECK(s.local.agents->get("", "held").policies == std::vector<std::string>{"held-inline"});
    check_same(s.local.agents->get("", "held"), remote.agents->get("", "held"));
    httplib::Client raw("127.0.0.1", s.port);
    auto got = raw.Get("/api/policies/held-inline");
    REQUIRE(got);
    CHECK(got->status == 200);
    CHECK(json::parse(got->body)["spec"]["policies"] == json::array({rule}));

    // Invoking pauses for approval, exactly as the same deploy on the local face does.
    auto local_held = echo_agent("held-local");
    local_held.policy_rules = held.policy_rules;
    REQUIRE(s.local.agents->deploy(local_held).phase == "Running");
    InvokeRequest inv;
    inv.agent = "held";
    inv.message = "pay";
    auto via_remote = remote.agents->invoke(inv);
    INFO(via_remote.response.dump());
    CHECK(via_remote.status == "PAUSED_APPROVAL");
    inv.agent = "held-local";
    auto via_local = s.local.agents->invoke(inv);
    CHECK(via_local.status == "PAUSED_APPROVAL");
    auto pending = remote.approvals->list({});
    REQUIRE(pending.size() == 2);
    for (const auto& p : pending) {
      CHECK(p.tool == "echo-tool");
      CHECK(p.status == "PENDING");
    }
    CHECK(s.remote.runs->get(via_remote.run_id).status == "PAUSED_APPROVAL");

    // A redeploy replaces the rules with PUT alone; the binding stays.
    held.policy_rules[0].operations = {"POST", "PUT"};
    proxy.take();
    CHECK(remote.agents->deploy(held).status == "updated");
    calls = RecordingProxy::calls(proxy.take());
    REQUIRE(calls.size() >= 2);
    CHECK(calls[0] == "PUT /api/policies/held-inline");
    CHECK(calls[1] == "POST /api/deploy");
    auto lp = s.local.policies->list("");
    REQUIRE(lp.size() == 2);  // held-inline and held-local-inline
    CHECK(lp[0].name == "held-inline");
    CHECK(lp[0].bound_agents == std::vector<std::string>{"held"});
    REQUIRE(lp[0].rules.size() == 1);
    CHECK(lp[0].rules[0].operations == std::vector<std::string>{"POST", "PUT"});

    // A refused deploy leaves no policy behind; a dry run with rules creates none either.
    auto bad = echo_agent("needs-more");
    bad.required_tools = {"no-such-tool"};
    bad.policy_rules = held.policy_rules;
    CHECK(kind_of([&] { remote.agents->deploy(bad); }) == "invalid");
    CHECK(kind_of([&] { s.remote.agents->get("", "needs-more"); }) == "not_found");
    CHECK(s.local.policies->list("").size() == 2);
  }

  TEST_CASE("policies API: create, replace, get, delete; deploy binds by name") {
    Served s;
    httplib::Client raw("127.0.0.1", s.port);
    const std::string ct = "application/json";
    json body = {{"name", "shared"},
                 {"spec",
                  {{"policies", json::array({{{"permission", "allow"}, {"resource", "*"}}})},
                   {"approvals", json::array()}}}};
    auto missing = raw.Put("/api/policies/shared", body.dump(), ct);
    REQUIRE(missing);
    CHECK(missing->status == 404);
    auto created = raw.Post("/api/policies", body.dump(), ct);
    REQUIRE(created);
    CHECK(created->status == 201);
    CHECK(json::parse(created->body)["name"] == "shared");
    CHECK(raw.Post("/api/policies", body.dump(), ct)->status == 200);
    body["spec"]["policies"][0]["permission"] = "approval_required";
    auto replaced = raw.Put("/api/policies/shared", body.dump(), ct);
    REQUIRE(replaced);
    CHECK(replaced->status == 200);
    CHECK(json::parse(replaced->body)["spec"]["policies"][0]["permission"] == "approval_required");
    CHECK(raw.Put("/api/policies/other", body.dump(), ct)->status == 400);  // name mismatch
    json bad = body;
    bad["spec"]["policies"][0]["permission"] = "maybe";
    CHECK(raw.Put("/api/policies/shared", bad.dump(), ct)->status == 400);
    bad = body;
    bad["name"] = "Not_A_Label";
    CHECK(raw.Post("/api/policies", bad.dump(), ct)->status == 400);

    // Bound by name in a deploy through the remote client; unknown names are refused.
    auto d = echo_agent("named");
    d.policy_names = {"shared"};
    REQUIRE(s.remote.agents->deploy(d).phase == "Running");
    CHECK(s.remote.agents->get("", "named").policies == std::vector<std::string>{"shared"});
    auto got = raw.Get("/api/policies/shared");
    REQUIRE(got);
    CHECK(json::parse(got->body)["used_by"] ==
          json::array({{{"name", "named"}, {"namespace", "default"}}}));
    d.policy_names = {"ghost"};
    CHECK(kind_of([&] { s.remote.agents->deploy(d); }) == "invalid");

    CHECK(raw.Delete("/api/policies/shared")->status == 200);
    CHECK(raw.Get("/api/policies/shared")->status == 404);
    CHECK(raw.Delete("/api/policies/shared")->status == 404);
    CHECK(s.local.agents->get("", "named").policies.empty());
  }

  TEST_CASE("export_context gives the same workspace") {
    Served s;
    s.remote.agents->deploy(echo_agent("echo-agent"));
    auto l = s.local.context->export_context();
    auto r = s.remote.context->export_context();
    CHECK(l.ns == r.ns);
    CHECK(r.endpoint == s.url());  // the served local platform has none; the client fills it
    check_same_lists(l.agents, r.agents);
    check_same_lists(l.tools, r.tools);
    CHECK(l.model_providers.size() == r.model_providers.size());
    CHECK(l.policies.size() == r.policies.size());
    check_same_lists(l.approvals, r.approvals);
    CHECK(l.errors == r.errors);
    auto kit = std::make_shared<remote::RunAgentsConnection>(s.options(""))->seed_starter_kit();
    CHECK(kit["tool_created"] == "echo-tool");
    CHECK(kit["model_provider_created"] == "playground-llm");
  }

  TEST_CASE("serve: Host and Origin checks, bearer token, unknown paths") {
    Served s("serve-token-0123456789");
    // The remote client with the token as its API key works; without it it is refused.
    CHECK_FALSE(s.remote.tools->list().empty());
    Platform anonymous = remote::open_runagents_platform(s.options(""));
    CHECK(kind_of([&] { anonymous.tools->list(); }) == "unauthorized");
    Platform wrong = remote::open_runagents_platform(s.options("serve-token-wrong-000000"));
    try {
      wrong.tools->list();
      FAIL("accepted");
    } catch (const PlatformError& e) {
      CHECK(e.http_status() == 401);
      CHECK(std::string(e.what()).find("serve-token-wrong-000000") == std::string::npos);
    }

    httplib::Client raw("127.0.0.1", s.port);
    httplib::Headers auth = {{"Authorization", "Bearer serve-token-0123456789"}};
    auto ok = raw.Get("/api/tools", auth);
    REQUIRE(ok);
    CHECK(ok->status == 200);
    auto key = raw.Get("/api/tools", {{"X-RunAgents-API-Key", "serve-token-0123456789"}});
    REQUIRE(key);
    CHECK(key->status == 200);
    auto health = raw.Get("/healthz");
    REQUIRE(health);
    CHECK(health->status == 200);

    httplib::Headers evil_host = auth;
    evil_host.emplace("Host", "evil.example");
    auto r1 = raw.Get("/api/tools", evil_host);
    REQUIRE(r1);
    CHECK(r1->status == 403);
    httplib::Headers evil_origin = auth;
    evil_origin.emplace("Origin", "https://evil.example");
    auto r2 = raw.Get("/api/tools", evil_origin);
    REQUIRE(r2);
    CHECK(r2->status == 403);
    httplib::Headers local_origin = auth;
    local_origin.emplace("Origin", "http://localhost:3000");
    auto r3 = raw.Get("/api/tools", local_origin);
    REQUIRE(r3);
    CHECK(r3->status == 200);

    auto unknown = raw.Get("/api/nothing-here", auth);
    REQUIRE(unknown);
    CHECK(unknown->status == 404);
    CHECK(json::parse(unknown->body)["error"].get<std::string>().find("no route") !=
          std::string::npos);
    auto bad_json = raw.Post("/api/deploy", auth, "{not json", "application/json");
    REQUIRE(bad_json);
    CHECK(bad_json->status == 400);
    auto bad_path = raw.Get("/api/agents/only-one", auth);
    REQUIRE(bad_path);
    CHECK(bad_path->status == 400);
    CHECK(json::parse(bad_path->body)["error"] == "path must be /api/agents/{namespace}/{name}");
  }
}
