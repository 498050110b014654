// The queries domain below the tool: values made from schemas, redaction, the router's choice of
// runner, and the embedded runtime's tool-using loop against a fake OpenAI-compatible endpoint.
#include "platform/local/queries/query_runtime.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "devbox_test_support.hpp"
#include "platform/local/agents/schema_example.hpp"
#include "platform/queries/query_router.hpp"
#include "server/schema_validator.hpp"

using namespace runagents::platform;
using runagents::platform::testing::TempDir;
using json = nlohmann::json;

TEST_SUITE("queries") {
  TEST_CASE("values made from schemas validate against them") {
    const json schemas[] = {
        {{"type", "object"},
         {"required", {"a", "b", "c", "d"}},
         {"additionalProperties", false},
         {"properties",
          {{"a", {{"type", "string"}, {"minLength", 12}}},
           {"b", {{"type", "integer"}, {"exclusiveMinimum", 10}, {"multipleOf", 4}}},
           {"c",
            {{"type", "array"},
             {"minItems", 3},
             {"uniqueItems", true},
             {"items", {{"type", "string"}}}}},
           {"d", {{"anyOf", {{{"type", "null"}}, {{"type", "boolean"}}}}}}}}},
        {{"$defs",
          {{"item",
            {{"type", "object"},
             {"required", {"id"}},
             {"properties", {{"id", {{"type", "string"}, {"format", "uuid"}}}}}}}}},
         {"type", "array"},
         {"items", {{"$ref", "#/$defs/item"}}}},
        {{"enum", {"red", "green"}}},
        {{"type", "number"}, {"minimum", -5.5}, {"maximum", -1}},
        {{"allOf",
          {{{"type", "object"}, {"required", {"x"}}, {"properties", {{"x", {{"const", 7}}}}}},
           {{"required", {"y"}}, {"properties", {{"y", {{"type", "boolean"}}}}}}}}},
    };
    for (const auto& schema : schemas) {
      json value = local::example_for_schema(schema);
      runagents::mcp::SchemaValidator validator(schema);
      auto problems = validator.validate(value);
      CHECK_MESSAGE(problems.empty(), schema.dump() << " -> " << value.dump() << ": "
                                                    << (problems.empty() ? "" : problems[0]));
    }
    CHECK(local::example_for_schema(json::array()).is_null());
  }

  TEST_CASE("redaction replaces every occurrence in strings, keys and nested values") {
    json v = {{"text", "a s3cret and s3cret"},
              {"s3cret-key", {1, "x s3cret", {{"deep", "s3cret"}}}}};
    redact_secrets(v, {"s3cret", ""});
    CHECK(v.dump().find("s3cret") == std::string::npos);
    CHECK(v["text"] == "a [REDACTED] and [REDACTED]");
    CHECK(v["[REDACTED]-key"][2]["deep"] == "[REDACTED]");
    CHECK(redact_secrets(std::string("abcabc"), {"abc"}) == "[REDACTED][REDACTED]");
  }

  TEST_CASE("the router picks the runner from the request and refuses two targets") {
    struct Fake : QueryRunner {
      std::string name;
      std::string seen_url;
      explicit Fake(std::string n) : name(std::move(n)) {}
      QueryResult run(const QueryRequest& r, const QueryObserver&) override {
        seen_url = r.runtime_url;
        QueryResult out;
        out.result_type = "text";
        out.text = name;
        return out;
      }
    };
    auto agent = std::make_shared<Fake>("agent");
    auto rt = std::make_shared<Fake>("runtimeuse");
    auto embedded = std::make_shared<Fake>("embedded");
    auto router = make_query_router({agent, rt, embedded, ""});
    QueryRequest r;
    r.prompt = "p";
    CHECK(router->run(r, {}).text == "embedded");
    r.runtime_url = "ws://x";
    CHECK(router->run(r, {}).text == "runtimeuse");
    r.devbox_id = "dbx_1";
    CHECK(testing::kind_of([&] { router->run(r, {}); }) == ErrorKind::invalid);
    r.runtime_url.clear();
    r.agent_name = "a";
    CHECK(testing::kind_of([&] { router->run(r, {}); }) == ErrorKind::invalid);
    r.devbox_id.clear();
    CHECK(router->run(r, {}).text == "agent");

    auto with_default = make_query_router({agent, rt, embedded, "ws://default:1"});
    QueryRequest plain;
    plain.prompt = "p";
    CHECK(with_default->run(plain, {}).text == "runtimeuse");
    CHECK(rt->seen_url == "ws://default:1");
    plain.devbox_id = "dbx_2";
    CHECK(with_default->run(plain, {}).text == "embedded");
  }

  // A fake OpenAI-compatible endpoint: the first turn asks for the shell tool, the second answers
  // with what the tool returned.
  struct FakeModel {
    httplib::Server server;
    std::thread thread;
    int port = 0;
    std::mutex mu;
    std::vector<json> requests;
    bool always_tools = false;

    FakeModel() {
      server.Post(
          "/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
            json body = json::parse(req.body);
            std::lock_guard lock(mu);
            requests.push_back(body);
            json message;
            const json& last = body["messages"].back();
            if (always_tools || last["role"] != "tool") {
              message = {{"role", "assistant"},
                         {"content", "I will look."},
                         {"tool_calls",
                          {{{"id", "call_" + std::to_string(requests.size())},
                            {"type", "function"},
                            {"function",
                             {{"name", "shell"},
                              {"arguments", json{{"command",
                                                  "echo made > out/made.txt; cat out/made.txt; "
                                                  "echo oops >&2; exit 4"}}
                                                .dump()}}}}}}};
            } else {
              message = {{"role", "assistant"},
                         {"content", "tool said: " + last["content"].get<std::string>()}};
            }
            json reply = {
                {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", "stop"}}}},
                {"usage", {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}}}};
            res.set_content(reply.dump(), "application/json");
          });
      port = server.bind_to_any_port("127.0.0.1");
      thread = std::thread([this] { server.listen_after_bind(); });
    }
    ~FakeModel() {
      server.stop();
      thread.join();
    }
  };

  TEST_CASE("embedded runtime: a tool-using loop runs the model's shell calls in the devbox") {
    if (!testing::devbox_usable()) return;
    TempDir dir;
    auto devboxes = testing::open_devboxes(dir);
    FakeModel model;
    local::EmbeddedQueryOptions options;
    options.gateway.base_url = "http://127.0.0.1:" + std::to_string(model.port) + "/v1";
    auto runner = local::make_embedded_query_runner(devboxes, options);

    QueryRequest r;
    r.prompt = "make a file";
    r.model = "fake-model";
    r.artifacts_dir = "out";
    r.timeout = std::chrono::seconds(60);
    std::vector<std::string> assistant, output;
    QueryObserver obs;
    obs.on_assistant_message = [&](const std::string& t) { assistant.push_back(t); };
    obs.on_command_output = [&](std::string_view s, std::string_view t, const std::string&) {
      output.push_back(std::string(s) + ":" + std::string(t));
    };
    QueryResult out = runner->run(r, obs);
    REQUIRE(out.result_type == "text");
    CHECK(out.text.find("exit code 4") != std::string::npos);
    CHECK(out.text.find("stdout:\nmade") != std::string::npos);
    CHECK(out.text.find("oops") != std::string::npos);
    CHECK(out.metadata["num_turns"] == 2);
    CHECK(out.metadata["tool_calls"] == 1);
    CHECK(out.metadata["usage"]["total_tokens"] == 30);
    CHECK(assistant.front() == "I will look.");
    CHECK(std::find(output.begin(), output.end(), "stdout:made\n") != output.end());
    REQUIRE(out.artifacts.size() == 1);
    CHECK(out.artifacts[0].name == "made.txt");
    CHECK(out.artifacts[0].data == "made\n");
    {
      std::lock_guard lock(model.mu);
      REQUIRE(model.requests.size() == 2);
      CHECK(model.requests[0]["model"] == "fake-model");
      CHECK(model.requests[0]["tools"][0]["function"]["name"] == "shell");
      CHECK(model.requests[1]["messages"].back()["tool_call_id"] == "call_1");
    }
    // The fresh devbox was shut down.
    CHECK(devboxes->get(out.metadata["devbox_id"].get<std::string>()).status == "shutdown");

    model.always_tools = true;
    local::EmbeddedQueryOptions few = options;
    few.max_turns = 2;
    auto limited = local::make_embedded_query_runner(devboxes, few);
    QueryResult capped = limited->run(r, {});
    CHECK(capped.result_type == "error");
    CHECK(capped.error.find("all 2 turns") != std::string::npos);
  }

  TEST_CASE("embedded runtime: a given devbox is used and kept; bad paths are refused up front") {
    if (!testing::devbox_usable()) return;
    TempDir dir;
    auto devboxes = testing::open_devboxes(dir);
    auto runner = local::make_embedded_query_runner(devboxes);
    Devbox box = testing::create_devbox(*devboxes);
    devboxes->write_file(box.id, "seen.txt", "x");
    QueryRequest r;
    r.prompt = "look";
    r.devbox_id = box.id;
    QueryResult out = runner->run(r, {});
    CHECK(out.result_type == "text");
    CHECK(out.text.find("seen.txt") != std::string::npos);
    CHECK(devboxes->get(box.id).status == "running");

    r.artifacts_dir = "../escape";
    CHECK(testing::kind_of([&] { runner->run(r, {}); }) == ErrorKind::invalid);
    r.artifacts_dir = "/tmp";
    CHECK(testing::kind_of([&] { runner->run(r, {}); }) == ErrorKind::invalid);
    r.artifacts_dir.clear();
    r.devbox_id = "dbx_missing";
    CHECK(testing::kind_of([&] { runner->run(r, {}); }) == ErrorKind::not_found);
    devboxes->shutdown(box.id);
  }
}
