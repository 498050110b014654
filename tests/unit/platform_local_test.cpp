// The embedded local platform end to end: seeding, deploy (validation, analysis, Failed phase,
// upsert, dry run), invocation in the sandbox with the egress, approvals (pause, approve
// resumes, reject fails, windows), and state shared by a second connection and process.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "platform/local/local_platform.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using namespace runagents::platform::local;
using runagents::platform::testing::kEchoAgent;
using runagents::platform::testing::TempDir;

namespace {

Platform open(const TempDir& dir) {
  LocalOptions options;
  options.data_dir = dir.path / "data";
  options.run_timeout = std::chrono::seconds(60);
  return open_local_platform(options);
}

bool runtime_usable() {
  auto support = check_sandbox_support();
  if (!support.usable) MESSAGE("skipped: " << support.message);
  if (::access("/usr/bin/python3", X_OK) != 0) {
    MESSAGE("skipped: /usr/bin/python3 missing");
    return false;
  }
  return support.usable;
}

DeployRequest echo_agent(const std::string& name) {
  DeployRequest req;
  req.agent_name = name;
  req.source_files = {{"agent.py", kEchoAgent}};
  req.required_tools = {"echo-tool"};
  return req;
}

std::vector<std::string> event_types(Platform& p, const std::string& run_id) {
  std::vector<std::string> types;
  for (const auto& e : p.runs->events(run_id, 0, 500).events) types.push_back(e.type);
  return types;
}

std::string kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return to_string(e.kind());
  }
  return "none";
}

}  // namespace

TEST_SUITE("platform") {
  TEST_CASE("local: seeds echo-tool and playground-llm once") {
    TempDir dir;
    {
      Platform p = open(dir);
      auto tools = p.tools->list();
      REQUIRE(tools.size() == 1);
      CHECK(tools[0].name == "echo-tool");
      CHECK(tools[0].base_url == kEchoToolBaseUrl);
      auto models = p.models->list();
      REQUIRE(models.size() == 1);
      CHECK(models[0].name == "playground-llm");
      // A user's change survives restarts: the seed does not run again.
      p.tools->upsert({"echo-tool", "http://echo.runagents.local", "mine", "None", 80, "HTTP"});
    }
    Platform again = open(dir);
    CHECK(again.tools->list().size() == 1);
    CHECK(again.tools->get("echo-tool").description == "mine");
  }

  TEST_CASE("local: tools upsert, validation and not found") {
    TempDir dir;
    Platform p = open(dir);
    auto r =
        p.tools->upsert({"stripe-api", "https://api.stripe.com/", "Payments", "apikey", 443, ""});
    CHECK(r.created);
    CHECK(r.tool.base_url == "https://api.stripe.com");
    CHECK(r.tool.auth_type == "APIKey");
    CHECK(r.tool.scheme == "HTTPS");
    r = p.tools->upsert(
        {"stripe-api", "https://api.stripe.com", "Payments v2", "None", 443, "HTTPS"});
    CHECK_FALSE(r.created);
    CHECK(p.tools->get("stripe-api").description == "Payments v2");
    CHECK(kind_of([&] {
            p.tools->upsert({"Bad_Name", "https://x", "", "None", 443, "HTTPS"});
          }) == "invalid");
    CHECK(kind_of([&] {
            p.tools->upsert({"x", "ftp://x", "", "None", 443, "HTTPS"});
          }) == "invalid");
    CHECK(kind_of([&] {
            p.tools->upsert({"x", "https://x", "", "Basic", 443, "HTTPS"});
          }) == "invalid");
    CHECK(kind_of([&] {
            p.tools->upsert({"x", "https://x", "", "None", 0, "HTTPS"});
          }) == "invalid");
    CHECK(kind_of([&] { p.tools->get("nope"); }) == "not_found");
    CHECK(p.tools->list().size() == 2);
  }

  TEST_CASE("local: deploy validates, analyzes, upserts; dry run changes nothing") {
    TempDir dir;
    Platform p = open(dir);

    auto missing = echo_agent("echo-agent");
    missing.required_tools = {"echo-tool", "stripe-api", "slack"};
    try {
      p.agents->deploy(missing);
      FAIL("expected an error");
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::invalid);
      CHECK(std::string(e.what()).find("stripe-api, slack") != std::string::npos);
    }
    CHECK(p.agents->list("").empty());

    auto image = echo_agent("echo-agent");
    image.image = "registry.example.com/agent:1";
    CHECK(kind_of([&] { p.agents->deploy(image); }) == "invalid");
    auto no_source = echo_agent("echo-agent");
    no_source.source_files.clear();
    CHECK(kind_of([&] { p.agents->deploy(no_source); }) == "invalid");
    CHECK(kind_of([&] { p.agents->deploy(echo_agent("Echo_Agent")); }) == "invalid");
    auto escape = echo_agent("echo-agent");
    escape.source_files["../evil.py"] = "x = 1\n";
    CHECK(kind_of([&] { p.agents->deploy(escape); }) == "invalid");

    auto dry = echo_agent("echo-agent");
    dry.dry_run = true;
    dry.required_tools = {"echo-tool", "stripe-api"};
    auto checked = p.agents->deploy(dry);
    CHECK(checked.status == "validated");
    CHECK(checked.phase == "Running");
    CHECK(checked.analysis.handler_signature == "handler(request, ctx)");
    CHECK(std::any_of(checked.warnings.begin(), checked.warnings.end(), [](const std::string& w) {
      return w.find("stripe-api") != std::string::npos;
    }));
    CHECK(p.agents->list("").empty());

    auto created = p.agents->deploy(echo_agent("echo-agent"));
    CHECK(created.status == "created");
    CHECK(created.phase == "Running");
    CHECK(created.ns == "default");
    auto updated = p.agents->deploy(echo_agent("echo-agent"));
    CHECK(updated.status == "updated");
    auto agents = p.agents->list("");
    REQUIRE(agents.size() == 1);
    CHECK(agents[0].required_tools == std::vector<std::string>{"echo-tool"});
    Agent a = p.agents->get("", "echo-agent");
    CHECK(a.phase == "Running");
    CHECK(a.entry_point == "agent.py");
    CHECK(a.spec["sourceFiles"][0]["name"] == "agent.py");
    CHECK(kind_of([&] { p.agents->get("default", "nope"); }) == "not_found");

    // tools_to_create registers tools with the agent; inline policies bind to it.
    auto with_tools = echo_agent("tooled");
    with_tools.required_tools = {"weather"};
    with_tools.tools_to_create = {{"weather", "https://api.weather.example", "", "None", 443, ""}};
    with_tools.policy_rules = {{"approval_required", "weather", {"POST"}}};
    auto r = p.agents->deploy(with_tools);
    CHECK(r.tools_created == std::vector<std::string>{"weather"});
    CHECK(p.tools->get("weather").base_url == "https://api.weather.example");
    CHECK(p.agents->get("", "tooled").policies == std::vector<std::string>{"tooled-inline"});
    auto policies = p.policies->list("");
    REQUIRE(policies.size() == 1);
    CHECK(policies[0].bound_agents == std::vector<std::string>{"tooled"});
    // Redeploying without policies removes the agent's inline policy.
    with_tools.policy_rules.clear();
    p.agents->deploy(with_tools);
    CHECK(p.policies->list("").empty());
  }

  TEST_CASE("local: broken code deploys as Failed with the reason") {
    TempDir dir;
    Platform p = open(dir);
    auto bad = echo_agent("broken");
    bad.source_files = {{"agent.py", "def handler(request:\n    return 1\n"}};
    auto r = p.agents->deploy(bad);
    CHECK(r.status == "created");
    CHECK(r.phase == "Failed");
    CHECK(r.message.find("SyntaxError") != std::string::npos);
    CHECK(r.message.find("agent.py line 1") != std::string::npos);

    auto no_handler = echo_agent("no-handler");
    no_handler.source_files = {{"agent.py", "def run():\n    return 1\n"}};
    r = p.agents->deploy(no_handler);
    CHECK(r.phase == "Failed");
    CHECK(r.message.find("no top-level handler") != std::string::npos);
    CHECK(r.message.find("def main()") != std::string::npos);
    // main() is the runtime's last resort, so it deploys.
    auto with_main = echo_agent("with-main");
    with_main.source_files = {{"agent.py", "def main():\n    return 1\n"}};
    r = p.agents->deploy(with_main);
    CHECK(r.phase == "Running");
    CHECK(r.analysis.handler_signature == "main()");
    InvokeRequest inv;
    inv.agent = "no-handler";
    inv.message = "hi";
    CHECK(kind_of([&] { p.agents->invoke(inv); }) == "conflict");
  }

  TEST_CASE("local: an agent calls echo-tool; the run completes with events in order") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    REQUIRE(p.agents->deploy(echo_agent("echo-agent")).phase == "Running");
    InvokeRequest inv;
    inv.agent = "echo-agent";
    inv.message = "hello";
    auto result = p.agents->invoke(inv);
    INFO(result.response.dump());
    INFO(p.runs->events(result.run_id, 0, 500).events.back().data.dump());
    REQUIRE(result.status == "COMPLETED");
    CHECK(result.response["response"] == "echoed: hello");
    CHECK(result.response["resumed"] == false);
    CHECK(event_types(p, result.run_id) == std::vector<std::string>{"RUN_CREATED", "USER_MESSAGE",
                                                                    "TOOL_REQUEST", "TOOL_RESPONSE",
                                                                    "AGENT_MESSAGE", "COMPLETED"});
    auto events = p.runs->events(result.run_id, 0, 500).events;
    for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].seq == static_cast<int>(i + 1));
    CHECK(events[2].data["policy"] == "allow");
    CHECK(events[3].data["result"]["received"]["text"] == "hello");
    CHECK(events[4].data["content"] == "echoed: hello");
    // Paging: after_seq and limit.
    auto page = p.runs->events(result.run_id, 2, 2);
    REQUIRE(page.events.size() == 2);
    CHECK(page.events[0].seq == 3);
    CHECK(page.next_after_seq == 4);
    CHECK(page.more);
    auto runs = p.runs->list({});
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == "COMPLETED");
    CHECK(runs[0].agent == "echo-agent");
  }

  TEST_CASE("local: failures, denials and the model gateway") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    auto raising = echo_agent("raiser");
    raising.source_files = {{"agent.py", "def handler(request):\n    raise ValueError('boom')\n"}};
    p.agents->deploy(raising);
    InvokeRequest inv;
    inv.agent = "raiser";
    inv.message = "hi";
    auto r = p.agents->invoke(inv);
    CHECK(r.status == "FAILED");
    CHECK(r.response["error"] == "ValueError: boom");
    CHECK(event_types(p, r.run_id).back() == "FAILED");

    // Not in required_tools and no policy: denied by default; the agent sees the reason.
    auto undeclared = echo_agent("undeclared");
    undeclared.required_tools.clear();
    undeclared.source_files = {{"agent.py", R"PY(import runagents

def handler(message: str):
    try:
        runagents.call_tool("echo-tool", payload={"m": message})
    except runagents.ToolCallError as e:
        return "denied: %d" % e.status
    return "allowed"
)PY"}};
    p.agents->deploy(undeclared);
    inv.agent = "undeclared";
    r = p.agents->invoke(inv);
    REQUIRE(r.status == "COMPLETED");
    CHECK(r.response["response"] == "denied: 403");
    auto events = p.runs->events(r.run_id, 0, 100).events;
    CHECK(events[2].type == "TOOL_REQUEST");
    CHECK(events[2].data["policy"] == "deny");
    CHECK(events[3].data["status_code"] == 403);

    // Agent().call_tool answers an error as the SDK 1.2.1 does, {"error": "HTTP <status>",
    // "detail": <the body as text>}, where the module-level call_tool raises.
    undeclared.source_files = {{"agent.py", R"PY(import json, runagents

def handler(message: str):
    answer = runagents.Agent().call_tool("echo-tool", payload={"m": message})
    return {"response": answer["error"], "detail": json.loads(answer["detail"])["code"]}
)PY"}};
    p.agents->deploy(undeclared);
    r = p.agents->invoke(inv);
    INFO(r.response.dump());
    REQUIRE(r.status == "COMPLETED");
    CHECK(r.response["response"] == "HTTP 403");
    CHECK(r.response["detail"] == "POLICY_DENIED");

    // Chat through the gateway (playground-llm), in the 0-argument handler form, and a plain
    // HTTP client reaching a tool through TOOL_URL_ECHO_TOOL.
    auto chatty = echo_agent("chatty");
    chatty.source_files = {{"agent.py", R"PY(import json, os, urllib.request
import runagents

def handler():
    reply = runagents.Agent().chat("ping")
    req = urllib.request.Request(os.environ["TOOL_URL_ECHO_TOOL"] + "/x", data=b'{"a": 1}',
                                 headers={"Content-Type": "application/json"}, method="POST")
    echoed = json.load(urllib.request.urlopen(req))
    return {"response": reply["choices"][0]["message"]["content"], "echo": echoed["received"]}
)PY"}};
    p.agents->deploy(chatty);
    inv.agent = "chatty";
    r = p.agents->invoke(inv);
    INFO(r.response.dump());
    REQUIRE(r.status == "COMPLETED");
    CHECK(r.response["response"] == "playground-llm: you said \"ping\"");
    CHECK(r.response["echo"]["a"] == 1);
  }

  TEST_CASE("local: entry points and handler forms as the SDK runtime finds and calls them") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    auto run = [&](const std::string& name, const std::string& source) {
      auto a = echo_agent(name);
      a.source_files = {{"agent.py", source}};
      auto d = p.agents->deploy(a);
      INFO(name << ": " << d.message);
      REQUIRE(d.phase == "Running");
      InvokeRequest inv;
      inv.agent = name;
      inv.message = "hi";
      return p.agents->invoke(inv);
    };
    // An object named graph with invoke (a LangGraph-like object) wins over main.
    auto r = run("graphy", R"PY(class G:
    nodes = {}
    def invoke(self, state):
        return {"messages": [{"role": "assistant", "content": "graph got " + state["messages"][0]["content"]}]}

graph = G()

def main():
    return "main"
)PY");
    CHECK(r.response["response"] == "graph got hi");
    // The SDK's Agent() helper is not a framework object: main(message) is called.
    r = run("mainly", R"PY(from runagents import Agent
agent = Agent()

def main(message):
    return "main got " + message
)PY");
    CHECK(r.response["response"] == "main got hi");
    // crew with kickoff; a dict without response gets one from output.
    r = run("crewy", R"PY(class Crew:
    def kickoff(self, text):
        return {"output": "crew did " + text}

crew = Crew()
)PY");
    CHECK(r.response["response"] == "crew did hi");
    // One parameter annotated as something else than str gets the request dict; async works.
    r = run("asyncy", R"PY(async def handler(req: dict):
    return {"output": req["message"] * 2, "keys": sorted(req)}
)PY");
    CHECK(r.response["response"] == "hihi");
    CHECK(r.response["keys"] ==
          json::array({"history", "message", "request_id", "run_id", "user_id"}));
    // RunContext: the SDK's attributes from the operator's environment.
    r = run("ctxy", R"PY(def handler(request, ctx):
    return {"tools": sorted(ctx.tools), "model": ctx.model, "llm": ctx.llm_url.startswith("http://127.0.0.1:"),
            "session": sorted(ctx.session)}
)PY");
    CHECK(r.response["tools"] == json::array({"echo-tool"}));
    CHECK(r.response["model"] == "playground-llm");
    CHECK(r.response["llm"] == true);
    CHECK(r.response["session"] == json::array({"history", "request_id", "run_id", "user_id"}));
  }

  TEST_CASE("local: approval_required pauses; approve resumes to COMPLETED; state is shared") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    auto req = echo_agent("held");
    req.policy_rules = {{"approval_required", "echo-tool", {"POST"}}};
    p.agents->deploy(req);
    InvokeRequest inv;
    inv.agent = "held";
    inv.message = "pay 5";
    auto r = p.agents->invoke(inv);
    INFO(r.response.dump());
    REQUIRE(r.status == "PAUSED_APPROVAL");
    CHECK(r.response["approval_required"]["tool"] == "echo-tool");
    Run run = p.runs->get(r.run_id);
    CHECK(run.status == "PAUSED_APPROVAL");
    CHECK_FALSE(run.blocked_action_id.empty());

    auto pending = p.approvals->list({});
    REQUIRE(pending.size() == 1);
    const AccessRequest request = pending[0];
    CHECK(request.status == "PENDING");
    CHECK(request.agent == "held");
    CHECK(request.tool == "echo-tool");
    CHECK(request.run_id == r.run_id);
    CHECK(request.action_id == run.blocked_action_id);
    CHECK(request.payload_hash.size() == 64);

    // A second connection to the same data dir sees the same state.
    {
      Platform other = open(dir);
      CHECK(other.runs->get(r.run_id).status == "PAUSED_APPROVAL");
      CHECK(other.approvals->get(request.id).status == "PENDING");
    }

    ApprovalDecision bad;
    bad.request_id = request.id;
    bad.approve = true;
    bad.scope = "once";
    bad.duration = "4h";
    CHECK(kind_of([&] { p.approvals->decide(bad); }) == "invalid");
    CHECK(p.approvals->get(request.id).status == "PENDING");  // nothing changed

    ApprovalDecision approve;
    approve.request_id = request.id;
    approve.approve = true;
    auto decided = p.approvals->decide(approve);
    INFO(decided.response.dump());
    CHECK(decided.request.status == "APPROVED");
    CHECK(decided.request.scope == "once");
    CHECK(decided.run_status == "COMPLETED");
    CHECK(decided.response["response"] == "echoed: pay 5");
    CHECK(decided.response["resumed"] == true);
    CHECK(event_types(p, r.run_id) ==
          std::vector<std::string>{"RUN_CREATED", "USER_MESSAGE", "TOOL_REQUEST",
                                   "APPROVAL_REQUIRED", "APPROVED", "RESUMED", "TOOL_REQUEST",
                                   "TOOL_RESPONSE", "AGENT_MESSAGE", "COMPLETED"});
    CHECK(kind_of([&] { p.approvals->decide(approve); }) == "conflict");
    CHECK(p.approvals->list({}).empty());

    // scope once was used up: the next run is held again.
    auto second = p.agents->invoke(inv);
    CHECK(second.status == "PAUSED_APPROVAL");
    auto next = p.approvals->list({});
    REQUIRE(next.size() == 1);
    // An agent_user_ttl window lets the next runs through until it expires.
    ApprovalDecision window;
    window.request_id = next[0].id;
    window.approve = true;
    window.duration = "2h";
    auto w = p.approvals->decide(window);
    CHECK(w.request.scope == "agent_user_ttl");
    CHECK(w.request.duration == "2h");
    CHECK_FALSE(w.request.expires_at.empty());
    CHECK(w.run_status == "COMPLETED");
    CHECK(p.agents->invoke(inv).status == "COMPLETED");
  }

  TEST_CASE("local: reject fails the paused run") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    auto req = echo_agent("held");
    req.policy_rules = {{"approval_required", "*", {}}};
    p.agents->deploy(req);
    InvokeRequest inv;
    inv.agent = "held";
    inv.message = "delete everything";
    auto r = p.agents->invoke(inv);
    REQUIRE(r.status == "PAUSED_APPROVAL");
    auto pending = p.approvals->list({});
    REQUIRE(pending.size() == 1);
    ApprovalDecision reject;
    reject.request_id = pending[0].id;
    reject.reason = "too risky";
    auto d = p.approvals->decide(reject);
    CHECK(d.request.status == "REJECTED");
    CHECK(d.request.reason == "too risky");
    CHECK(d.run_status == "FAILED");
    CHECK(p.runs->get(r.run_id).status == "FAILED");
    auto types = event_types(p, r.run_id);
    REQUIRE(types.size() >= 2);
    CHECK(types[types.size() - 2] == "REJECTED");
    CHECK(types.back() == "FAILED");
    ApprovalFilter all;
    all.status = "";
    CHECK(p.approvals->list(all).size() == 1);
    CHECK(kind_of([&] { p.approvals->get("req-nope"); }) == "not_found");
  }

  TEST_CASE("local: a second process sees the same state") {
    auto self = std::filesystem::read_symlink("/proc/self/exe");
    std::filesystem::path binary;
    for (auto dir = self.parent_path(); !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "runagents-mcp")) {
        binary = dir / "runagents-mcp";
        break;
      }
    }
    if (binary.empty()) {
      MESSAGE("skipped: runagents-mcp binary not found next to the tests");
      return;
    }
    TempDir dir;
    {
      Platform p = open(dir);
      p.tools->upsert({"from-test", "https://example.com", "", "None", 443, "HTTPS"});
    }
    std::string command = binary.string() + " --data-dir " + (dir.path / "data").string() +
                          " --config " + (dir.path / "none.json").string() +
                          " call list_tools 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    CHECK(::pclose(pipe) == 0);
    CHECK(output.find("from-test") != std::string::npos);
    CHECK(output.find("echo-tool") != std::string::npos);
  }
}

// An agent that calls echo-tool, then sleeps: long enough that only a cancel ends it in time.
static const char* const kSlowAgent = R"PY(import time


def handler(request, ctx):
    ctx.call_tool("echo-tool", path="/echo", payload={"text": request["message"]})
    time.sleep(300)
    return {"response": "woke up"}
)PY";

TEST_SUITE("platform") {
  TEST_CASE("local: a cancel stops an invocation and a resumed handler; the run ends FAILED") {
    if (!runtime_usable()) return;
    TempDir dir;
    Platform p = open(dir);
    DeployRequest req;
    req.agent_name = "sleeper";
    req.source_files = {{"agent.py", kSlowAgent}};
    req.required_tools = {"echo-tool"};
    p.agents->deploy(req);
    auto cancel_after = [](std::shared_ptr<ExecCancel> c) {
      return std::thread([c] {
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        c->cancel();
      });
    };

    InvokeRequest inv;
    inv.agent = "sleeper";
    inv.message = "nap";
    inv.cancel = std::make_shared<ExecCancel>();
    auto t0 = std::chrono::steady_clock::now();
    std::thread canceller = cancel_after(inv.cancel);
    auto r = p.agents->invoke(inv);
    canceller.join();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
    CHECK(r.status == "FAILED");
    CHECK(r.response["error"].get<std::string>().find("cancelled") != std::string::npos);
    CHECK(p.runs->get(r.run_id).status == "FAILED");

    req.agent_name = "held-sleeper";
    req.policy_rules = {{"approval_required", "echo-tool", {"POST"}}};
    p.agents->deploy(req);
    inv.agent = "held-sleeper";
    inv.cancel = nullptr;
    auto held = p.agents->invoke(inv);
    REQUIRE(held.status == "PAUSED_APPROVAL");
    ApprovalDecision approve;
    approve.request_id = p.approvals->list({})[0].id;
    approve.approve = true;
    approve.cancel = std::make_shared<ExecCancel>();
    t0 = std::chrono::steady_clock::now();
    canceller = cancel_after(approve.cancel);
    auto d = p.approvals->decide(approve);
    canceller.join();
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
    CHECK(d.request.status == "APPROVED");
    CHECK(d.run_status == "FAILED");
    CHECK(event_types(p, held.run_id).back() == "FAILED");
  }
}
