// The local secret store (platform/local/secrets/secret_store.hpp) and the redaction of pieces
// of output (platform/common/redact.hpp redact_secrets_cut).
#include "platform/local/secrets/secret_store.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "platform/common/redact.hpp"
#include "platform/error.hpp"
#include "platform/wire/devbox_json.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using runagents::common::redact_secrets_cut;
using runagents::common::TextCuts;
using json = nlohmann::json;

namespace {

// The PlatformError `f` throws (kind and message); fails the test when it throws none.
std::pair<ErrorKind, std::string> secret_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const PlatformError& e) {
    return {e.kind(), e.what()};
  }
  FAIL("no PlatformError thrown");
  return {ErrorKind::internal, ""};
}

std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("secret store: create, get, list, update, delete; values never in views or errors" *
          doctest::test_suite("secrets")) {
  testing::TempDir dir;
  local::SecretStore store(dir.path);
  CHECK(store.list().empty());
  const auto made = store.create("GITHUB_TOKEN", "ghp_value_one_1234");
  CHECK(made.name == "GITHUB_TOKEN");
  CHECK(made.id.rfind("sec_", 0) == 0);
  CHECK(made.create_time_ms > 0);
  CHECK(store.get("GITHUB_TOKEN").id == made.id);

  // The file holds it, readable by its owner only.
  struct stat st {};
  REQUIRE(::stat(store.file().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto [kind, message] = secret_error([&] { store.create("GITHUB_TOKEN", "other_value"); });
  CHECK(kind == ErrorKind::conflict);
  CHECK(message.find("other_value") == std::string::npos);

  store.update("GITHUB_TOKEN", "ghp_value_two_5678");
  CHECK(store.resolve({{"GH", "GITHUB_TOKEN"}}).at("GH") == "ghp_value_two_5678");
  CHECK(store.get("GITHUB_TOKEN").id == made.id);

  // A second store on the same data dir (another process) sees the change, and makes its own.
  local::SecretStore other(dir.path);
  CHECK(other.resolve({{"GH", "GITHUB_TOKEN"}}).at("GH") == "ghp_value_two_5678");
  bool created = false;
  other.set("API_KEY", "sk-abcdefgh", &created);
  CHECK(created);
  other.set("API_KEY", "sk-ijklmnop", &created);
  CHECK_FALSE(created);
  REQUIRE(store.list().size() == 2);
  CHECK(store.list()[0].name == "API_KEY");
  CHECK(store.values({"API_KEY", "MISSING"}) == std::vector<std::string>{"sk-ijklmnop"});

  std::tie(kind, message) = secret_error([&] { store.resolve({{"X", "MISSING"}}); });
  CHECK(kind == ErrorKind::not_found);
  CHECK(message.find("runagents-mcp secret set MISSING") != std::string::npos);

  CHECK(store.remove("API_KEY").name == "API_KEY");
  CHECK(secret_error([&] { store.get("API_KEY"); }).first == ErrorKind::not_found);
  CHECK(secret_error([&] { store.remove("API_KEY"); }).first == ErrorKind::not_found);
  CHECK(file_text(store.file()).find("sk-ijklmnop") == std::string::npos);
}

TEST_CASE("secret store refuses bad names and values, and changes nothing" *
          doctest::test_suite("secrets")) {
  testing::TempDir dir;
  local::SecretStore store(dir.path);
  for (const char* name : {"", "1ABC", "has space", "a/b", "../x"}) {
    INFO(name);
    CHECK(secret_error([&] { store.create(name, "long enough"); }).first == ErrorKind::invalid);
  }
  for (const std::string& value : {std::string("abc"), std::string("two\nlines"),
                                   std::string("nul\0byte", 8), std::string(70000, 'x')}) {
    auto [kind, message] = secret_error([&] { store.create("NAME", value); });
    CHECK(kind == ErrorKind::invalid);
    CHECK(message.find(value) == std::string::npos);
  }
  CHECK(store.list().empty());
  CHECK_FALSE(std::filesystem::exists(store.file()));

  // A file this version cannot read is reported, not overwritten.
  std::ofstream(store.file()) << "not json";
  CHECK(secret_error([&] { store.list(); }).first == ErrorKind::unavailable);
  CHECK(secret_error([&] { store.create("NAME", "a value"); }).first == ErrorKind::unavailable);
  CHECK(file_text(store.file()) == "not json");
}

TEST_CASE("redact_secrets_cut hides secrets split by a cut" * doctest::test_suite("secrets")) {
  const std::vector<std::string> s = {"hunter2-secret"};
  TextCuts none;
  CHECK(redact_secrets_cut("say hunter2-secret!", s, none) == "say [REDACTED]!");
  CHECK(redact_secrets_cut("no secret here", s, none) == "no secret here");
  CHECK(redact_secrets_cut("anything", {}, none) == "anything");

  // A page that begins or ends inside the secret.
  TextCuts start;
  start.start = true;
  CHECK(redact_secrets_cut("2-secret and more", s, start) == "[REDACTED] and more");
  CHECK(redact_secrets_cut("ret and more", s, start) == "[REDACTED] and more");
  CHECK(redact_secrets_cut("et and more", s, start) == "et and more");  // 2 bytes: left
  TextCuts end;
  end.end = true;
  CHECK(redact_secrets_cut("token is hunt", s, end) == "token is [REDACTED]");
  CHECK(redact_secrets_cut("token is hunt", s, none) == "token is hunt");

  // Output still arriving: a possible start is held back, so the next, longer piece begins with
  // this one.
  TextCuts growing;
  growing.growing = true;
  CHECK(redact_secrets_cut("token is hunter", s, growing) == "token is ");
  CHECK(redact_secrets_cut("token is h", s, growing) == "token is ");
  CHECK(redact_secrets_cut("token is hunter2-secret\n", s, growing) == "token is [REDACTED]\n");

  // A capped stream: head, marker, tail; the cut on either side of the marker is masked.
  TextCuts capped;
  capped.omitted_markers = true;
  const std::string text = "head hunter\n[... 1234 bytes omitted ...]\n-secret tail hunter2-secret";
  CHECK(redact_secrets_cut(text, s, capped) ==
        "head [REDACTED]\n[... 1234 bytes omitted ...]\n[REDACTED] tail [REDACTED]");
  // A line that looks like a marker but is the command's own output is not a cut.
  CHECK(redact_secrets_cut("x [... 5 bytes omitted ...] secret tail", s, capped) ==
        "x [... 5 bytes omitted ...] secret tail");
}

TEST_CASE("create bodies: Runloop's code_mounts and mounts, and secrets, read and written back" *
          doctest::test_suite("secrets")) {
  const json body = json::parse(R"({
    "secrets": {"DB_PASSWORD": "db_password"},
    "code_mounts": [{"repo_owner": "acme", "repo_name": "shop", "token": "t0k", "git_ref": "v1"}],
    "mounts": [{"type": "file_mount", "target": "/home/user/a.txt", "content": "A"},
               {"type": "code_mount", "repo_owner": "acme", "repo_name": "lib",
                "install_command": "make"}]})");
  const DevboxCreateRequest r = create_request_from_wire(body);
  CHECK(r.secrets.at("DB_PASSWORD") == "db_password");
  REQUIRE(r.code_mounts.size() == 2);
  CHECK(r.code_mounts[0].token == "t0k");
  CHECK(r.code_mounts[0].git_ref == "v1");
  CHECK(r.code_mounts[1].repo_name == "lib");
  CHECK(r.code_mounts[1].install_command == "make");
  CHECK(r.file_mounts.at("/home/user/a.txt") == "A");
  const json back = create_request_to_wire(r);
  CHECK(back["secrets"] == body["secrets"]);
  CHECK(back["code_mounts"].size() == 2);
  CHECK(back["code_mounts"][0]["token"] == "t0k");

  for (const char* bad : {R"({"mounts": [{"type": "agent_mount"}]})",
                          R"({"mounts": [{"type": "file_mount", "target": "x"}]})",
                          R"({"code_mounts": [{"repo_owner": "acme"}]})",
                          R"({"code_mounts": {"repo_owner": "acme"}})"}) {
    INFO(bad);
    CHECK(secret_error([&] { create_request_from_wire(json::parse(bad)); }).first ==
          ErrorKind::invalid);
  }
}
