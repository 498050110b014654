// Local devboxes created with secrets (DevboxCreateRequest::secrets): the commands get the values,
// everything the service returns shows "[REDACTED]" in their place.
#include <doctest/doctest.h>

#include <filesystem>
#include <mutex>

#include "devbox_test_support.hpp"
#include "platform/local/secrets/secret_store.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;

namespace {

constexpr const char* kValue = "tok_4f1d9c2b7e";

bool shows(const std::string& text) {
  return text.find("4f1d9c") != std::string::npos;
}

}  // namespace

TEST_CASE("devbox secrets reach commands and never come back out" * doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  local::SecretStore(dir.path).create("deploy_token", kValue);
  auto s = open_devboxes(dir);

  DevboxCreateRequest r;
  r.secrets = {{"TOKEN", "deploy_token"}};
  r.environment_variables = {{"PLAIN", "visible"}};
  auto d = create_devbox(*s, r);

  // The command sees the value (its length and a digest prove it), the result shows [REDACTED].
  auto e = run_in(*s, d.id, "echo \"$PLAIN $TOKEN\"; echo \"$TOKEN\" >&2; echo ${#TOKEN}");
  CHECK(e.stdout_text == "visible [REDACTED]\n14\n");
  CHECK(e.stderr_text == "[REDACTED]\n");

  // Lines streamed while it runs.
  std::mutex mu;
  std::vector<std::string> lines;
  ExecRequest streamed;
  streamed.devbox_id = d.id;
  streamed.command = "echo \"key=$TOKEN;\"";
  streamed.on_output = [&](std::string_view, std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  };
  s->execute(streamed);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == "key=[REDACTED];");

  // A named shell, an async execution read back, and the log of a command naming it.
  CHECK(run_in(*s, d.id, "export X=$TOKEN; echo $X", "sh").stdout_text == "[REDACTED]\n");
  ExecRequest later;
  later.devbox_id = d.id;
  later.command = "printf '%s' \"$TOKEN\"";
  auto started = s->execute_async(later);
  auto done =
      s->wait_for_execution(d.id, started.execution_id, {"completed"}, std::chrono::seconds(30));
  CHECK(done.stdout_text == "[REDACTED]");
  CHECK(s->execution(d.id, started.execution_id).stdout_text == "[REDACTED]");

  // Files: whole, and a page cut inside the value.
  run_in(*s, d.id, "echo \"head $TOKEN tail\" > out.txt");
  CHECK(s->read_file(d.id, "out.txt", 0, std::nullopt).data == "head [REDACTED] tail\n");
  auto first = s->read_file(d.id, "out.txt", 0, 10);    // "head tok_4"
  auto second = s->read_file(d.id, "out.txt", 10, 50);  // "f1d9c2b7e tail\n"
  CHECK_FALSE(shows(first.data + second.data));
  CHECK(first.data == "head [REDACTED]");
  CHECK(second.data == "[REDACTED] tail\n");

  for (const auto& line : s->logs(d.id, {})) {
    CHECK_FALSE(shows(line.message));
    CHECK_FALSE(shows(line.cmd));
  }

  // The values survive a restart of the server: the sandbox is opened again with them.
  s.reset();
  s = open_devboxes(dir);
  CHECK(run_in(*s, d.id, "echo $TOKEN").stdout_text == "[REDACTED]\n");
  // Shut down, its recorded output is still hidden.
  s->shutdown(d.id);
  CHECK(s->execution(d.id, started.execution_id).stdout_text == "[REDACTED]");
}

TEST_CASE("devbox secrets: unknown names and clashes are refused before anything is made" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  local::SecretStore(dir.path).create("known", kValue);
  auto s = open_devboxes(dir);

  DevboxCreateRequest unknown;
  unknown.secrets = {{"TOKEN", "missing"}};
  CHECK(kind_of([&] { create_devbox(*s, unknown); }) == ErrorKind::not_found);
  DevboxCreateRequest both;
  both.secrets = {{"TOKEN", "known"}};
  both.environment_variables = {{"TOKEN", "plain"}};
  CHECK(kind_of([&] { create_devbox(*s, both); }) == ErrorKind::invalid);
  DevboxCreateRequest bad_name;
  bad_name.secrets = {{"1TOKEN", "known"}};
  CHECK(kind_of([&] { create_devbox(*s, bad_name); }) == ErrorKind::invalid);
  CHECK(s->list({}).devboxes.empty());

  // A launch command that prints the secret and fails: the error and the log hide it.
  DevboxCreateRequest failing;
  failing.secrets = {{"TOKEN", "known"}};
  failing.launch_parameters.launch_commands = {"echo \"bad $TOKEN\" >&2; exit 3"};
  std::string message;
  try {
    create_devbox(*s, failing);
  } catch (const PlatformError& e) {
    message = e.what();
  }
  CHECK(message.find("bad [REDACTED]") != std::string::npos);
  CHECK_FALSE(shows(message));
  const auto failed = s->list({}).devboxes.at(0);
  for (const auto& line : s->logs(failed.id, {})) CHECK_FALSE(shows(line.message));

  // A secret deleted after the create: a restarted server says which one to set again.
  DevboxCreateRequest ok;
  ok.secrets = {{"TOKEN", "known"}};
  auto d = create_devbox(*s, ok);
  s.reset();
  local::SecretStore(dir.path).remove("known");
  s = open_devboxes(dir);
  std::string why;
  try {
    run_in(*s, d.id, "true");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::conflict);
    why = e.what();
  }
  CHECK(why.find("secret set known") != std::string::npos);
}
