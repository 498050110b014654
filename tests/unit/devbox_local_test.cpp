// Local devboxes (platform/local/devboxes/devbox_service.hpp) through the DevboxService interface.
// Tests that need bubblewrap skip with a message when it is not usable on the host.
#include <doctest/doctest.h>
#include <httplib.h>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "devbox_test_support.hpp"
#include "platform/local/store/database.hpp"

using namespace runagents::platform;
using namespace runagents::platform::testing;
using namespace std::chrono_literals;

namespace {

// Whether `cond` holds within `limit`, polling it every 20 ms.
template <typename F>
bool eventually(F cond, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

}  // namespace

TEST_CASE("devbox lifecycle: create, exec, suspend, resume, keep_alive, shutdown" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest r;
  r.name = "lifecycle";
  r.environment_variables = {{"GREETING", "hello"}};
  r.file_mounts = {{"app/config.txt", "mounted"}};
  r.launch_parameters.launch_commands = {"echo launched > launch.txt"};
  r.metadata = {{"purpose", "test"}};
  std::vector<std::string> steps;
  auto d = s->create(r, [&](const std::string& m) { steps.push_back(m); });
  CHECK(d.status == "running");
  CHECK(d.id.rfind("dbx_", 0) == 0);
  CHECK(d.metadata.at("purpose") == "test");
  CHECK(d.state_transitions.size() == 2);
  CHECK(!steps.empty());

  auto e = run_in(*s, d.id, "echo $GREETING; cat app/config.txt launch.txt; pwd; id -u");
  CHECK(e.status == "completed");
  CHECK(e.exit_status == 0);
  CHECK(e.stdout_text.find("hello\nmountedlaunched\n/home/user\n") == 0);
  CHECK(e.stdout_text.find("\n0\n") == std::string::npos);  // never the host's root

  CHECK(s->list({}).devboxes.size() == 1);
  s->suspend(d.id);
  CHECK(s->get(d.id).status == "suspended");
  CHECK(kind_of([&] { run_in(*s, d.id, "true"); }) == ErrorKind::conflict);
  s->resume(d.id);
  CHECK(run_in(*s, d.id, "echo back").stdout_text == "back\n");
  s->keep_alive(d.id);
  auto down = s->shutdown(d.id);
  CHECK(down.status == "shutdown");
  CHECK(down.shutdown_reason == "api_shutdown");
  CHECK(down.end_time_ms > 0);
  CHECK(kind_of([&] { run_in(*s, d.id, "true"); }) == ErrorKind::conflict);
  CHECK(kind_of([&] { s->resume(d.id); }) == ErrorKind::conflict);
  CHECK(kind_of([&] { s->get("dbx_missing"); }) == ErrorKind::not_found);
}

TEST_CASE("devbox refuses blueprints and bad arguments; a failing launch command fails it" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest bp;
  bp.blueprint_name = "python";
  try {
    create_devbox(*s, bp);
    FAIL("blueprint accepted");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(std::string(e.what()).find("list_blueprints") != std::string::npos);
  }
  DevboxCreateRequest bad_env;
  bad_env.environment_variables = {{"1BAD", "x"}};
  CHECK(kind_of([&] { create_devbox(*s, bad_env); }) == ErrorKind::invalid);
  DevboxCreateRequest fails;
  fails.launch_parameters.launch_commands = {"echo broken >&2; exit 3"};
  CHECK(kind_of([&] { create_devbox(*s, fails); }) == ErrorKind::conflict);
  auto all = s->list({}).devboxes;
  REQUIRE(all.size() == 1);
  CHECK(all[0].status == "failure");
}

TEST_CASE("devbox async executions, persistent shells, timeout and cancel leave no process" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);

  // Named shells keep cwd and exports; fresh shells do not.
  run_in(*s, d.id, "mkdir -p work && cd work && export COLOR=blue", "main");
  auto e = run_in(*s, d.id, "pwd; echo $COLOR", "main");
  CHECK(e.stdout_text == "/home/user/work\nblue\n");
  CHECK(e.shell_name == "main");
  CHECK(run_in(*s, d.id, "pwd; echo \"[$COLOR]\"").stdout_text == "/home/user\n[]\n");

  // Async: id at once, completes later.
  ExecRequest ar;
  ar.devbox_id = d.id;
  ar.command = "sleep 0.2; echo done";
  auto started = s->execute_async(ar);
  CHECK(started.execution_id.rfind("exe_", 0) == 0);
  CHECK(started.status != "completed");
  auto fin = s->wait_for_execution(d.id, started.execution_id, {"completed"}, 10s);
  CHECK(fin.status == "completed");
  CHECK(fin.stdout_text == "done\n");

  // Kill an async one.
  ar.command = "sleep 1613";
  auto long_one = s->execute_async(ar);
  std::this_thread::sleep_for(200ms);
  CHECK(host_processes_with("sleep 1613") == 1);
  auto killed = s->kill_execution(d.id, long_one.execution_id);
  CHECK(killed.status == "completed");
  CHECK(killed.killed);
  CHECK(host_processes_with("sleep 1613") == 0);

  // Timeout.
  ExecRequest tr;
  tr.devbox_id = d.id;
  tr.command = "sleep 1614";
  tr.timeout = 1s;
  auto timed = s->execute(tr);
  CHECK(timed.timed_out);
  CHECK(timed.exit_status == 137);
  CHECK(host_processes_with("sleep 1614") == 0);

  // Cancel from another thread (an MCP cancel), with streamed output before it.
  ExecRequest cr;
  cr.devbox_id = d.id;
  cr.command = "echo first; sleep 1615";
  cr.cancel = std::make_shared<ExecCancel>();
  std::vector<std::string> lines;
  std::mutex mu;
  cr.on_output = [&](std::string_view, std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  };
  std::thread canceller([&] {
    std::this_thread::sleep_for(300ms);
    cr.cancel->cancel();
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto cancelled = s->execute(cr);
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(cancelled.killed);
  CHECK(host_processes_with("sleep 1615") == 0);
  std::lock_guard lock(mu);
  REQUIRE(!lines.empty());
  CHECK(lines[0] == "first");
}

TEST_CASE("an async execution read while it ends is never completed without its exit status" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  ExecRequest r;
  r.devbox_id = d.id;
  r.command = "echo out; exit 3";
  for (int round = 0; round < 20; ++round) {
    const auto started = s->execute_async(r);
    DevboxExecution seen;
    const auto until = std::chrono::steady_clock::now() + 10s;
    do {  // as fast as a client can poll: the end falls between reads of every kind
      seen = s->execution(d.id, started.execution_id);
    } while (seen.status != "completed" && std::chrono::steady_clock::now() < until);
    INFO("round " << round);
    REQUIRE(seen.status == "completed");
    CHECK(seen.exit_status == 3);
    CHECK(seen.stdout_text == "out\n");
  }
}

TEST_CASE("devbox output cap keeps the head and the tail" * doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  ExecRequest r;
  r.devbox_id = d.id;
  r.command = "echo START; head -c 200000 /dev/zero | tr '\\0' x; echo; echo END";
  r.output_cap = 4096;
  auto e = s->execute(r);
  CHECK(e.stdout_truncated);
  CHECK(e.stdout_text.rfind("START", 0) == 0);
  CHECK(e.stdout_text.find("END") != std::string::npos);
  CHECK(e.stdout_text.size() < 5000);
}

TEST_CASE("devbox output kept in files: the record names them, the server holds 64 KiB" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  ExecRequest r;
  r.devbox_id = d.id;
  r.command = "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo err >&2";
  r.output_cap = 8u << 20;
  r.keep_output_files = true;
  auto e = s->execute(r);
  REQUIRE(e.stdout_file);
  REQUIRE(e.stderr_file);
  CHECK(e.stdout_file->path == "/home/user/.runagents/exec/" + e.execution_id + ".stdout");
  CHECK(e.stdout_file->total_bytes == 3000001);
  CHECK(e.stdout_file->kept_bytes == 3000001);
  CHECK(e.stdout_file->error.empty());
  CHECK(e.stdout_text.size() < (64u << 10) + 100);  // not the 8 MiB asked: the file has it all
  CHECK(e.stdout_truncated);
  CHECK(e.stderr_file->total_bytes == 4);
  CHECK(s->read_file(d.id, e.stderr_file->path, 0, std::nullopt).data == "err\n");
  CHECK(s->read_file(d.id, e.stdout_file->path, 0, std::nullopt).size == 3000001);
  // As stored: execution() reads the same back.
  auto again = s->execution(d.id, e.execution_id);
  REQUIRE(again.stdout_file);
  CHECK(again.stdout_file->kept_bytes == 3000001);
  // Without keep_output_files nothing is written and nothing named.
  r.keep_output_files = false;
  r.command = "echo plain";
  auto plain = s->execute(r);
  CHECK_FALSE(plain.stdout_file);
  CHECK(run_in(*s, d.id, "ls .runagents/exec | grep -c " + plain.execution_id + " || true")
            .stdout_text == "0\n");
}

TEST_CASE("devbox files: text, bytes and offsets" * doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  s->write_file(d.id, "notes/a.txt", "0123456789");
  CHECK(s->read_file(d.id, "notes/a.txt", 0, std::nullopt).data == "0123456789");
  auto part = s->read_file(d.id, "/home/user/notes/a.txt", 3, 4);
  CHECK(part.data == "3456");
  CHECK(part.size == 10);
  const std::string bytes("\x00\xff\x01binary", 9);
  s->write_file(d.id, "b.bin", bytes);
  CHECK(run_in(*s, d.id, "wc -c < b.bin").stdout_text == "9\n");
  CHECK(s->read_file(d.id, "b.bin", 0, std::nullopt).data == bytes);

  // Paths leading out of the home: devbox_hostile_test.cpp.
  CHECK(kind_of([&] { s->read_file(d.id, "missing.txt", 0, std::nullopt); }) ==
        ErrorKind::not_found);
}

TEST_CASE("devbox snapshots outlive their devbox and seed new ones" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  s->write_file(d.id, "project/main.py", "print('from snapshot')\n");
  SnapshotRequest sr;
  sr.name = "base";
  auto snap = s->snapshot(d.id, sr);
  CHECK(snap.status == "complete");
  CHECK(snap.size_bytes > 0);
  sr.async = true;
  auto async_snap = s->snapshot(d.id, sr);
  for (int i = 0; i < 100 && s->snapshot_status(async_snap.id).status == "in_progress"; ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(s->snapshot_status(async_snap.id).status == "complete");
  s->shutdown(d.id);

  auto page = s->list_snapshots({});
  CHECK(page.snapshots.size() == 2);
  SnapshotListRequest one;
  one.limit = 1;
  auto first = s->list_snapshots(one);
  CHECK(first.has_more);
  one.starting_after = first.snapshots[0].id;
  CHECK(s->list_snapshots(one).snapshots[0].id != first.snapshots[0].id);

  DevboxCreateRequest r;
  r.snapshot_id = snap.id;
  auto d2 = create_devbox(*s, r);
  CHECK(d2.snapshot_id == snap.id);
  CHECK(run_in(*s, d2.id, "python3 project/main.py").stdout_text == "from snapshot\n");
  s->shutdown(d2.id);
}

TEST_CASE("devboxes survive a server restart; lost executions are reported failed" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  std::string id, exec_id;
  {
    auto s = open_devboxes(dir);
    auto d = create_devbox(*s);
    id = d.id;
    s->write_file(id, "kept.txt", "still here");
    ExecRequest r;
    r.devbox_id = id;
    r.command = "sleep 1616";
    exec_id = s->execute_async(r).execution_id;
    std::this_thread::sleep_for(100ms);
    // Simulate a server that died while it ran: its owner token names no live process.
    local::Database db(dir.path / "platform.db");
    db.execute("UPDATE devbox_executions SET owner='1:0' WHERE id=?1", {exec_id});
  }
  CHECK(host_processes_with("sleep 1616") == 0);
  {
    local::Database db(dir.path / "platform.db");
    db.execute("UPDATE devbox_executions SET status='running' WHERE id=?1", {exec_id});
  }
  auto s2 = open_devboxes(dir);
  auto d = s2->get(id);
  CHECK(d.status == "running");
  auto lost = s2->execution(id, exec_id);
  CHECK(lost.status == "completed");
  CHECK(lost.exit_status == -1);
  CHECK(lost.note.find("server") != std::string::npos);
  CHECK(run_in(*s2, id, "cat kept.txt").stdout_text == "still here");
  s2->shutdown(id);
}

TEST_CASE("devbox idle timeout shuts it down" * doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest r;
  r.launch_parameters.keep_alive_time_seconds = 1;
  auto d = create_devbox(*s, r);
  auto after = s->wait_for_status(d.id, {"shutdown"}, 5s);
  CHECK(after.status == "shutdown");
  CHECK(after.shutdown_reason == "idle");
}

TEST_CASE("devbox traffic through a tunnel keeps it from idling" * doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest r;
  r.launch_parameters.keep_alive_time_seconds = 2;
  auto d = create_devbox(*s, r);
  // In the background of a named shell: no command runs while the server serves.
  CHECK(run_in(*s, d.id, "python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &", "srv")
            .exit_status == 0);
  auto tunnel = s->create_tunnel(d.id, 8080);
  httplib::Client web(tunnel.url);
  int served = 0;
  for (auto until = std::chrono::steady_clock::now() + 4s; std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(250ms))
    if (auto res = web.Get("/"); res && res->status == 200) ++served;
  CHECK(served > 5);
  CHECK(s->get(d.id).status == "running");  // 4 s past a keep-alive of 2 s
  auto after = s->wait_for_status(d.id, {"shutdown"}, 6s);
  CHECK(after.status == "shutdown");
  CHECK(after.shutdown_reason == "idle");
  CHECK_FALSE(web.Get("/"));  // its tunnel went with it
}

namespace {

// Open eventfds of this process (each live command holds one for its cancel token).
int open_eventfds() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.string().find("eventfd") != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("finished commands release their descriptors and buffers" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = s->create({}, nullptr);
  run_in(*s, d.id, "true");  // the sandbox's own descriptors are open from here on
  const int before = open_eventfds();
  for (int i = 0; i < 20; ++i)
    CHECK(run_in(*s, d.id, "echo " + std::to_string(i)).exit_status == 0);
  ExecRequest async;
  async.devbox_id = d.id;
  async.command = "echo later";
  auto started = s->execute_async(async);
  auto done =
      s->wait_for_execution(d.id, started.execution_id, {"completed"}, std::chrono::seconds(20));
  CHECK(done.stdout_text == "later\n");
  // A finished execution is still answered (from its row) after its live state is gone.
  CHECK(s->execution(d.id, started.execution_id).stdout_text == "later\n");
  std::this_thread::sleep_for(200ms);  // the async finisher records, then lets go
  CHECK(open_eventfds() <= before);
  s->shutdown(d.id);
}

TEST_CASE("devbox logs: transitions, commands and files, the newest 1000 kept; lost runs logged" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  std::string id, lost_id;
  {
    auto s = open_devboxes(dir);
    id = create_devbox(*s).id;
    s->write_file(id, "a.txt", "abc");
    auto e = run_in(*s, id, "exit 4", "main");
    auto logs = s->logs(id, {});
    REQUIRE(logs.size() == 5);
    CHECK(logs[0].message == "status provisioning");
    CHECK(logs[1].message == "status running");
    CHECK(logs[2].source == "files");
    CHECK(logs[2].message == "wrote 3 bytes to a.txt");
    CHECK(logs[3].cmd == "exit 4");
    CHECK_FALSE(logs[3].exit_code);
    CHECK(logs[4].exit_code == 4);
    CHECK(logs[4].level == "warn");
    CHECK(logs[4].shell_name == "main");
    CHECK(s->logs(id, {e.execution_id, ""}).size() == 2);
    CHECK(s->logs(id, {"", "other"}).empty());
    CHECK(kind_of([&] { s->logs("dbx_nope", {}); }) == ErrorKind::not_found);

    // A persistent shell reads its commands from its stdin: no stdin for its commands.
    ExecRequest r;
    r.devbox_id = id;
    r.command = "cat";
    r.shell_name = "main";
    r.attach_stdin = true;
    CHECK(kind_of([&] { s->execute_async(r); }) == ErrorKind::invalid);
    r.shell_name.clear();
    r.command = "sleep 617";
    lost_id = s->execute_async(r).execution_id;
    // Without attach_stdin: a conflict naming the fix; nothing asked: invalid.
    r.attach_stdin = false;
    auto plain = s->execute_async(r);
    CHECK(kind_of([&] { s->send_stdin(id, plain.execution_id, {"x"}); }) == ErrorKind::conflict);
    CHECK(kind_of([&] { s->send_stdin(id, lost_id, {}); }) == ErrorKind::invalid);
    s->kill_execution(id, plain.execution_id);
    local::Database db(dir.path / "platform.db");
    db.execute("UPDATE devbox_executions SET owner='1:0' WHERE id=?1", {lost_id});
  }
  {
    local::Database db(dir.path / "platform.db");
    db.execute("UPDATE devbox_executions SET status='running' WHERE id=?1", {lost_id});
    // Fill the log past its cap.
    for (int i = 0; i < 1100; ++i)
      db.execute(
          "INSERT INTO devbox_logs (devbox_id, timestamp_ms, source, level) VALUES (?1, ?2, "
          "'exec', 'info')",
          {id, std::int64_t{i}});
  }
  auto s2 = open_devboxes(dir);
  auto lost = s2->logs(id, {lost_id, ""});
  // Its "started" line went with the cap (1100 newer lines), which the "lost" line applied.
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].exit_code == -1);
  CHECK(lost[0].message.find("lost") == 0);
  CHECK(s2->logs(id, {}).size() == 1000);
  s2->write_file(id, "b.txt", "b");
  CHECK(s2->logs(id, {}).size() == 1000);  // DevboxRows::kLogsKept
  CHECK(s2->logs(id, {}).back().message == "wrote 1 bytes to b.txt");
  s2->shutdown(id);
}

TEST_CASE("create_and_await_running returns at the hold while provisioning goes on" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest r;
  r.launch_parameters.launch_commands = {"sleep 1.5", "echo done > done.txt"};
  auto t0 = std::chrono::steady_clock::now();
  auto d = s->create_and_await_running(r, 300ms);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(d.status == "provisioning");
  d = s->wait_for_status(d.id, {"running", "failure"}, 10s);
  CHECK(d.status == "running");
  CHECK(run_in(*s, d.id, "cat done.txt").stdout_text == "done\n");
  auto u = s->usage(d.id);
  CHECK(u.total_active_seconds <= u.total_elapsed_seconds);
  CHECK(u.disk_bytes.value_or(0) > 0);
  s->shutdown(d.id);
  // The figures recorded at shutdown outlive the home and the cgroups, in a later server too.
  auto s2 = open_devboxes(dir);
  auto gone = s2->usage(d.id);
  CHECK(gone.status == "shutdown");
  CHECK(gone.disk_bytes == u.disk_bytes);
  if (u.cpu_time_seconds) CHECK(gone.cpu_time_seconds >= u.cpu_time_seconds);
  CHECK(gone.total_elapsed_seconds == s2->usage(d.id).total_elapsed_seconds);

  r.launch_parameters.launch_commands = {"exit 9"};
  auto failed = s->create_and_await_running(r, 10s);
  CHECK(failed.status == "failure");
  CHECK(failed.failure_reason == "execution_failed");
}

TEST_CASE("devbox update sets the name and replaces the metadata; absent fields stay" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  DevboxCreateRequest r;
  r.name = "first";
  r.metadata = {{"a", "1"}, {"b", "2"}};
  auto d = create_devbox(*s, r);
  DevboxUpdateRequest u;
  u.name = "second";
  auto after = s->update(d.id, u);
  CHECK(after.name == "second");
  CHECK(after.metadata == std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}});
  u = {};
  u.metadata = std::map<std::string, std::string>{{"c", "3"}};
  after = s->update(d.id, u);
  CHECK(after.name == "second");
  CHECK(after.metadata == std::map<std::string, std::string>{{"c", "3"}});
  CHECK(s->get(d.id).metadata == after.metadata);
  // Empty values clear; a shut down devbox can still be renamed.
  s->shutdown(d.id);
  u.name = "";
  u.metadata = std::map<std::string, std::string>{};
  after = s->update(d.id, u);
  CHECK(after.name.empty());
  CHECK(after.metadata.empty());
  CHECK(after.status == "shutdown");
  CHECK(kind_of([&] { s->update("dbx_missing", u); }) == ErrorKind::not_found);
}

TEST_CASE("devbox delete_snapshot removes the files; devboxes made from it keep theirs" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  auto d = create_devbox(*s);
  s->write_file(d.id, "kept.txt", "kept\n");
  auto snap = s->snapshot(d.id, {});
  const auto files = dir.path / "devbox_snapshots" / snap.id;
  REQUIRE(std::filesystem::exists(files / "home" / "kept.txt"));
  DevboxCreateRequest from;
  from.snapshot_id = snap.id;
  auto child = create_devbox(*s, from);

  // While a devbox is being created from it, the snapshot cannot go.
  from.launch_parameters.launch_commands = {"sleep 2"};
  auto provisioning = s->create_and_await_running(from, 0ms);
  REQUIRE(provisioning.status == "provisioning");
  CHECK(kind_of([&] { s->delete_snapshot(snap.id); }) == ErrorKind::conflict);
  CHECK(s->snapshot_status(snap.id).status == "complete");
  CHECK(std::filesystem::exists(files / "home" / "kept.txt"));
  REQUIRE(s->wait_for_status(provisioning.id, {"running", "failure"}, 20s).status == "running");

  s->delete_snapshot(snap.id);
  CHECK_FALSE(std::filesystem::exists(files));
  CHECK_FALSE(std::filesystem::exists(files.string() + ".deleting"));
  CHECK(s->snapshot_status(snap.id).status == "deleted");
  CHECK(s->list_snapshots({}).snapshots.empty());
  s->delete_snapshot(snap.id);  // again: nothing changes
  CHECK(s->snapshot_status(snap.id).status == "deleted");
  // The devboxes made from it keep their files and their snapshot_id.
  CHECK(run_in(*s, child.id, "cat kept.txt").stdout_text == "kept\n");
  CHECK(s->get(child.id).snapshot_id == snap.id);
  // No devbox from a deleted snapshot; unknown ids are not found.
  DevboxCreateRequest again;
  again.snapshot_id = snap.id;
  CHECK(kind_of([&] { create_devbox(*s, again); }) == ErrorKind::not_found);
  CHECK(kind_of([&] { s->delete_snapshot("snp_missing"); }) == ErrorKind::not_found);

  // One still being taken cannot go either.
  s->write_file(d.id, "big.bin", std::string(32 << 20, 'x'));
  SnapshotRequest async;
  async.async = true;
  auto pending = s->snapshot(d.id, async);
  if (s->snapshot_status(pending.id).status == "in_progress")
    CHECK(kind_of([&] { s->delete_snapshot(pending.id); }) == ErrorKind::conflict);
  for (int i = 0; i < 500 && s->snapshot_status(pending.id).status == "in_progress"; ++i)
    std::this_thread::sleep_for(20ms);
  REQUIRE(s->snapshot_status(pending.id).status == "complete");
  s->delete_snapshot(pending.id);
  CHECK(s->snapshot_status(pending.id).status == "deleted");
  for (const auto& id : {d.id, child.id, provisioning.id}) s->shutdown(id);
}

TEST_CASE("shutdown while a launch command runs kills it and returns at once" *
          doctest::test_suite("devbox")) {
  if (!devbox_usable()) return;
  TempDir dir;
  auto s = open_devboxes(dir);
  const std::string marker = unique_marker();
  DevboxCreateRequest r;
  r.launch_parameters.launch_commands = {"sleep 300 " + marker, "echo never > never.txt"};
  auto d = s->create_and_await_running(r, 0ms);
  REQUIRE(d.status == "provisioning");
  REQUIRE(eventually([&] { return host_processes_with(marker) > 0; }, 10000ms));
  const auto asked = std::chrono::steady_clock::now();
  auto down = s->shutdown(d.id);
  const auto took = std::chrono::steady_clock::now() - asked;
  CHECK(took < 5s);
  CHECK(down.status == "shutdown");
  CHECK(down.shutdown_reason == "api_shutdown");
  std::vector<std::string> statuses;
  for (const auto& t : down.state_transitions) statuses.push_back(t.status);
  CHECK(statuses == std::vector<std::string>{"provisioning", "shutdown"});  // never failure
  // Nothing of it is left running, seen from outside, and it stays shut down.
  CHECK(eventually([&] { return devbox_host_processes(d.id, marker) == 0; }, 5000ms));
  std::this_thread::sleep_for(300ms);
  CHECK(s->get(d.id).status == "shutdown");
  CHECK_FALSE(std::filesystem::exists(dir.path / "devboxes" / d.id));
  bool killed_logged = false;
  for (const auto& l : s->logs(d.id, {}))
    if (l.source == "setup_commands" && l.message.find("shut down") != std::string::npos)
      killed_logged = true;
  CHECK(killed_logged);

  // The same through create(), which runs on the caller's thread: it hears why it ended.
  std::promise<std::string> ended;
  std::thread creating([&] {
    try {
      create_devbox(*s, r);
      ended.set_value("created");
    } catch (const PlatformError& e) {
      ended.set_value(e.what());
    }
  });
  std::string id;
  REQUIRE(eventually(
      [&] {
        auto page = s->list({});
        for (const auto& b : page.devboxes)
          if (b.status == "provisioning") id = b.id;
        return !id.empty() && host_processes_with(marker) > 0;
      },
      10000ms));
  s->shutdown(id);
  auto why = ended.get_future();
  REQUIRE(why.wait_for(5s) == std::future_status::ready);
  CHECK(why.get().find("shut down while it was provisioned") != std::string::npos);
  creating.join();
  CHECK(eventually([&] { return host_processes_with(marker) == 0; }, 5000ms));
}
