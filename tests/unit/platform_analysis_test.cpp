// Source analysis: entry point, handler signature, tools, models, secrets, requirements.
#include "platform/local/agents/python_check.hpp"
#include "platform/local/agents/source_analysis.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using namespace runagents::platform::local;

namespace {

const char* const kAgent = R"PY(import os
import json
import requests
import yaml
from openai import OpenAI
from helpers import shout
import runagents

client = OpenAI()
OPENAI_KEY = "sk-abcdefghijklmnopqrstuvwxyz012345"
password = os.environ["DB_PASSWORD"]


def handler(request,
            ctx: "RunContext" = None):  # a comment (with parens)
    url = os.environ["TOOL_URL_STRIPE_API"]
    answer = ctx.call_tool("echo-tool", payload={"x": 1})
    client.chat.completions.create(model="gpt-4o-mini", messages=[])
    requests.get("https://api.weather.example/v1/now")
    return {"response": shout(answer)}
)PY";

}  // namespace

TEST_SUITE("platform") {
  TEST_CASE("analysis: handler, tools, models, secrets and requirements") {
    std::map<std::string, std::string> files = {{"agent.py", kAgent},
                                                {"helpers.py", "def shout(x):\n    return x\n"}};
    std::vector<Tool> known = {
        {"echo-tool", "", "http://echo.runagents.local", "None", 80, "HTTP", "Available", "", ""}};
    Analysis a = analyze_sources(files, "", known);
    CHECK(a.entry_point == "agent.py");
    CHECK(a.has_handler);
    CHECK(a.handler_signature == "handler(request, ctx)");
    CHECK(a.framework == "runagents");

    std::vector<std::string> tools;
    for (const auto& t : a.tools) tools.push_back(t.name);
    CHECK(tools == std::vector<std::string>{"stripe-api", "echo-tool"});
    CHECK(a.tools[1].base_url == "http://echo.runagents.local");
    CHECK(a.tools[1].line == 17);

    REQUIRE(a.models.size() == 1);
    CHECK(a.models[0].model == "gpt-4o-mini");
    CHECK(a.models[0].provider == "openai");
    CHECK(a.llm_libraries == std::vector<std::string>{"openai"});

    REQUIRE(a.secrets.size() == 1);  // the environment read is not a secret
    CHECK(a.secrets[0].type == "openai_api_key");
    CHECK(a.secrets[0].line == 10);
    CHECK(a.secrets[0].severity == "high");

    CHECK(a.requirements == std::vector<std::string>{"openai", "pyyaml", "requests"});
    CHECK(a.outbound_destinations == std::vector<std::string>{"api.weather.example"});
    CHECK(third_party_imports(files) == std::vector<std::string>{"openai", "requests", "yaml"});
  }

  TEST_CASE("analysis: entry point detection and handler forms") {
    std::map<std::string, std::string> files = {
        {"util.py", "def helper():\n    pass\n"},
        {"main.py", "async def handler():\n    return 'hi'\n"}};
    Analysis a = analyze_sources(files, "", {});
    CHECK(a.entry_point == "main.py");
    CHECK(a.handler_signature == "async handler()");

    files = {{"agent.py", "def run():\n    pass\n"}};
    a = analyze_sources(files, "", {});
    CHECK(a.entry_point == "agent.py");
    CHECK_FALSE(a.has_handler);

    files = {{"bot.py", "def handler(message: str, *, verbose=False):\n    return message\n"}};
    a = analyze_sources(files, "bot.py", {});
    CHECK(a.handler_signature == "handler(message, verbose)");
    CHECK_THROWS_AS(analyze_sources(files, "missing.py", {}), PlatformError);
  }

  TEST_CASE("analysis: names and private keys") {
    CHECK(tool_env_name("echo-tool") == "TOOL_URL_ECHO_TOOL");
    CHECK(pip_name("bs4") == "beautifulsoup4");
    CHECK(pip_name("httpx") == "httpx");
    std::map<std::string, std::string> files = {
        {"agent.py",
         "KEY = '''\n-----BEGIN RSA PRIVATE KEY-----\n'''\napi_token = 'abcd1234efgh'\n"}};
    Analysis a = analyze_sources(files, "", {});
    REQUIRE(a.secrets.size() == 2);
    CHECK(a.secrets[0].type == "private_key");
    CHECK(a.secrets[1].type == "api_key");
    CHECK(a.secrets[1].severity == "medium");
  }

  TEST_CASE("python check compiles without running and finds missing modules") {
    auto check = check_python_sources(
        {{"ok.py", "import os\nprint('never runs')\n"}, {"bad.py", "def f(:\n  pass\n"}},
        {"os", "surely_not_installed_module_xyz"});
    if (!check.ran) {
      MESSAGE("skipped: " << check.problem);
      return;
    }
    REQUIRE(check.errors.size() == 1);
    CHECK(check.errors[0].file == "bad.py");
    CHECK(check.errors[0].line == 1);
    CHECK(check.errors[0].message.find("SyntaxError") == 0);
    CHECK(check.missing_modules == std::vector<std::string>{"surely_not_installed_module_xyz"});
  }
}
