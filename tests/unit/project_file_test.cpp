// runagents.yaml (platform/project/project_file.*), the init command's files and the deploy
// command's request.
#include "platform/project/project_file.hpp"

#include <doctest/doctest.h>

#include <fstream>

#include "app/deploy_command.hpp"
#include "app/init_command.hpp"
#include "platform/project/agent_project.hpp"
#include "platform_test_support.hpp"

using namespace runagents::cli;
using runagents::platform::parse_project_file;
using runagents::platform::testing::TempDir;

TEST_SUITE("app") {
  TEST_CASE("runagents.yaml: the subset init writes and the SDK's forms") {
    auto p = parse_project_file(
        "# my agent\nname: demo\nsystem_prompt: \"Be brief: \\\"yes\\\"\"\ntools:\n  - echo-tool\n"
        "  - 'weather'\nmodel:\n  provider: openai\n  model: gpt-4o-mini  # cheap\n"
        "entry_point: agent.py\nvendored: [lib/, sdk]\n");
    CHECK(p.name == "demo");
    CHECK(p.system_prompt == "Be brief: \"yes\"");
    CHECK(p.tools == std::vector<std::string>{"echo-tool", "weather"});
    CHECK(p.provider == "openai");
    CHECK(p.model == "gpt-4o-mini");
    CHECK(p.entry_point == "agent.py");
    CHECK(p.vendored == std::vector<std::string>{"lib/", "sdk"});

    p = parse_project_file(
        "name: x\ntools: []\nmodel: {provider: playground, model: playground-llm}\n"
        "system_prompt: |\n  line one\n\n  line two\n");
    CHECK(p.tools.empty());
    CHECK(p.model == "playground-llm");
    CHECK(p.system_prompt == "line one\n\nline two");
    CHECK(parse_project_file("model: anthropic/claude-3-haiku\n").provider == "anthropic");

    // The scaffold init writes reads back.
    auto files = init_files("demo", "/usr/local/bin/runagents-mcp");
    p = parse_project_file(files.at("runagents.yaml"));
    CHECK(p.name == "demo");
    CHECK(p.tools == std::vector<std::string>{"echo-tool"});
    CHECK(p.model == "playground-llm");
    CHECK(p.entry_point == "agent.py");
    CHECK(files.at(".mcp.json").find("\"/usr/local/bin/runagents-mcp\"") != std::string::npos);

    CHECK_THROWS_WITH(parse_project_file("name: a\ncolour: red\n"),
                      doctest::Contains("line 2: unknown key 'colour'"));
    CHECK_THROWS_WITH(parse_project_file("tools:\n  echo-tool\n"),
                      doctest::Contains("line 2: expected '- item'"));
    CHECK_THROWS_WITH(parse_project_file("name: 'open\n"), doctest::Contains("unterminated"));
    CHECK_THROWS_WITH(parse_project_file("  name: a\n"), doctest::Contains("indentation"));
    CHECK_THROWS_WITH(parse_project_file("model:\n  size: big\n"), doctest::Contains("size"));
    CHECK_THROWS_WITH(parse_project_file("just text\n"), doctest::Contains("key: value"));
  }

  TEST_CASE("deploy command: the request from runagents.yaml, the flags over it") {
    TempDir dir;
    auto write = [&](const std::string& rel, const std::string& text) {
      std::filesystem::create_directories((dir.path / rel).parent_path());
      std::ofstream(dir.path / rel) << text;
    };
    DeployCommand flags;
    CHECK_THROWS_WITH(deploy_request_for(flags, dir.path), doctest::Contains("no runagents.yaml"));
    for (const auto& [file, text] : init_files("demo", "/bin/true")) write(file, text);
    write("helpers/util.py", "X = 1\n");
    write("__pycache__/agent.cpython-311.pyc", "junk");
    write(".venv/lib/x.py", "junk");
    auto req = deploy_request_for(flags, dir.path);
    CHECK(req.agent_name == "demo");
    CHECK(req.required_tools == std::vector<std::string>{"echo-tool"});
    REQUIRE(req.llm_configs.size() == 1);
    CHECK(req.llm_configs[0].model == "playground-llm");
    CHECK(req.entry_point == "agent.py");
    std::vector<std::string> names;
    for (const auto& [n, _] : req.source_files) names.push_back(n);
    CHECK(names == std::vector<std::string>{"agent.py", "helpers/util.py", "requirements.txt",
                                            "runagents.yaml"});
    CHECK_FALSE(req.dry_run);

    flags.name = "other";
    flags.files = {"agent.py"};
    flags.tools = {"a", "b"};
    flags.model = "openai/gpt-4o";
    flags.system_prompt = "Hi";
    flags.dry_run = true;
    req = deploy_request_for(flags, dir.path);
    CHECK(req.agent_name == "other");
    CHECK(req.source_files.size() == 1);
    CHECK(req.required_tools == std::vector<std::string>{"a", "b"});
    CHECK(req.llm_configs[0].provider == "openai");
    CHECK(req.system_prompt == "Hi");
    CHECK(req.dry_run);

    flags.model = "gpt-4o";
    CHECK_THROWS_WITH(deploy_request_for(flags, dir.path), doctest::Contains("provider/model"));
    flags.model.clear();
    flags.files = {"../etc/passwd"};
    CHECK_THROWS_WITH(deploy_request_for(flags, dir.path), doctest::Contains("outside"));
    flags.files = {"missing.py"};
    CHECK_THROWS_WITH(deploy_request_for(flags, dir.path), doctest::Contains("cannot read"));
  }
}

TEST_SUITE("app") {
  TEST_CASE("agent project: links never lead out of the directory; the read is capped") {
    using runagents::platform::deploy_request_from_project;
    using runagents::platform::ProjectLimits;
    using runagents::platform::ProjectOverrides;
    TempDir outside;
    std::ofstream(outside.path / "secret.txt") << "host secret\n";
    TempDir dir;
    std::ofstream(dir.path / "runagents.yaml") << "name: linked\n";
    std::ofstream(dir.path / "agent.py") << "def handler(r): return 'ok'\n";
    std::filesystem::create_symlink(outside.path / "secret.txt", dir.path / "leak.txt");
    std::filesystem::create_directory_symlink(outside.path, dir.path / "leakdir");
    std::filesystem::create_symlink("agent.py", dir.path / "alias.py");

    auto req = deploy_request_from_project(dir.path, {});
    std::vector<std::string> names;
    for (const auto& [n, _] : req.source_files) names.push_back(n);
    CHECK(names == std::vector<std::string>{"agent.py", "alias.py", "runagents.yaml"});
    CHECK(req.source_files.at("alias.py") == "def handler(r): return 'ok'\n");
    for (const auto& [_, text] : req.source_files)
      CHECK(text.find("host secret") == std::string::npos);

    ProjectOverrides named;
    named.files = {"leak.txt"};
    CHECK_THROWS_WITH(deploy_request_from_project(dir.path, named),
                      doctest::Contains("links outside"));
    named.files = {"leakdir/secret.txt"};
    CHECK_THROWS_WITH(deploy_request_from_project(dir.path, named),
                      doctest::Contains("links outside"));

    ProjectLimits two_files;
    two_files.max_files = 2;
    CHECK_THROWS_WITH(deploy_request_from_project(dir.path, {}, two_files),
                      doctest::Contains("more than 2 files"));
    ProjectLimits tiny;
    tiny.max_bytes = 10;
    CHECK_THROWS_WITH(deploy_request_from_project(dir.path, {}, tiny), doctest::Contains("MiB"));
    CHECK_THROWS_WITH(deploy_request_from_project(dir.path / "agent.py", {}),
                      doctest::Contains("not a directory"));
  }
}
