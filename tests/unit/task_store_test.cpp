// The task store contract, run against both stores (in memory, SQLite): transitions, input
// bookkeeping, listing, expiry; the SQLite store shared by two connections; and the helpers
// (process identity, ISO times, status names).
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>

#include "platform/local/store/sqlite_task_store.hpp"
#include "platform_test_support.hpp"
#include "server/tasks/in_memory_task_store.hpp"

using namespace runagents::mcp;
using runagents::platform::local::SqliteTaskStore;
using runagents::platform::testing::TempDir;

namespace {

TaskRecord record(const std::string& id, const std::string& principal = "alice",
                  std::int64_t created_ms = 1000) {
  TaskRecord r;
  r.id = id;
  r.era = "modern";
  r.tool = "slow_compute";
  r.owner = process_identity();
  r.principal = principal;
  r.created_ms = r.updated_ms = created_ms;
  r.ttl_ms = 60000;
  return r;
}

// Runs `body` once per store kind.
void for_each_store(const std::function<void(TaskStore&)>& body) {
  SUBCASE("in memory") {
    InMemoryTaskStore store;
    body(store);
  }
  SUBCASE("sqlite") {
    TempDir dir;
    SqliteTaskStore store(dir.path / "platform.db");
    body(store);
  }
}

}  // namespace

TEST_CASE("task store: create, get, finish once, status message") {
  for_each_store([](TaskStore& store) {
    store.create(record("t1"));
    CHECK_THROWS(store.create(record("t1")));
    auto r = store.get("t1");
    REQUIRE(r);
    CHECK(r->status == TaskStatus::working);
    CHECK(r->ttl_ms == 60000);
    CHECK(r->result.is_null());
    CHECK_FALSE(store.get("nope"));

    CHECK(store.set_status_message("t1", "step 1 of 3"));
    CHECK(store.get("t1")->status_message == "step 1 of 3");
    CHECK(store.get("t1")->updated_ms > 1000);

    json result = {{"content", json::array({{{"type", "text"}, {"text", "done"}}})}};
    CHECK(store.finish("t1", TaskStatus::completed, result, nullptr, ""));
    CHECK_FALSE(store.finish("t1", TaskStatus::failed, nullptr, {{"code", -1}}, "late"));
    CHECK_FALSE(store.set_status_message("t1", "late line"));
    r = store.get("t1");
    CHECK(r->status == TaskStatus::completed);
    CHECK(r->result == result);
    CHECK(r->status_message.empty());
    CHECK_FALSE(store.finish("nope", TaskStatus::completed, nullptr, nullptr, ""));
  });
}

TEST_CASE("task store: partial input answers leave the other keys outstanding") {
  for_each_store([](TaskStore& store) {
    store.create(record("t1"));
    json requests = {{"a", {{"method", "elicitation/create"}, {"params", json::object()}}},
                     {"b", {{"method", "elicitation/create"}, {"params", json::object()}}}};
    CHECK(store.request_input("t1", requests));
    CHECK(store.get("t1")->status == TaskStatus::input_required);

    CHECK(store.add_input_responses("t1", {{"a", {{"action", "accept"}}}, {"zzz", 1}}));
    auto r = store.get("t1");
    CHECK(r->status == TaskStatus::input_required);
    CHECK(r->input_requests == json{{"b", requests["b"]}});
    // An answer to a key already answered is dropped.
    CHECK(store.add_input_responses("t1", {{"a", {{"action", "decline"}}}}));
    CHECK(store.take_input_responses("t1") == json{{"a", {{"action", "accept"}}}});
    CHECK(store.take_input_responses("t1") == json::object());

    CHECK(store.add_input_responses("t1", {{"b", {{"action", "accept"}}}}));
    r = store.get("t1");
    CHECK(r->status == TaskStatus::working);
    CHECK(r->input_requests.is_null());
    CHECK(store.take_input_responses("t1") == json{{"b", {{"action", "accept"}}}});

    CHECK_FALSE(store.add_input_responses("nope", {{"a", 1}}));
    store.finish("t1", TaskStatus::cancelled, nullptr, nullptr, "");
    CHECK_FALSE(store.add_input_responses("t1", {{"a", 1}}));
    CHECK_FALSE(store.request_input("t1", requests));
  });
}

TEST_CASE("task store: cancel requests, listing by principal, expiry") {
  for_each_store([](TaskStore& store) {
    store.create(record("t1", "alice", 1000));
    store.create(record("t2", "bob", 2000));
    store.create(record("t3", "alice", 3000));
    store.create(record("t4", "", 4000));  // no principal: visible to anyone

    CHECK(store.request_cancel("t1"));
    CHECK(store.get("t1")->cancel_requested);
    CHECK_FALSE(store.request_cancel("nope"));

    auto ids = [](const std::vector<TaskRecord>& rs) {
      std::vector<std::string> out;
      for (const auto& r : rs) out.push_back(r.id);
      return out;
    };
    CHECK(ids(store.list("alice", "", 10)) == std::vector<std::string>{"t4", "t3", "t1"});
    CHECK(ids(store.list("alice", "", 2)) == std::vector<std::string>{"t4", "t3"});
    CHECK(ids(store.list("alice", "t3", 2)) == std::vector<std::string>{"t1"});
    CHECK(ids(store.list("bob", "", 10)) == std::vector<std::string>{"t4", "t2"});
    CHECK(store.list("alice", "unknown", 10).empty());

    // ttl 60 s from created_ms: t1 and t2 are past it at 62 s, t3 and t4 are not.
    CHECK(store.purge_expired(62000) == 2);
    CHECK_FALSE(store.get("t1"));
    CHECK(store.get("t3"));
    TaskRecord forever = record("t5");
    forever.ttl_ms.reset();
    store.create(forever);
    store.purge_expired(1'000'000'000);
    CHECK(store.get("t5"));
    CHECK_FALSE(store.get("t5")->ttl_ms);
  });
}

TEST_CASE("sqlite task store: two connections on one file see each other's writes") {
  TempDir dir;
  SqliteTaskStore a(dir.path / "platform.db");
  SqliteTaskStore b(dir.path / "platform.db");
  a.create(record("t1"));
  REQUIRE(b.get("t1"));
  CHECK(b.request_cancel("t1"));
  CHECK(a.get("t1")->cancel_requested);
  json requests = {{"k", {{"method", "elicitation/create"}}}};
  a.request_input("t1", requests);
  b.add_input_responses("t1", {{"k", {{"action", "accept"}, {"content", {{"ok", true}}}}}});
  CHECK(a.take_input_responses("t1")["k"]["content"]["ok"] == true);
  CHECK(a.get("t1")->status == TaskStatus::working);
}

TEST_CASE("task helpers: status names, ISO times, process identity") {
  for (auto s : {TaskStatus::working, TaskStatus::input_required, TaskStatus::completed,
                 TaskStatus::failed, TaskStatus::cancelled})
    CHECK(parse_task_status(to_string(s)) == s);
  CHECK_FALSE(parse_task_status("submitted"));
  CHECK(iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601(1795972025123) == "2026-11-29T17:07:05.123Z");

  CHECK(process_alive(process_identity()));
  CHECK(process_identity(static_cast<int>(::getpid())) == process_identity());
  CHECK(process_alive("not-an-identity"));  // another format: cannot judge, so alive

  // A child that has exited (and been reaped) is dead; so is a zombie.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  std::string identity = process_identity(static_cast<int>(child));
  siginfo_t info{};
  REQUIRE(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0);
  CHECK_FALSE(process_alive(identity));  // zombie: exited, not yet reaped
  ::waitpid(child, nullptr, 0);
  CHECK_FALSE(process_alive(identity));
  CHECK(process_identity(static_cast<int>(child)).empty());

  // The same pid with another start time is another process.
  std::string self = process_identity();
  auto colon = self.find(':');
  auto second = self.find(':', colon + 1);
  std::string reused = self.substr(0, colon + 1) + "1" + self.substr(second);
  CHECK_FALSE(process_alive(reused));
}
