// Local blueprints (platform/devboxes.hpp, Blueprints): the Dockerfile subset, a build from
// setup commands and a dockerfile, a devbox from the blueprint, a failing build, deletion.
#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "devbox_test_support.hpp"
#include "platform/local/devboxes/dockerfile.hpp"

namespace runagents::platform::testing {

namespace fs = std::filesystem;

namespace {

Blueprint await_built(DevboxService& s, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Blueprint bp = s.get_blueprint(id);
  while ((bp.status == "provisioning" || bp.status == "building") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    bp = s.get_blueprint(id);
  }
  return bp;
}

std::string log_text(DevboxService& s, const std::string& id) {
  std::string text;
  for (const auto& l : s.blueprint_logs(id)) text += l.level + ": " + l.message + "\n";
  return text;
}

}  // namespace

TEST_CASE("dockerfile: the local subset, its refusals and variable expansion") {
  auto steps = local::parse_dockerfile(
      "# a comment\n"
      "ARG VERSION=1.0\n"
      "FROM runagents/devbox\n"
      "ENV APP_HOME=/home/user/app GREETING=\"hello world\"\n"
      "ENV LEGACY value with spaces\n"
      "WORKDIR $APP_HOME\n"
      "RUN echo one && \\\n"
      "    echo two\n"
      "RUN [\"printf\", \"%s\\n\", \"it's\"]\n"
      "COPY src/ ./src/\n"
      "LABEL maintainer=someone\n");
  REQUIRE(steps.size() == 8);
  CHECK(steps[0].instruction == "ARG");
  CHECK(steps[0].pairs[0] == std::pair<std::string, std::string>{"VERSION", "1.0"});
  CHECK(steps[1].instruction == "ENV");
  CHECK(steps[1].pairs[1] == std::pair<std::string, std::string>{"GREETING", "hello world"});
  CHECK(steps[2].pairs[0] == std::pair<std::string, std::string>{"LEGACY", "value with spaces"});
  CHECK(steps[3].args == std::vector<std::string>{"$APP_HOME"});
  CHECK(steps[4].text == "echo one && echo two");
  CHECK(steps[4].line == 7);
  CHECK(steps[5].text == "'printf' '%s\n' 'it'\\''s'");
  CHECK(steps[6].args == std::vector<std::string>{"src/", "./src/"});
  CHECK(steps[7].instruction == "ignored");

  auto refusal = [](const std::string& text) {
    try {
      local::parse_dockerfile(text);
    } catch (const PlatformError& e) {
      CHECK(e.kind() == ErrorKind::invalid);
      return std::string(e.what());
    }
    FAIL("accepted: " << text);
    return std::string();
  };
  CHECK(refusal("FROM ubuntu:22.04\nRUN true\n").find("runagents/devbox") != std::string::npos);
  CHECK(refusal("RUN true\n").find("line 1: RUN before FROM") != std::string::npos);
  CHECK(refusal("FROM runagents/devbox\nUSER app\n").find("line 2: USER") != std::string::npos);
  CHECK(refusal("FROM runagents/devbox\nFROM runagents/devbox\n").find("multi-stage") !=
        std::string::npos);
  CHECK(refusal("FROM runagents/devbox\nCOPY --from=build /a /b\n").find("--from") !=
        std::string::npos);
  CHECK(refusal("FROM runagents/devbox\nENV \"unclosed\n").find("quote") != std::string::npos);
  CHECK(refusal("# nothing\n").find("no FROM") != std::string::npos);

  const std::map<std::string, std::string> vars = {{"A", "x"}, {"EMPTY", ""}};
  CHECK(local::expand_variables("$A/${A}/${EMPTY:-d}/${A:+w}/\\$A/$MISSING.", vars) ==
        "x/x/d/w/$A/.");
}

TEST_CASE("blueprints: a build from setup commands and a dockerfile, then a devbox from it") {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);

  BlueprintParameters p;
  p.name = "tools";
  p.dockerfile =
      "FROM runagents/devbox\n"
      "ARG FLAVOUR=plain\n"
      "ENV TOOL_HOME=/home/user/tool\n"
      "WORKDIR $TOOL_HOME\n"
      "RUN printf '%s\\n' \"$FLAVOUR\" > flavour && pwd > where\n";
  p.build_args = {{"FLAVOUR", "spicy"}};
  // Setup commands run after the dockerfile, in its last WORKDIR (as appended RUNs would).
  p.system_setup_commands = {
      "cd /home/user && mkdir -p bin && printf "
      "'#!/bin/sh\\necho from-the-blueprint\\n' > bin/hello && chmod +x "
      "bin/hello",
      "echo setup says hi from $(pwd)"};
  p.file_mounts = {{"notes.txt", "mounted\n"}};
  Blueprint created = s->create_blueprint(p);
  CHECK(created.id.rfind("bpt_", 0) == 0);
  CHECK(created.status == "provisioning");
  Blueprint bp = await_built(*s, created.id);
  INFO(log_text(*s, created.id));
  REQUIRE(bp.status == "build_complete");
  CHECK(bp.build_finish_time_ms.has_value());
  const std::string log = log_text(*s, bp.id);
  CHECK(log.find("setup says hi from /home/user/tool") != std::string::npos);
  CHECK(log.find("step 6/6") != std::string::npos);

  // Listed by name; the build devbox is shut down.
  BlueprintListRequest lr;
  lr.name = "tools";
  auto page = s->list_blueprints(lr);
  REQUIRE(page.blueprints.size() == 1);
  CHECK(page.blueprints[0].id == bp.id);
  DevboxListRequest running;
  running.status = "running";
  CHECK(s->list(running).devboxes.empty());

  DevboxCreateRequest r;
  r.blueprint_name = "tools";
  r.environment_variables = {{"OWN", "mine"}};
  auto d = create_devbox(*s, r);
  CHECK(d.blueprint_id == bp.id);
  CHECK(s->get(d.id).blueprint_id == bp.id);
  auto e = run_in(*s, d.id,
                  "bin/hello; cat tool/flavour tool/where notes.txt; echo \"$TOOL_HOME $OWN "
                  "${FLAVOUR:-no-arg}\"");
  INFO(e.stderr_text);
  CHECK(e.exit_status == 0);
  CHECK(e.stdout_text ==
        "from-the-blueprint\nspicy\n/home/user/tool\nmounted\n/home/user/tool mine no-arg\n");

  // A devbox's changes stay its own: a second one starts from the blueprint again.
  run_in(*s, d.id, "rm bin/hello");
  DevboxCreateRequest again;
  again.blueprint_id = bp.id;
  auto d2 = create_devbox(*s, again);
  CHECK(run_in(*s, d2.id, "bin/hello").stdout_text == "from-the-blueprint\n");

  // A blueprint on top of it.
  BlueprintParameters layered;
  layered.name = "tools-plus";
  layered.base_blueprint_name = "tools";
  layered.system_setup_commands = {"echo more > more.txt"};
  Blueprint plus = await_built(*s, s->create_blueprint(layered).id);
  REQUIRE(plus.status == "build_complete");
  CHECK(plus.base_blueprint_id == bp.id);
  DevboxCreateRequest r3;
  r3.blueprint_id = plus.id;
  auto d3 = create_devbox(*s, r3);
  CHECK(run_in(*s, d3.id, "bin/hello && cat more.txt && echo $TOOL_HOME").stdout_text ==
        "from-the-blueprint\nmore\n/home/user/tool\n");

  // Deleted: no new devbox from it; the ones made keep their files.
  CHECK(s->delete_blueprint(plus.id).state == "deleted");
  CHECK(!fs::exists(dir.path / "blueprints" / plus.id));
  CHECK(kind_of([&] { create_devbox(*s, r3); }) == ErrorKind::not_found);
  CHECK(run_in(*s, d3.id, "cat more.txt").stdout_text == "more\n");
  lr.name = "";
  CHECK(s->list_blueprints(lr).blueprints.size() == 1);
}

TEST_CASE("blueprints: a failing step fails the build with its output; refusals change nothing") {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  BlueprintParameters p;
  p.name = "broken";
  p.system_setup_commands = {"echo before", "echo the-reason >&2; exit 3", "echo never"};
  Blueprint bp = await_built(*s, s->create_blueprint(p).id);
  CHECK(bp.status == "failed");
  CHECK(bp.failure_reason == "build_failed");
  const std::string log = log_text(*s, bp.id);
  CHECK(log.find("the-reason") != std::string::npos);
  CHECK(log.find("exited with 3") != std::string::npos);
  CHECK(log.find("never") == std::string::npos);
  CHECK(!fs::exists(dir.path / "blueprints" / bp.id));
  DevboxListRequest running;
  running.status = "running";
  CHECK(s->list(running).devboxes.empty());

  DevboxCreateRequest r;
  r.blueprint_id = bp.id;
  CHECK(kind_of([&] { create_devbox(*s, r); }) == ErrorKind::conflict);
  r.blueprint_id.clear();
  r.blueprint_name = "no-such";
  CHECK(kind_of([&] { create_devbox(*s, r); }) == ErrorKind::not_found);
  r.snapshot_id = "snp_x";
  CHECK(kind_of([&] { create_devbox(*s, r); }) == ErrorKind::invalid);

  BlueprintParameters bad;
  CHECK(kind_of([&] { s->create_blueprint(bad); }) == ErrorKind::invalid);  // no name
  bad.name = "bad";
  bad.dockerfile = "FROM python:3.12\n";
  CHECK(kind_of([&] { s->create_blueprint(bad); }) == ErrorKind::invalid);
  bad.dockerfile = "FROM runagents/devbox\nCOPY a b\n";  // no build_context
  CHECK(kind_of([&] { s->create_blueprint(bad); }) == ErrorKind::invalid);
  bad.dockerfile.clear();
  bad.secrets = {{"TOKEN", "no-such-secret"}};
  CHECK(kind_of([&] { s->create_blueprint(bad); }) == ErrorKind::not_found);
  bad.secrets.clear();
  bad.base_blueprint_name = "no-such";
  CHECK(kind_of([&] { s->create_blueprint(bad); }) == ErrorKind::not_found);
  BlueprintListRequest all;
  CHECK(s->list_blueprints(all).blueprints.size() == 1);  // only "broken"
  CHECK(kind_of([&] { s->get_blueprint("bpt_none"); }) == ErrorKind::not_found);
}

}  // namespace runagents::platform::testing
