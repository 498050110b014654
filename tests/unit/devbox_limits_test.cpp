// The local devboxes' cap on commands running at once (LocalDevboxOptions::max_executions,
// --max-devbox-executions) and the figures --metrics reads (DevboxService::activity, the gauges
// of app/platform_metrics.hpp). Tests skip with a message when bubblewrap is not usable here.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "app/platform_metrics.hpp"
#include "devbox_test_support.hpp"
#include "platform/local/store/database.hpp"
#include "server/tasks/in_memory_task_store.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<DevboxService> open_limited(const TempDir& dir, std::size_t max_executions) {
  local::LocalDevboxOptions o;
  o.data_dir = dir.path;
  o.max_executions = max_executions;
  return local::open_local_devboxes(o);
}

DevboxExecution start_async(DevboxService& s, const std::string& devbox_id,
                            const std::string& command, const std::string& shell = {},
                            std::chrono::seconds timeout = 0s) {
  ExecRequest r;
  r.devbox_id = devbox_id;
  r.command = command;
  r.shell_name = shell;
  r.timeout = timeout;
  return s.execute_async(r);
}

// The message of the PlatformError(limit_reached) `f` throws; fails the test otherwise.
template <typename F>
std::string refusal_of(F f) {
  try {
    f();
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::limit_reached);
    return e.what();
  }
  FAIL("the command was not refused");
  return {};
}

std::size_t running_executions(DevboxService& s) {
  auto a = s.activity();
  REQUIRE(a);
  return a->executions_running;
}

// Rows of devbox_executions, and log lines naming `text`, in the data dir's database.
std::int64_t execution_rows(const TempDir& dir) {
  local::Database db(dir.path / "platform.db");
  return db.query("SELECT COUNT(*) FROM devbox_executions")[0].integer(0);
}

bool logged(DevboxService& s, const std::string& devbox_id, const std::string& text) {
  for (const auto& line : s.logs(devbox_id, {}))
    if (line.cmd.find(text) != std::string::npos || line.message.find(text) != std::string::npos)
      return true;
  return false;
}

// The value of the sample line "`name` <value>" in Prometheus text; -1 when there is none.
double sample(const std::string& text, const std::string& name) {
  const std::string head = "\n" + name + " ";
  auto at = text.find(head);
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + head.size()));
}

}  // namespace

TEST_CASE(
    "--max-devbox-executions 2: a third command is refused and changes nothing; kill frees "
    "a slot" *
    doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_limited(dir, 2);
  auto d = create_devbox(*s);
  const std::string marker = unique_marker();

  // One async command and one in a named shell take both slots.
  auto first = start_async(*s, d.id, "sleep 600 " + marker);
  auto second = start_async(*s, d.id, "sleep 601 " + marker, "main");
  CHECK(running_executions(*s) == 2);
  const auto rows = execution_rows(dir);

  // A third is refused, sync or async, in a fresh or a named shell: the message says the limit,
  // how many run, and what to do.
  const std::string refused = "echo refused-" + marker;
  const std::string message = refusal_of([&] { run_in(*s, d.id, refused); });
  CHECK(message.find("at most 2 devbox commands at once (--max-devbox-executions 2)") !=
        std::string::npos);
  CHECK(message.find("running now: 2") != std::string::npos);
  CHECK(message.find("kill_execution") != std::string::npos);
  CHECK(message.find("wait for one to finish") != std::string::npos);
  refusal_of([&] { start_async(*s, d.id, refused); });
  refusal_of([&] { run_in(*s, d.id, refused, "other"); });
  // Nothing was recorded of them: no execution row, no log line, still two running.
  CHECK(execution_rows(dir) == rows);
  CHECK_FALSE(logged(*s, d.id, "refused-" + marker));
  CHECK(running_executions(*s) == 2);
  CHECK(s->execution(d.id, first.execution_id).status != "completed");

  // Killing one gives its slot back: a new command runs to completion, and its slot comes back
  // too.
  CHECK(s->kill_execution(d.id, first.execution_id).killed);
  CHECK(running_executions(*s) == 1);
  auto ran = run_in(*s, d.id, "echo admitted");
  CHECK(ran.exit_status == 0);
  CHECK(ran.stdout_text == "admitted\n");
  CHECK(running_executions(*s) == 1);
  auto third = start_async(*s, d.id, "sleep 602 " + marker);
  refusal_of([&] { run_in(*s, d.id, refused); });

  s->kill_execution(d.id, second.execution_id);
  s->kill_execution(d.id, third.execution_id);
  CHECK(running_executions(*s) == 0);
  CHECK(host_processes_with(marker) == 0);
}

TEST_CASE(
    "--max-devbox-executions: commands that time out, fail to start or die with their "
    "devbox give their slot back" *
    doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_limited(dir, 1);
  auto d = create_devbox(*s);
  const std::string marker = unique_marker();

  // Sync, killed after its timeout.
  ExecRequest timed;
  timed.devbox_id = d.id;
  timed.command = "sleep 610 " + marker;
  timed.timeout = 1s;
  CHECK(s->execute(timed).timed_out);
  CHECK(running_executions(*s) == 0);

  // Async, killed after its timeout: the slot is back once it is seen completed.
  auto async = start_async(*s, d.id, "sleep 611 " + marker, {}, 1s);
  refusal_of([&] { run_in(*s, d.id, "true"); });
  auto done = s->wait_for_execution(d.id, async.execution_id, {"completed"}, 30s);
  CHECK(done.status == "completed");
  CHECK(done.timed_out);
  CHECK(running_executions(*s) == 0);
  CHECK(run_in(*s, d.id, "echo after-timeout").stdout_text == "after-timeout\n");

  // A start that throws (a working dir that does not exist) holds nothing afterwards.
  ExecRequest bad;
  bad.devbox_id = d.id;
  bad.command = "true";
  bad.working_dir = "no/such/dir";
  CHECK(kind_of([&] { s->execute(bad); }) == ErrorKind::not_found);
  CHECK(kind_of([&] { s->execute(bad); }) == ErrorKind::not_found);
  CHECK(running_executions(*s) == 0);

  // A command running when its devbox shuts down.
  start_async(*s, d.id, "sleep 612 " + marker);
  CHECK(running_executions(*s) == 1);
  s->shutdown(d.id);
  CHECK(running_executions(*s) == 0);
  auto other = create_devbox(*s);
  CHECK(run_in(*s, other.id, "echo next").stdout_text == "next\n");
  CHECK(host_processes_with(marker) == 0);
}

TEST_CASE("/metrics devbox gauges: devboxes and commands running while they run, 0 after" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_limited(dir, 0);  // no limit: still counted
  auto metrics = runagents::cli::make_platform_metrics(
      std::make_shared<runagents::mcp::InMemoryTaskStore>(), s);
  std::string text = metrics->render();
  CHECK(text.find("# TYPE runagents_devboxes_running gauge\n") != std::string::npos);
  CHECK(text.find("# HELP runagents_devbox_executions_running ") != std::string::npos);
  CHECK(text.find("# TYPE runagents_devbox_executions_running gauge\n") != std::string::npos);
  CHECK(sample(text, "runagents_devboxes_running") == 0);
  CHECK(sample(text, "runagents_devbox_executions_running") == 0);

  auto a = create_devbox(*s);
  auto b = create_devbox(*s);
  const std::string marker = unique_marker();
  auto e1 = start_async(*s, a.id, "sleep 620 " + marker);
  auto e2 = start_async(*s, a.id, "sleep 621 " + marker, "main");
  auto e3 = start_async(*s, b.id, "sleep 622 " + marker);
  text = metrics->render();
  CHECK(sample(text, "runagents_devboxes_running") == 2);
  CHECK(sample(text, "runagents_devbox_executions_running") == 3);

  s->kill_execution(a.id, e1.execution_id);
  s->kill_execution(b.id, e3.execution_id);
  text = metrics->render();
  CHECK(sample(text, "runagents_devbox_executions_running") == 1);
  s->suspend(b.id);
  CHECK(sample(metrics->render(), "runagents_devboxes_running") == 1);
  s->shutdown(a.id);  // kills e2 with it
  text = metrics->render();
  CHECK(sample(text, "runagents_devboxes_running") == 0);
  CHECK(sample(text, "runagents_devbox_executions_running") == 0);
  CHECK(host_processes_with(marker) == 0);
}

TEST_CASE("/metrics devbox gauges stay empty for a face that cannot count" *
          doctest::test_suite("devbox")) {
  // A service without activity() (as Runloop's): the families are there, without samples.
  struct Uncounted : DevboxServiceWrapper {
    Uncounted() : DevboxServiceWrapper(nullptr) {}
    std::optional<DevboxActivity> activity() override { return std::nullopt; }
  };
  auto metrics = runagents::cli::make_platform_metrics(
      std::make_shared<runagents::mcp::InMemoryTaskStore>(), std::make_shared<Uncounted>());
  const std::string text = metrics->render();
  CHECK(text.find("# TYPE runagents_devbox_executions_running gauge\n") != std::string::npos);
  CHECK(sample(text, "runagents_devboxes_running") == -1);
  CHECK(sample(text, "runagents_devbox_executions_running") == -1);
}
