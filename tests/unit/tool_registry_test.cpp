#include "server/tool_registry.hpp"

#include <doctest/doctest.h>

#include "tests/unit/recording_outbound.hpp"

using namespace runagents::mcp;

namespace {

ToolDefinition make_tool(const std::string& name, const std::string& toolset, bool read_only) {
  ToolDefinition t;
  t.name = name;
  t.title = name;
  t.description = "test tool " + name;
  t.toolset = toolset;
  t.annotations.read_only = read_only;
  t.input_schema = {{"type", "object"},
                    {"properties",
                     {{"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 200}}},
                      {"name", {{"type", "string"}}}}},
                    {"additionalProperties", false}};
  t.handler = [](const json& args, RequestContext&) {
    return ToolResult::structured({{"echo", args}});
  };
  t.output_schema = {
      {"type", "object"}, {"properties", {{"echo", {{"type", "object"}}}}}, {"required", {"echo"}}};
  return t;
}

void fill(ToolRegistry& r) {
  r.add(make_tool("list_things", "things", true));
  r.add(make_tool("make_thing", "things", false));
  r.add(make_tool("list_boxes", "boxes", true));
  r.add(make_tool("drop_box", "boxes", false));
}

struct NullOut : Outbound {
  bool send(const json&) override { return true; }
};

}  // namespace

TEST_SUITE("registry") {
  TEST_CASE("validation errors name the field and the rule") {
    ToolRegistry r;
    fill(r);
    auto problems = r.validate_arguments("list_things", {{"limit", 500}});
    REQUIRE_FALSE(problems.empty());
    CHECK(problems.front().rfind("limit: ", 0) == 0);
    CHECK(problems.front().find("less than or equal to 200") != std::string::npos);

    auto wrong_type = r.validate_arguments("list_things", {{"name", 5}});
    REQUIRE_FALSE(wrong_type.empty());
    CHECK(wrong_type.front().rfind("name: ", 0) == 0);

    auto extra = r.validate_arguments("list_things", {{"bogus", 1}});
    REQUIRE_FALSE(extra.empty());
    CHECK(extra.front().find("bogus") != std::string::npos);

    CHECK(r.validate_arguments("list_things", {{"limit", 5}}).empty());
  }

  TEST_CASE("call_tool turns bad arguments into an isError result that names the field") {
    ToolRegistry r;
    fill(r);
    Session s("t");
    NullOut out;
    RequestContext ctx(s, out, 1, nullptr, nullptr);
    ToolResult bad = call_tool(r, "list_things", {{"limit", 0}}, ctx);
    CHECK(bad.is_error);
    CHECK(bad.content[0]["text"].get<std::string>().find("limit") != std::string::npos);
    ToolResult good = call_tool(r, "list_things", {{"limit", 3}}, ctx);
    CHECK_FALSE(good.is_error);
    CHECK((*good.structured_content)["echo"]["limit"] == 3);
    CHECK_THROWS_AS(call_tool(r, "missing", json::object(), ctx), RpcError);
  }

  TEST_CASE("output that does not match the output schema is reported, not passed on") {
    ToolRegistry r;
    ToolDefinition t = make_tool("liar", "things", true);
    t.handler = [](const json&, RequestContext&) { return ToolResult::structured({{"nope", 1}}); };
    r.add(std::move(t));
    Session s("t");
    NullOut out;
    RequestContext ctx(s, out, 1, nullptr, nullptr);
    ToolResult res = call_tool(r, "liar", json::object(), ctx);
    CHECK(res.is_error);
    CHECK_FALSE(res.structured_content);
  }

  TEST_CASE("a remembered valid output does not let a different, invalid one through") {
    ToolRegistry r;
    ToolDefinition t = make_tool("fickle", "things", true);
    // The same valid answer twice (the second from the validator's memory), then a bad one, a
    // bad one of the same length, the good one again, and a good one with a summary.
    t.handler = [](const json& args, RequestContext&) {
      const std::string kind = args.value("name", "");
      if (kind == "bad") return ToolResult::structured({{"echo", 1}});
      if (kind == "same-length") return ToolResult::structured({{"echx", json::object()}});
      if (kind == "summary") return ToolResult::structured({{"echo", json::object()}}, "ok");
      return ToolResult::structured({{"echo", json::object()}});
    };
    r.add(std::move(t));
    Session s("t");
    NullOut out;
    RequestContext ctx(s, out, 1, nullptr, nullptr);
    for (const char* kind : {"good", "good", "bad", "same-length", "good", "summary"}) {
      CAPTURE(kind);
      ToolResult res = call_tool(r, "fickle", {{"name", kind}}, ctx);
      const bool bad = std::string(kind) == "bad" || std::string(kind) == "same-length";
      CHECK(res.is_error == bad);
      if (bad) continue;
      // The text block is the structured content serialized (or the summary the tool gave).
      REQUIRE(res.content.size() == 1);
      CHECK(res.content[0]["text"] ==
            (std::string(kind) == "summary" ? "ok" : serialize(*res.structured_content)));
      CHECK(std::move(res).to_json()["content"].size() == 1);
    }
    CHECK(r.validate_output("fickle", {{"echo", 1}}, serialize(json{{"echo", 1}})).size() == 1);
    CHECK(r.validate_output("fickle", {{"echo", json::object()}}).empty());
  }

  TEST_CASE("handler exceptions become isError results with the message") {
    ToolRegistry r;
    ToolDefinition t = make_tool("thrower", "things", true);
    t.handler = [](const json&, RequestContext&) -> ToolResult {
      throw std::runtime_error("agent default/foo not found; list_agents lists deployed agents");
    };
    r.add(std::move(t));
    Session s("t");
    NullOut out;
    RequestContext ctx(s, out, 1, nullptr, nullptr);
    ToolResult res = call_tool(r, "thrower", json::object(), ctx);
    CHECK(res.is_error);
    CHECK(res.content[0]["text"] ==
          "agent default/foo not found; list_agents lists deployed agents");
  }

  TEST_CASE("selection by toolset, tool, exclusion and read-only") {
    {
      ToolRegistry r;
      fill(r);
      r.select({{"boxes"}, {}, {}, false});
      CHECK(r.list().size() == 2);
      CHECK(r.find("list_boxes"));
      CHECK_FALSE(r.find("list_things"));
    }
    {
      ToolRegistry r;
      fill(r);
      r.select({{"boxes"}, {"list_things"}, {"drop_box"}, false});
      std::vector<std::string> names;
      for (auto* t : r.list()) names.push_back(t->name);
      CHECK(names == std::vector<std::string>{"list_things", "list_boxes"});
    }
    {
      ToolRegistry r;
      fill(r);
      r.select({{}, {}, {}, true});
      for (auto* t : r.list()) CHECK(t->annotations.read_only);
      CHECK(r.list().size() == 2);
    }
  }

  TEST_CASE("an unknown toolset or tool is refused with the valid names and changes nothing") {
    ToolRegistry r;
    fill(r);
    try {
      r.select({{"nonsense"}, {}, {}, false});
      FAIL("expected an error");
    } catch (const std::invalid_argument& e) {
      std::string m = e.what();
      CHECK(m.find("nonsense") != std::string::npos);
      CHECK(m.find("things") != std::string::npos);
      CHECK(m.find("boxes") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(r.select({{}, {}, {"nope"}, false}),
                         doctest::Contains("valid tools: list_things, make_thing"),
                         std::invalid_argument);
    CHECK(r.list().size() == 4);
  }

  TEST_CASE("tools/list pages deterministically and rejects foreign cursors") {
    ToolRegistry r;
    fill(r);
    json page1 = r.list_page(json::object(), 3);
    REQUIRE(page1["tools"].size() == 3);
    CHECK(page1["tools"][0]["name"] == "list_things");
    REQUIRE(page1.contains("nextCursor"));
    json page2 = r.list_page({{"cursor", page1["nextCursor"]}}, 3);
    CHECK(page2["tools"].size() == 1);
    CHECK(page2["tools"][0]["name"] == "drop_box");
    CHECK_FALSE(page2.contains("nextCursor"));
    for (json bad : {json("garbage"), json(5), json("cHJvbXB0cy9saXN0OjA=")}) {
      try {
        r.list_page({{"cursor", bad}}, 3);
        FAIL("expected -32602");
      } catch (const RpcError& e) {
        CHECK(e.code() == error_code::invalid_params);
      }
    }
  }

  TEST_CASE("tool names are checked at registration") {
    ToolRegistry r;
    CHECK_THROWS_AS(r.add(make_tool("bad name", "x", true)), std::invalid_argument);
    CHECK_THROWS_AS(r.add(make_tool(std::string(65, 'a'), "x", true)), std::invalid_argument);
    r.add(make_tool("ok", "x", true));
    CHECK_THROWS_AS(r.add(make_tool("ok", "x", true)), std::invalid_argument);
  }

  TEST_CASE("schemas compile on a tool's first call; compile_schemas names one that cannot") {
    ToolRegistry r;
    auto broken = make_tool("broken", "x", true);
    broken.input_schema["properties"]["limit"]["minimum"] = "one";  // not a number
    r.add(broken);  // kept: its schemas are compiled when first needed
    r.add(make_tool("fine", "x", true));
    CHECK_THROWS_WITH_AS(r.compile_schemas(), doctest::Contains("tool broken"),
                         std::invalid_argument);
    CHECK_THROWS_AS(r.validate_arguments("broken", json::object()), std::invalid_argument);
    CHECK(r.validate_arguments("fine", {{"limit", 0}}).size() == 1);
    CHECK(r.validate_arguments("fine", {{"limit", 5}}).empty());
  }

  TEST_CASE("the list entry carries title, schemas and annotations") {
    ToolRegistry r;
    fill(r);
    json d = ToolRegistry::describe(*r.find("drop_box"));
    CHECK(d["name"] == "drop_box");
    CHECK(d["inputSchema"]["type"] == "object");
    CHECK(d["outputSchema"]["required"][0] == "echo");
    CHECK(d["annotations"]["readOnlyHint"] == false);
    CHECK(d["annotations"]["destructiveHint"] == true);
  }

  TEST_CASE("in a task, progress lines become the task's status (a modern task has no token)") {
    struct Channel : TaskChannel {
      std::vector<std::string> lines;
      json await_input(const json&, const Cancellation&) override { return json::object(); }
      void status(const std::string& message) override { lines.push_back(message); }
    };
    Session s("t");
    testing::RecordingOutbound out;
    RequestEnvelope modern;
    modern.era = Era::modern;
    RequestContext ctx(s, out, 1, modern, std::make_shared<Cancellation>());
    CHECK_FALSE(ctx.has_progress_token());  // a plain modern request without a progressToken
    Channel channel;
    ctx.attach_task(&channel);
    CHECK(ctx.has_progress_token());  // tools report progress: it is the task's statusMessage
    ctx.progress(1, std::nullopt, "line one");
    ctx.progress(2, std::nullopt, "line two");
    CHECK(channel.lines == std::vector<std::string>{"line one", "line two"});
    CHECK(out.take().empty());  // and no notifications/progress for a modern task
  }
}
