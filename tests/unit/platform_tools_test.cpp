// The ten platform tools through the MCP tool registry on the embedded local platform: their
// definitions, and calls whose arguments and results are validated against schemas/*.json.
#include <unistd.h>

#include "platform/local/local_platform.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform_test_support.hpp"
#include "server/tool_registry.hpp"
#include "tools/catalog.hpp"
#include "tools/result_limits.hpp"
#include "tools/schema_files.hpp"

using namespace runagents;
using namespace runagents::mcp;
using platform::testing::kEchoAgent;
using platform::testing::TempDir;

namespace {

struct NullOut : Outbound {
  bool send(const json&) override { return true; }
};

const std::vector<std::string> kTools = {
    "list_agents", "get_agent",      "deploy_agent",   "list_tools",      "create_tool",
    "list_runs",   "get_run_events", "list_approvals", "decide_approval", "export_context"};

struct Fixture {
  TempDir dir;
  platform::Platform platform;
  ToolRegistry registry;
  Session session{"t"};
  NullOut out;
  std::shared_ptr<Cancellation> cancellation = std::make_shared<Cancellation>();
  RequestContext ctx{session, out, 1, nullptr, cancellation};

  Fixture() {
    platform::local::LocalOptions options;
    options.data_dir = dir.path / "data";
    platform = platform::local::open_local_platform(options);
    tools::register_product_tools(registry, platform);
  }

  // Calls `name`; the registry validates arguments and the structured result.
  ToolResult call(const std::string& name, const json& args) {
    return call_tool(registry, name, args, ctx);
  }
  json ok(const std::string& name, const json& args) {
    ToolResult r = call(name, args);
    INFO(name << " " << args.dump() << " -> " << r.to_json().dump());
    REQUIRE_FALSE(r.is_error);
    REQUIRE(r.structured_content);
    return *r.structured_content;
  }
  std::string error(const std::string& name, const json& args) {
    ToolResult r = call(name, args);
    INFO(name << " " << args.dump() << " -> " << r.to_json().dump());
    REQUIRE(r.is_error);
    return r.content.at(0).at("text").get<std::string>();
  }
};

bool runtime_usable() {
  auto support = platform::local::check_sandbox_support();
  if (!support.usable) MESSAGE("skipped: " << support.message);
  return support.usable && ::access("/usr/bin/python3", X_OK) == 0;
}

}  // namespace

TEST_SUITE("platform") {
  TEST_CASE("tools: the ten platform tools, with schemas and honest annotations") {
    Fixture f;
    std::vector<std::string> names;
    for (const auto* t : f.registry.list()) names.push_back(t->name);
    CHECK(names == kTools);
    for (const auto* t : f.registry.list()) {
      INFO(t->name);
      CHECK_FALSE(t->title.empty());
      CHECK(t->description.size() > 100);
      CHECK(t->input_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
      REQUIRE(t->output_schema);
      CHECK((*t->output_schema)["$schema"] == "https://json-schema.org/draft/2020-12/schema");
      CHECK_FALSE(t->annotations.open_world);  // the local face
      const bool reads = t->name.rfind("list_", 0) == 0 || t->name.rfind("get_", 0) == 0 ||
                         t->name == "export_context";
      CHECK(t->annotations.read_only == reads);
      // The reads send the client nothing before their answer: stdio answers them on its reading
      // thread, HTTP on the connection's (server/mcp_server.hpp answers_at_once).
      CHECK(t->quiet == reads);
    }
    CHECK(f.registry.find("decide_approval")->annotations.destructive);
    CHECK_FALSE(f.registry.find("decide_approval")->annotations.idempotent);
    CHECK(f.registry.find("deploy_agent")->annotations.idempotent);
  }

  TEST_CASE("tools: register, deploy, inspect; errors say what to do") {
    Fixture f;
    auto tools = f.ok("list_tools", json::object());
    CHECK(tools["count"] == 1);
    CHECK(tools["tools"][0]["name"] == "echo-tool");

    auto created =
        f.ok("create_tool", {{"name", "weather"}, {"base_url", "http://api.weather.test"}});
    CHECK(created["status"] == "created");
    CHECK(created["tool"]["scheme"] == "HTTP");
    CHECK(created["tool"]["port"] == 80);
    CHECK(f.ok("create_tool", {{"name", "weather"},
                               {"base_url", "https://api.weather.test"}})["status"] == "updated");
    CHECK(f.ok("list_tools", {{"name", "weather"}})["tools"][0]["base_url"] ==
          "https://api.weather.test");
    CHECK(f.error("list_tools", {{"name", "nope"}}).find("list_tools") != std::string::npos);
    CHECK(f.error("create_tool", {{"name", "Bad"}, {"base_url", "https://x"}}).find("'bad'") !=
          std::string::npos);
    CHECK(f.error("create_tool", {{"name", "x"}, {"base_url", "https://x"}, {"auth_type", "Basic"}})
              .find("auth_type") != std::string::npos);

    json deploy = {{"agent_name", "echo-agent"},
                   {"source_files", {{"agent.py", kEchoAgent}}},
                   {"required_tools", {"echo-tool"}}};
    json dry = deploy;
    dry["dry_run"] = true;
    auto validated = f.ok("deploy_agent", dry);
    CHECK(validated["status"] == "validated");
    CHECK(validated["analysis"]["handler_signature"] == "handler(request, ctx)");
    CHECK(f.ok("list_agents", json::object())["count"] == 0);

    auto missing = deploy;
    missing["required_tools"] = {"echo-tool", "ghost"};
    CHECK(f.error("deploy_agent", missing).find("ghost") != std::string::npos);
    auto image = deploy;
    image["image"] = "x:1";
    CHECK(f.error("deploy_agent", image).find("source_files") != std::string::npos);
    auto nameless_rule = deploy;
    nameless_rule["policies"] = {{{"permission", "deny"}}};
    CHECK(f.error("deploy_agent", nameless_rule).find("policies[0]") != std::string::npos);

    auto result = f.ok("deploy_agent", deploy);
    CHECK(result["status"] == "created");
    CHECK(result["phase"] == "Running");
    CHECK(result["namespace"] == "default");
    auto agents = f.ok("list_agents", json::object());
    CHECK(agents["count"] == 1);
    CHECK(agents["agents"][0]["name"] == "echo-agent");
    CHECK(agents["agents"][0]["status"] == "Running");
    CHECK(f.ok("list_agents", {{"namespace", "other"}})["count"] == 0);
    auto agent = f.ok("get_agent", {{"name", "echo-agent"}});
    CHECK(agent["status"]["phase"] == "Running");
    CHECK(agent["entry_point"] == "agent.py");
    std::string not_found = f.error("get_agent", {{"name", "nope"}});
    CHECK(not_found.find("agent default/nope not found") != std::string::npos);
    CHECK(not_found.find("list_agents") != std::string::npos);
    CHECK(f.error("get_run_events", {{"run_id", "nope"}}).find("list_runs") != std::string::npos);
    CHECK(f.error("decide_approval", {{"request_id", "req-x"}, {"decision", "approve"}})
              .find("list_approvals") != std::string::npos);

    auto context = f.ok("export_context", json::object());
    CHECK(context["counts"]["agents"] == 1);
    CHECK(context["counts"]["tools"] == 2);
    CHECK(context["model_providers"][0]["name"] == "playground-llm");
    CHECK(context["endpoint"] == "");
  }

  TEST_CASE("tools: a held call is listed, approved through decide_approval, and the run ends") {
    if (!runtime_usable()) return;
    Fixture f;
    f.ok("deploy_agent",
         {{"agent_name", "held"},
          {"source_files", {{"agent.py", kEchoAgent}}},
          {"required_tools", {"echo-tool"}},
          {"policies", {{{"permission", "approval_required"}, {"tool", "echo-tool"}}}}});
    platform::InvokeRequest inv;
    inv.agent = "held";
    inv.message = "hello";
    auto invoked = f.platform.agents->invoke(inv);
    REQUIRE(invoked.status == "PAUSED_APPROVAL");

    auto runs = f.ok("list_runs", {{"status", "PAUSED_APPROVAL"}});
    REQUIRE(runs["count"] == 1);
    CHECK(runs["runs"][0]["id"] == invoked.run_id);
    auto pending = f.ok("list_approvals", json::object());
    REQUIRE(pending["count"] == 1);
    const std::string id = pending["approvals"][0]["id"];
    CHECK(pending["approvals"][0]["run_id"] == invoked.run_id);

    CHECK(
        f.error("decide_approval",
                {{"request_id", id}, {"decision", "approve"}, {"scope", "run"}, {"duration", "4h"}})
            .find("duration") != std::string::npos);
    auto decided =
        f.ok("decide_approval",
             {{"request_id", id}, {"decision", "approve"}, {"scope", "run"}, {"reason", "fine"}});
    CHECK(decided["request"]["status"] == "APPROVED");
    CHECK(decided["request"]["scope"] == "run");
    CHECK(decided["run_status"] == "COMPLETED");
    CHECK(decided["response"]["response"] == "echoed: hello");
    CHECK(f.error("decide_approval", {{"request_id", id}, {"decision", "reject"}})
              .find("already APPROVED") != std::string::npos);

    auto first = f.ok("get_run_events", {{"run_id", invoked.run_id}, {"limit", 4}});
    CHECK(first["run_status"] == "COMPLETED");
    CHECK(first["events"].size() == 4);
    CHECK(first["more"] == true);
    CHECK(first["events"][3]["type"] == "APPROVAL_REQUIRED");
    auto rest = f.ok("get_run_events",
                     {{"run_id", invoked.run_id}, {"after_seq", first["next_after_seq"]}});
    CHECK(rest["more"] == false);
    CHECK(rest["events"][0]["seq"] == 5);
    CHECK(rest["events"].back()["type"] == "COMPLETED");
    CHECK(f.ok("list_approvals", {{"status", "ALL"}})["count"] == 1);
    CHECK(f.ok("list_approvals", json::object())["count"] == 0);
  }

  TEST_CASE("tools: results are cut to a budget with a marker") {
    json items = json::array();
    for (int i = 0; i < 1000; ++i) items.push_back({{"name", std::string(100, 'x')}, {"i", i}});
    std::size_t dropped = tools::fit_items(items, 10000);
    CHECK(dropped > 900);
    CHECK(items.size() + dropped == 1000);
    CHECK(items.dump().size() <= 10000);
    json one = json::array({std::string(50000, 'y')});
    CHECK(tools::fit_items(one, 100) == 0);  // always at least one
    json nested = {{"a", {{"b", std::string(10, 'z') + "é" + std::string(100, 'z')}}}};
    tools::clip_strings(nested, 11);
    const std::string clipped = nested["a"]["b"];
    CHECK(clipped.rfind(std::string(10, 'z'), 0) == 0);
    CHECK(clipped.find("more characters]") != std::string::npos);
    CHECK(json::parse(json(clipped).dump()) == clipped);  // still valid UTF-8
  }
}
