// TaskManager: both wire forms, outcomes (result, isError, RpcError), cancellation of running
// work, input_required with partial answers, expiry, a dead owner, two processes' worth of
// managers on one SQLite file, principals, tasks/list and tasks/result, and shutdown leaving no
// thread behind.
#include "server/tasks/task_manager.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "platform/local/store/sqlite_task_store.hpp"
#include "platform_test_support.hpp"
#include "recording_outbound.hpp"
#include "rpc_test_support.hpp"
#include "server/tasks/in_memory_task_store.hpp"
#include "server/tasks/task_wire.hpp"

using namespace runagents::mcp;
using runagents::mcp::testing::rpc_code;
using namespace std::chrono_literals;
using runagents::platform::local::SqliteTaskStore;
using runagents::platform::testing::TempDir;

namespace {

TaskManagerOptions fast() {
  TaskManagerOptions o;
  o.watch_interval = 20ms;
  o.input_poll_interval = 20ms;
  o.status_write_interval = 0ms;
  o.cancel_grace = 2s;
  return o;
}

json text_result(const std::string& text, bool is_error = false) {
  json r = {{"content", json::array({{{"type", "text"}, {"text", text}}})}};
  if (is_error) r["isError"] = true;
  return r;
}

json id_of(const json& created) {
  return {{"taskId", created.contains("task") ? created["task"]["taskId"] : created["taskId"]}};
}

// Polls `f` until it is true, at most `timeout`.
bool eventually(const std::function<bool()>& f, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

std::string status_of(TaskManager& m, const json& params, const std::string& principal = "") {
  return m.get(Era::modern, params, principal)["status"];
}

size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// A work that runs until cancelled and records that it saw the cancellation.
TaskWork until_cancelled(std::atomic<bool>& saw_cancel) {
  return [&saw_cancel](TaskChannel& channel, const std::shared_ptr<Cancellation>& cancel) {
    channel.status("waiting for cancel");
    if (!cancel->sleep_for(30s)) saw_cancel = true;
    return text_result("finished anyway");
  };
}

const std::regex kIso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");

}  // namespace

TEST_CASE("task manager, modern: create, working, completed with the result inline") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  std::atomic<bool> go{false};
  json created = m.start({Era::modern, "slow_compute", std::nullopt, ""},
                         [&](TaskChannel& channel, const std::shared_ptr<Cancellation>&) {
                           channel.status("computing");
                           while (!go) std::this_thread::sleep_for(5ms);
                           return text_result("42");
                         });
  CHECK(created["resultType"] == "task");
  CHECK(created["status"] == "working");
  CHECK(created["taskId"].get<std::string>().size() == 32);
  CHECK(std::regex_match(created["createdAt"].get<std::string>(), kIso));
  CHECK(std::regex_match(created["lastUpdatedAt"].get<std::string>(), kIso));
  CHECK(created["ttlMs"] == 3600000);
  CHECK(created["pollIntervalMs"] == 1000);
  for (const char* absent : {"task", "result", "error", "inputRequests", "requestState", "ttl"})
    CHECK_FALSE(created.contains(absent));

  json params = id_of(created);
  REQUIRE(eventually([&] { return m.get(Era::modern, params, "").contains("statusMessage"); }));
  json working = m.get(Era::modern, params, "");
  CHECK(working["resultType"] == "complete");
  CHECK(working["status"] == "working");
  CHECK(working["statusMessage"] == "computing");

  go = true;
  REQUIRE(eventually([&] { return status_of(m, params) == "completed"; }));
  json done = m.get(Era::modern, params, "");
  CHECK(done["result"] == text_result("42"));
  CHECK_FALSE(done["result"].contains("_meta"));
  CHECK_FALSE(done.contains("error"));
  CHECK(m.get(Era::legacy, params, "")["status"] == "completed");  // either era reads it

  CHECK(rpc_code([&] { m.get(Era::modern, {{"taskId", "unknown"}}, ""); }) == -32602);
  CHECK(rpc_code([&] { m.get(Era::modern, json::object(), ""); }) == -32602);
}

TEST_CASE("task manager: a tool error completes a modern task, fails a legacy one") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  auto failing = [](TaskChannel&, const std::shared_ptr<Cancellation>&) {
    return text_result("disk full", true);
  };
  json modern = id_of(m.start({Era::modern, "failing_job", std::nullopt, ""}, failing));
  REQUIRE(eventually([&] { return status_of(m, modern) != "working"; }));
  json got = m.get(Era::modern, modern, "");
  CHECK(got["status"] == "completed");
  CHECK(got["result"]["isError"] == true);

  json created = m.start({Era::legacy, "failing_job", 60000, ""}, failing);
  CHECK(created["task"]["status"] == "working");
  CHECK(created["task"]["ttl"] == 60000);
  CHECK(created["task"]["pollInterval"] == 1000);
  CHECK_FALSE(created.contains("resultType"));
  json legacy = id_of(created);
  REQUIRE(eventually([&] { return m.get(Era::legacy, legacy, "")["status"] != "working"; }));
  got = m.get(Era::legacy, legacy, "");
  CHECK(got["status"] == "failed");
  CHECK(got["statusMessage"] == "disk full");
  CHECK_FALSE(got.contains("result"));
  // tasks/result still gives the tool's own result, tagged with the task.
  Cancellation waiter;
  json result = m.result(legacy, "", waiter);
  CHECK(result["isError"] == true);
  CHECK(result["_meta"][kRelatedTaskMeta]["taskId"] == legacy["taskId"]);
}

TEST_CASE("task manager: an RpcError fails the task with its error") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  auto work = [](TaskChannel&, const std::shared_ptr<Cancellation>&) -> json {
    throw RpcError(-32603, "the query engine went away", {{"engine", "duckdb"}});
  };
  json modern = id_of(m.start({Era::modern, "protocol_error_job", std::nullopt, ""}, work));
  REQUIRE(eventually([&] { return status_of(m, modern) == "failed"; }));
  json got = m.get(Era::modern, modern, "");
  CHECK(got["error"] == json{{"code", -32603},
                             {"message", "the query engine went away"},
                             {"data", {{"engine", "duckdb"}}}});
  CHECK(got["statusMessage"] == "the query engine went away");
  CHECK_FALSE(got.contains("result"));

  json legacy = id_of(m.start({Era::legacy, "protocol_error_job", std::nullopt, ""}, work));
  Cancellation waiter;
  try {
    m.result(legacy, "", waiter);
    FAIL("tasks/result should throw the task's error");
  } catch (const RpcError& e) {
    CHECK(e.code() == -32603);
    CHECK(std::string(e.what()) == "the query engine went away");
    CHECK(e.data()["engine"] == "duckdb");
  }
}

TEST_CASE("task manager: cancel stops running work; terminal tasks per era") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());

  SUBCASE("modern: empty ack, then cancelled; the same ack once terminal") {
    std::atomic<bool> saw_cancel{false};
    json params = id_of(
        m.start({Era::modern, "slow_compute", std::nullopt, ""}, until_cancelled(saw_cancel)));
    json ack = m.cancel(Era::modern, params, "");
    CHECK(ack == json{{"resultType", "complete"}});
    REQUIRE(eventually([&] { return status_of(m, params) == "cancelled"; }));
    CHECK(saw_cancel);
    CHECK(m.get(Era::modern, params, "")["statusMessage"] ==
          "the client cancelled the task (tasks/cancel)");
    CHECK(m.cancel(Era::modern, params, "") == json{{"resultType", "complete"}});
  }
  SUBCASE("legacy: the Task, already cancelled; -32602 once terminal") {
    std::atomic<bool> saw_cancel{false};
    json params =
        id_of(m.start({Era::legacy, "devbox_exec", std::nullopt, ""}, until_cancelled(saw_cancel)));
    json task = m.cancel(Era::legacy, params, "");
    CHECK(task["status"] == "cancelled");
    CHECK(task["taskId"] == params["taskId"]);
    REQUIRE(eventually([&] { return saw_cancel.load(); }));
    CHECK(rpc_code([&] { m.cancel(Era::legacy, params, ""); }) == -32602);
    Cancellation waiter;
    CHECK(rpc_code([&] { m.result(params, "", waiter); }) == -32602);
  }
  SUBCASE("a completed task stays completed") {
    json params = id_of(m.start(
        {Era::legacy, "greet", std::nullopt, ""},
        [](TaskChannel&, const std::shared_ptr<Cancellation>&) { return text_result("hi"); }));
    REQUIRE(eventually([&] { return status_of(m, params) == "completed"; }));
    CHECK(rpc_code([&] { m.cancel(Era::legacy, params, ""); }) == -32602);
    CHECK(m.cancel(Era::modern, params, "") == json{{"resultType", "complete"}});
    CHECK(status_of(m, params) == "completed");
  }
}

TEST_CASE("task manager: input_required with partial answers, then completed") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  json requests = {
      {"first", {{"method", "elicitation/create"}, {"params", {{"message", "Name?"}}}}},
      {"second", {{"method", "elicitation/create"}, {"params", {{"message", "Color?"}}}}}};
  json params = id_of(m.start({Era::modern, "multi_input", std::nullopt, ""},
                              [&](TaskChannel& channel, const std::shared_ptr<Cancellation>& c) {
                                json answers = channel.await_input(requests, *c);
                                return text_result(answers.dump());
                              }));
  REQUIRE(eventually([&] { return status_of(m, params) == "input_required"; }));
  json got = m.get(Era::modern, params, "");
  CHECK(got["inputRequests"] == requests);

  json answer = {{"action", "accept"}, {"content", {{"name", "Alice"}}}};
  json update = params;
  update["inputResponses"] = {{"first", answer}, {"unknown-key", {{"ignored", true}}}};
  CHECK(m.update(update, "") == json{{"resultType", "complete"}});
  got = m.get(Era::modern, params, "");  // immediately: only the missing key
  CHECK(got["status"] == "input_required");
  CHECK(got["inputRequests"] == json{{"second", requests["second"]}});

  update["inputResponses"] = {{"second", answer}};
  m.update(update, "");
  REQUIRE(eventually([&] { return status_of(m, params) == "completed"; }));
  json answers = json::parse(
      m.get(Era::modern, params, "")["result"]["content"][0]["text"].get<std::string>());
  CHECK(answers == json{{"first", answer}, {"second", answer}});

  CHECK(rpc_code([&] { m.update(params, ""); }) == -32602);  // no inputResponses
  update["taskId"] = "unknown";
  CHECK(rpc_code([&] { m.update(update, ""); }) == -32602);
}

TEST_CASE("task manager: cancel while waiting for input ends the task cancelled") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  std::atomic<bool> threw{false};
  json params =
      id_of(m.start({Era::modern, "confirm_delete", std::nullopt, ""},
                    [&](TaskChannel& channel, const std::shared_ptr<Cancellation>& c) {
                      try {
                        channel.await_input({{"confirm", {{"method", "elicitation/create"}}}}, *c);
                      } catch (const ClientRequestError&) {
                        threw = true;
                      }
                      return text_result("not deleted", true);
                    }));
  REQUIRE(eventually([&] { return status_of(m, params) == "input_required"; }));
  m.cancel(Era::modern, params, "");
  REQUIRE(eventually([&] { return status_of(m, params) == "cancelled"; }));
  CHECK(threw);
  CHECK_FALSE(m.get(Era::modern, params, "").contains("inputRequests"));
}

TEST_CASE("task manager, legacy: tasks/result relays input requests to the client") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  json params = id_of(
      m.start({Era::legacy, "decide_approval", std::nullopt, ""},
              [](TaskChannel& channel, const std::shared_ptr<Cancellation>& c) {
                json a = channel.await_input(
                    {{"approve",
                      {{"method", "elicitation/create"}, {"params", {{"message", "Approve?"}}}}}},
                    *c);
                return text_result(a["approve"]["action"].get<std::string>());
              }));
  std::vector<json> sent;
  Cancellation waiter;
  json result = m.result(params, "", waiter, [&](const std::string& method, const json& p) {
    CHECK(method == "elicitation/create");
    sent.push_back(p);
    return json{{"action", "accept"}};
  });
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["message"] == "Approve?");
  CHECK(sent[0]["_meta"][kRelatedTaskMeta]["taskId"] == params["taskId"]);
  CHECK(result["content"][0]["text"] == "accept");
  CHECK(result["_meta"][kRelatedTaskMeta]["taskId"] == params["taskId"]);
}

TEST_CASE("task manager: expiry, principals, tasks/list") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManagerOptions o = fast();
  o.min_ttl_ms = 1;
  o.list_page_size = 2;
  TaskManager m(store, process_identity(), o);
  auto quick = [](TaskChannel&, const std::shared_ptr<Cancellation>&) { return text_result("ok"); };

  json expiring = id_of(m.start({Era::legacy, "greet", 50, "alice"}, quick));
  std::this_thread::sleep_for(80ms);
  CHECK(rpc_code([&] { m.get(Era::modern, expiring, "alice"); }) == -32602);
  CHECK_FALSE(store->get(expiring["taskId"]));  // purged on sight

  std::vector<json> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(id_of(m.start({Era::legacy, "greet", std::nullopt, "alice"}, quick)));
    std::this_thread::sleep_for(2ms);  // distinct creation times, so the order is defined
  }
  json theirs = id_of(m.start({Era::legacy, "greet", std::nullopt, "bob"}, quick));

  CHECK(rpc_code([&] { m.get(Era::modern, theirs, "alice"); }) == -32602);
  CHECK(rpc_code([&] { m.cancel(Era::modern, theirs, "alice"); }) == -32602);
  CHECK(rpc_code([&] { m.cancel(Era::legacy, theirs, "alice"); }) == -32602);
  json update = theirs;
  update["inputResponses"] = json::object();
  CHECK(rpc_code([&] { m.update(update, "alice"); }) == -32602);
  CHECK(m.get(Era::modern, theirs, "bob")["taskId"] == theirs["taskId"]);

  json page = m.list(json::object(), "alice");
  REQUIRE(page["tasks"].size() == 2);
  CHECK(page["tasks"][0]["taskId"] == mine[2]["taskId"]);
  CHECK(page["tasks"][1]["taskId"] == mine[1]["taskId"]);
  CHECK(page["tasks"][0].contains("ttl"));
  json next = m.list({{"cursor", page["nextCursor"]}}, "alice");
  REQUIRE(next["tasks"].size() == 1);
  CHECK(next["tasks"][0]["taskId"] == mine[0]["taskId"]);
  CHECK_FALSE(next.contains("nextCursor"));
  CHECK(rpc_code([&] { m.list({{"cursor", "bogus"}}, "alice"); }) == -32602);
  CHECK(rpc_code([&] { m.list({{"cursor", theirs["taskId"]}}, "alice"); }) == -32602);
}

TEST_CASE("task manager: a task whose owner process died is reported failed") {
  auto store = std::make_shared<InMemoryTaskStore>();
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  std::string dead_owner = process_identity(static_cast<int>(child));
  REQUIRE(::waitpid(child, nullptr, 0) == child);

  TaskRecord r;
  r.id = "orphan";
  r.era = "modern";
  r.tool = "devbox_exec";
  r.owner = dead_owner;
  r.created_ms = r.updated_ms = now_epoch_ms();
  r.ttl_ms = 60000;
  r.status_message = "running make";
  store->create(r);

  TaskManager m(store, process_identity(), fast());
  json got = m.get(Era::modern, {{"taskId", "orphan"}}, "");
  CHECK(got["status"] == "failed");
  CHECK(got["statusMessage"].get<std::string>().find("server process running this task exited") !=
        std::string::npos);
  CHECK(got["error"]["code"] == -32603);
  CHECK(store->get("orphan")->status == TaskStatus::failed);  // written, not just shown
}

TEST_CASE("task manager: two managers on one SQLite file (two server processes)") {
  TempDir dir;
  auto store_a = std::make_shared<SqliteTaskStore>(dir.path / "platform.db");
  auto store_b = std::make_shared<SqliteTaskStore>(dir.path / "platform.db");
  TaskManager a(store_a, process_identity(), fast());
  // Another owner string: b never runs a's tasks, so everything goes through the store.
  TaskManager b(store_b, "replica-b", fast());

  std::atomic<bool> saw_cancel{false};
  json running =
      id_of(a.start({Era::modern, "devbox_exec", std::nullopt, "p"}, until_cancelled(saw_cancel)));
  CHECK(b.get(Era::modern, running, "p")["status"] == "working");
  REQUIRE(eventually(
      [&] { return b.get(Era::modern, running, "p").value("statusMessage", "") != ""; }));
  CHECK(b.cancel(Era::modern, running, "p") == json{{"resultType", "complete"}});
  REQUIRE(eventually([&] { return status_of(b, running, "p") == "cancelled"; }));
  CHECK(saw_cancel);

  // Input answered through b reaches the work that a runs.
  json asking = id_of(a.start(
      {Era::modern, "confirm_delete", std::nullopt, "p"},
      [](TaskChannel& channel, const std::shared_ptr<Cancellation>& c) {
        json answer = channel.await_input({{"confirm", {{"method", "elicitation/create"}}}}, *c);
        return text_result(answer["confirm"]["action"].get<std::string>());
      }));
  REQUIRE(eventually([&] { return status_of(b, asking, "p") == "input_required"; }));
  json update = asking;
  update["inputResponses"] = {{"confirm", {{"action", "accept"}}}};
  b.update(update, "p");
  REQUIRE(eventually([&] { return status_of(b, asking, "p") == "completed"; }));
  CHECK(b.get(Era::modern, asking, "p")["result"]["content"][0]["text"] == "accept");

  // A legacy cancel through b answers with the cancelled Task at once.
  saw_cancel = false;
  json legacy =
      id_of(a.start({Era::legacy, "run_query", std::nullopt, "p"}, until_cancelled(saw_cancel)));
  CHECK(b.cancel(Era::legacy, legacy, "p")["status"] == "cancelled");
  REQUIRE(eventually([&] { return saw_cancel.load(); }));
}

TEST_CASE("task manager: shutdown and destruction leave no thread running") {
  size_t before = thread_count();
  auto store = std::make_shared<InMemoryTaskStore>();
  std::atomic<bool> saw_cancel{false};
  std::mutex mu;
  std::set<std::string> ended;  // ids seen terminal by the listener
  auto ended_count = [&] {
    std::lock_guard lock(mu);
    return ended.size();
  };
  json params;
  {
    TaskManager m(store, process_identity(), fast());
    m.on_change([&](const TaskRecord& r) {
      std::lock_guard lock(mu);
      if (is_terminal(r.status)) ended.insert(r.id);
    });
    params = id_of(m.start({Era::modern, "slow", std::nullopt, ""}, until_cancelled(saw_cancel)));
    m.start({Era::modern, "quick", std::nullopt, ""},
            [](TaskChannel&, const std::shared_ptr<Cancellation>&) { return text_result("ok"); });
    REQUIRE(eventually([&] { return ended_count() == 1; }));  // the quick one finished
    m.shutdown(2s);
    CHECK(rpc_code([&] {
            m.start({Era::modern, "late", std::nullopt, ""},
                    [](TaskChannel&, const std::shared_ptr<Cancellation>&) { return json(); });
          }) == -32603);
  }
  CHECK(saw_cancel);
  CHECK(ended_count() == 2);
  auto r = store->get(params["taskId"]);
  REQUIRE(r);
  CHECK(r->status == TaskStatus::failed);  // the client did not cancel it: the server went away
  CHECK(r->status_message == "the server shut down before the task finished");
  CHECK(thread_count() == before);
}

TEST_CASE("task manager: work that ignores cancel is recorded cancelled after the grace") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManagerOptions o = fast();
  o.cancel_grace = 100ms;
  std::atomic<bool> release{false};  // outlives m, whose destructor waits for the work
  TaskManager m(store, process_identity(), o);
  json params = id_of(m.start({Era::modern, "stubborn", std::nullopt, ""},
                              [&](TaskChannel&, const std::shared_ptr<Cancellation>&) {
                                while (!release) std::this_thread::sleep_for(5ms);
                                return text_result("too late");
                              }));
  m.cancel(Era::modern, params, "");
  REQUIRE(eventually([&] { return status_of(m, params) == "cancelled"; }, 2s));
  release = true;
}

TEST_CASE("task manager, legacy: notifications/tasks/status once per change of status") {
  auto store = std::make_shared<InMemoryTaskStore>();
  TaskManager m(store, process_identity(), fast());
  auto out = std::make_shared<runagents::mcp::testing::RecordingOutbound>();
  std::atomic<bool> go{false};
  TaskStart start{Era::legacy, "slow_job", std::nullopt, ""};
  start.status_notifications = out;
  json created = m.start(start, [&](TaskChannel& channel, const std::shared_ptr<Cancellation>&) {
    channel.status("step 1");  // a status line is not a change of status
    channel.status("step 2");
    while (!go) std::this_thread::sleep_for(5ms);
    return text_result("done");
  });
  const std::string id = created["task"]["taskId"];
  std::this_thread::sleep_for(100ms);
  CHECK(out->with_method("notifications/tasks/status").empty());
  go = true;
  REQUIRE(eventually([&] { return !out->with_method("notifications/tasks/status").empty(); }));
  auto sent = out->with_method("notifications/tasks/status");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["params"]["taskId"] == id);
  CHECK(sent[0]["params"]["status"] == "completed");
  CHECK(sent[0]["params"].contains("createdAt"));

  // A cancelled one says so; a modern task never sends the legacy notification.
  auto out2 = std::make_shared<runagents::mcp::testing::RecordingOutbound>();
  TaskStart legacy{Era::legacy, "sleepy", std::nullopt, ""};
  legacy.status_notifications = out2;
  auto sleepy = [](TaskChannel&, const std::shared_ptr<Cancellation>& cancel) {
    while (!cancel->cancelled()) std::this_thread::sleep_for(5ms);
    return text_result("stopped");
  };
  json second = m.start(legacy, sleepy);
  m.cancel(Era::legacy, {{"taskId", second["task"]["taskId"]}}, "");
  REQUIRE(eventually([&] { return !out2->with_method("notifications/tasks/status").empty(); }));
  CHECK(out2->with_method("notifications/tasks/status")[0]["params"]["status"] == "cancelled");
  TaskStart modern{Era::modern, "sleepy", std::nullopt, ""};
  auto out3 = std::make_shared<runagents::mcp::testing::RecordingOutbound>();
  modern.status_notifications = out3;
  json third = m.start(modern, sleepy);
  m.cancel(Era::modern, {{"taskId", third["taskId"]}}, "");
  REQUIRE(eventually([&] { return status_of(m, {{"taskId", third["taskId"]}}) == "cancelled"; }));
  CHECK(out3->take().empty());
}
