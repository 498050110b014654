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

  TEST_CASE("analysis: the runtime's entry order: handler, framework objects, then main") {
    std::map<std::string, std::string> files = {
        {"agent.py",
         "def main(message):\n    return message\n\ndef handler(request):\n    "
         "return 1\n"}};
    CHECK(analyze_sources(files, "", {}).handler_signature == "handler(request)");
    files = {{"agent.py", "graph = build()\n\ndef main():\n    return 1\n"}};
    Analysis a = analyze_sources(files, "", {});
    CHECK(a.has_handler);
    CHECK(a.handler_signature.rfind("graph (", 0) == 0);
    // The SDK's Agent() helper has no invoke: main is what the runtime calls.
    files = {{"agent.py",
              "from runagents import Agent\nagent = Agent()\n\ndef main():\n    "
              "return agent.chat('hi')\n"}};
    a = analyze_sources(files, "", {});
    CHECK(a.has_handler);
    CHECK(a.handler_signature == "main()");
    files = {{"agent.py", "agent = runagents.Agent()\n"}};
    CHECK_FALSE(analyze_sources(files, "", {}).has_handler);
    // Indented (not top-level) assignments and a == comparison are no entry.
    files = {{"agent.py", "if x:\n    crew = make()\nchain == 1\n"}};
    CHECK_FALSE(analyze_sources(files, "", {}).has_handler);
  }

  TEST_CASE("analysis: vendored packages are recognised and not searched") {
    const std::map<std::string, std::string> files = {
        {"agent.py",
         "import runagents\nimport lib\n\ndef handler(request, ctx):\n    return "
         "runagents.Agent().call_tool('echo-tool')\n"},
        {"requirements.txt", "runagents>=1.2.1\n"},
        // pip install --target . runagents: the package and its dist-info side by side.
        {"runagents/__init__.py", "from runagents.agent import Agent\n"},
        {"runagents/agent.py",
         "import mcp\nimport os\nTOOL_URL_PREFIXES = []\nTOOL_URL_REWRITES = {}\n"
         "MODEL = 'gpt-4o-mini'\nAPI_KEY_EXAMPLE = 'replace-me-with-your-key'\n"
         "def handler(request):\n    return Agent().call_tool('calculator')\n"},
        {"runagents-1.2.1.dist-info/METADATA", "Name: runagents\n"},
        {"PyYAML-6.0.dist-info/top_level.txt", "_yaml\nyaml\n"},
        {"yaml/__init__.py", "import re\nTOOL_URL_YAML = 1\n"},
        // A source checkout copied below the top level: pyproject.toml next to the package.
        {"third_party/sdk/pyproject.toml", "[project]\nname = 'sdk'\n"},
        {"third_party/sdk/sdkpkg/__init__.py", "import httpx\nX = call_tool('weather')\n"},
        // The agent's own package next to its own (top-level) pyproject.toml stays its own.
        {"pyproject.toml", "[project]\nname = 'my-agent'\n"},
        {"lib/__init__.py", "import requests\nTOOL_URL_SEARCH = 'x'\n"},
        // Listed by the user.
        {"extras/helper.py", "call_tool('listed-tool')\n"}};

    CHECK(vendored_paths(files) ==
          std::vector<std::string>{"runagents/", "third_party/sdk/sdkpkg/", "yaml/"});
    const auto with_listed = vendored_paths(files, {"extras"});
    CHECK(with_listed ==
          std::vector<std::string>{"extras/", "runagents/", "third_party/sdk/sdkpkg/", "yaml/"});
    CHECK(vendored_paths(files, {"extras/helper.py"}).front() == "extras/helper.py");
    CHECK(is_vendored("runagents/agent.py", with_listed));
    CHECK(is_vendored("extras/helper.py", with_listed));
    CHECK_FALSE(is_vendored("runagents-1.2.1.dist-info/METADATA", with_listed));
    CHECK_FALSE(is_vendored("lib/__init__.py", with_listed));
    CHECK_FALSE(is_vendored("runagentsx/a.py", with_listed));

    Analysis a = analyze_sources(files, "", {}, {"extras/"});
    CHECK(a.entry_point == "agent.py");
    CHECK(a.handler_signature == "handler(request, ctx)");
    std::vector<std::string> tools;
    for (const auto& t : a.tools) tools.push_back(t.name);
    CHECK(tools == std::vector<std::string>{"echo-tool", "search"});
    CHECK(a.models.empty());
    CHECK(a.secrets.empty());
    CHECK(a.requirements == std::vector<std::string>{"requests"});
    CHECK(third_party_imports(files, with_listed) == std::vector<std::string>{"requests"});
    // Without the rule, the vendored code's words would be taken for tools.
    CHECK(third_party_imports(files).size() == 3);

    CHECK_THROWS_WITH_AS(vendored_paths(files, {"../x"}), doctest::Contains("vendored_paths"),
                         PlatformError);
    CHECK_THROWS_WITH_AS(vendored_paths(files, {"/abs"}), doctest::Contains("relative"),
                         PlatformError);
    CHECK_THROWS_WITH_AS(vendored_paths(files, {"nowhere/"}), doctest::Contains("names no file"),
                         PlatformError);
    CHECK_THROWS_AS(analyze_sources(files, "", {}, {"ext"}), PlatformError);  // not a dir prefix
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
