// Contract tests of the Runloop client (platform/remote/runloop/runloop_client.hpp) against the
// Runloop routes of `platform serve` (platform/serve/runloop_routes.hpp) over local sandboxes, in
// process on an ephemeral port; and its retries against a flaky proxy that answers 429/503 first.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "platform/local/devboxes/devbox_service.hpp"
#include "platform/local/objects/local_object_service.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/remote/runloop/runloop_client.hpp"
#include "platform/remote/runloop/runloop_objects.hpp"
#include "platform/serve/object_routes.hpp"
#include "platform/serve/runloop_routes.hpp"
#include "platform_test_support.hpp"

using namespace runagents::platform;
using namespace std::chrono_literals;
using runagents::platform::testing::TempDir;

namespace {

struct ServedDevboxes {
  TempDir dir;
  std::unique_ptr<serve::RestServer> server;
  std::thread thread;
  int port = 0;

  ServedDevboxes() {
    local::LocalDevboxOptions o;
    o.data_dir = dir.path;
    serve::ServeOptions so;
    so.port = 0;
    so.threads = 8;
    server = std::make_unique<serve::RestServer>(so);
    serve::register_runloop_routes(*server, local::open_local_devboxes(o));
    local::LocalObjectOptions objects;
    objects.data_dir = dir.path;
    serve::register_object_routes(*server, local::open_local_objects(objects));
    port = server->bind();
    thread = std::thread([this] { server->serve(); });
  }
  ~ServedDevboxes() {
    server->stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

remote::RunloopOptions client_options(const std::string& url) {
  remote::RunloopOptions o;
  o.api_key = "rl_test_key";
  o.base_url = url;
  o.retry.initial_backoff = 5ms;
  o.retry.max_backoff = 20ms;
  o.status_poll = 2s;
  o.exec_poll = 2s;
  return o;
}

// Answers the first `failures` requests with `status` (and retry-after-ms), then forwards.
struct FlakyProxy {
  httplib::Server svr;
  std::thread thread;
  int port = 0;
  std::atomic<int> left;
  int status;
  std::mutex mu;
  std::vector<std::string> request_ids;  // x-request-id of every POST attempt
  std::vector<std::string> retry_counts;

  FlakyProxy(int target_port, int failures, int fail_status) : left(failures), status(fail_status) {
    auto forward = [this, target_port](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu);
        if (req.method == "POST") request_ids.push_back(req.get_header_value("x-request-id"));
        retry_counts.push_back(req.get_header_value("x-stainless-retry-count"));
      }
      if (left.fetch_sub(1) > 0) {
        res.status = status;
        res.set_header("retry-after-ms", "10");
        res.set_content(R"({"error":"try again"})", "application/json");
        return;
      }
      httplib::Client c("127.0.0.1", target_port);
      httplib::Headers h;
      for (const auto& [k, v] : req.headers)
        if (k == "Authorization" || k == "Accept") h.emplace(k, v);
      auto path = req.path;
      if (!req.params.empty()) {
        path += "?";
        for (const auto& [k, v] : req.params) path += k + "=" + v + "&";
      }
      auto r = req.method == "GET" ? c.Get(path.c_str(), h)
                                   : c.Post(path.c_str(), h, req.body,
                                            req.get_header_value("Content-Type").c_str());
      REQUIRE(r);
      res.status = r->status;
      res.set_content(r->body, r->get_header_value("Content-Type").c_str());
    };
    svr.Get(".*", forward);
    svr.Post(".*", forward);
    port = svr.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~FlakyProxy() {
    svr.stop();
    thread.join();
  }
};

bool usable() {
  auto s = local::check_sandbox_support();
  if (!s.usable) MESSAGE("skipped: " << s.message);
  return s.usable;
}

}  // namespace

TEST_CASE("Runloop client drives local devboxes through platform serve" *
          doctest::test_suite("devbox")) {
  if (!usable()) return;
  ServedDevboxes served;
  auto rl = remote::open_runloop_devboxes(client_options(served.url()));

  DevboxCreateRequest r;
  r.name = "contract";
  r.file_mounts = {{"hello.txt", "hi from a mount"}};
  r.environment_variables = {{"WHO", "runloop"}};
  r.metadata = {{"k", "v"}};
  std::vector<std::string> steps;
  auto d = rl->create(r, [&](const std::string& m) { steps.push_back(m); });
  CHECK(d.status == "running");
  CHECK(d.name == "contract");
  CHECK(d.metadata.at("k") == "v");
  CHECK(rl->get(d.id).id == d.id);
  CHECK(rl->wait_for_status(d.id, {"running"}, 1s).status == "running");

  // execute_sync
  ExecRequest er;
  er.devbox_id = d.id;
  er.command = "cat hello.txt; echo; echo $WHO";
  auto e = rl->execute(er);
  CHECK(e.exit_status == 0);
  CHECK(e.stdout_text == "hi from a mount\nrunloop\n");

  // live output over stream_stdout_updates, with a timeout enforced by the client
  er.command = "for i in 1 2 3; do echo line$i; sleep 0.1; done";
  er.timeout = 20s;
  std::mutex mu;
  std::vector<std::string> lines;
  er.on_output = [&](std::string_view stream, std::string_view line) {
    std::lock_guard lock(mu);
    if (stream == "stdout") lines.emplace_back(line);
  };
  auto streamed = rl->execute(er);
  CHECK(streamed.stdout_text == "line1\nline2\nline3\n");
  {
    std::lock_guard lock(mu);
    CHECK(lines == std::vector<std::string>{"line1", "line2", "line3"});
  }

  // async, wait (long polls answered 408 count as "not yet"), kill
  ExecRequest ar;
  ar.devbox_id = d.id;
  ar.command = "sleep 3; echo late";
  auto started = rl->execute_async(ar);
  CHECK(started.status != "completed");
  auto still = rl->wait_for_execution(d.id, started.execution_id, {"completed"}, 1s);
  CHECK(still.status == "running");
  auto killed = rl->kill_execution(d.id, started.execution_id);
  CHECK(killed.status == "completed");
  CHECK(rl->execution(d.id, started.execution_id).status == "completed");

  // files: text and bytes, offset/length
  rl->write_file(d.id, "dir/t.txt", "text contents");
  CHECK(rl->read_file(d.id, "dir/t.txt", 5, 3).data == "con");
  const std::string bytes("\x00\x01\xfe\xff", 4);
  rl->write_file(d.id, "b.bin", bytes);  // multipart upload_file
  CHECK(rl->read_file(d.id, "b.bin", 0, std::nullopt).data == bytes);
  try {
    rl->read_file(d.id, "../../etc/passwd", 0, std::nullopt);
    FAIL("escape allowed");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::forbidden);
    CHECK(err.http_status() == 403);
  }

  // lifecycle
  CHECK(rl->suspend(d.id).status == "suspended");
  try {
    rl->execute_async(ar);
    FAIL("exec on a suspended devbox");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::conflict);
  }
  CHECK(rl->resume(d.id).status == "running");
  rl->keep_alive(d.id);

  // snapshots; a fifo cannot be copied, and the reply through platform serve says so
  er = {};
  er.devbox_id = d.id;
  er.command = "mkfifo dir/pipe";
  REQUIRE(rl->execute(er).exit_status == 0);
  SnapshotRequest sr;
  sr.name = "snap";
  auto snap = rl->snapshot(d.id, sr);
  CHECK(snap.skipped == std::vector<std::string>{"dir/pipe"});
  CHECK(rl->snapshot_status(snap.id).status == "complete");
  CHECK(rl->snapshot_status(snap.id).skipped == snap.skipped);
  SnapshotListRequest lr;
  lr.devbox_id = d.id;
  CHECK(rl->list_snapshots(lr).snapshots.size() == 1);
  DevboxCreateRequest from;
  from.snapshot_id = snap.id;
  auto d2 = rl->create(from, {});
  er = {};
  er.devbox_id = d2.id;
  er.command = "cat dir/t.txt";
  CHECK(rl->execute(er).stdout_text == "text contents");

  // list with starting_after paging
  DevboxListRequest page1;
  page1.limit = 1;
  auto p1 = rl->list(page1);
  CHECK(p1.devboxes.size() == 1);
  CHECK(p1.has_more);
  page1.starting_after = p1.devboxes[0].id;
  auto p2 = rl->list(page1);
  CHECK(p2.devboxes.size() == 1);
  CHECK(p2.devboxes[0].id != p1.devboxes[0].id);

  // update: name and metadata, each only when given
  DevboxUpdateRequest ur;
  ur.metadata = std::map<std::string, std::string>{{"stage", "two"}};
  auto updated = rl->update(d.id, ur);
  CHECK(updated.name == "contract");
  CHECK(updated.metadata == std::map<std::string, std::string>{{"stage", "two"}});
  ur = {};
  ur.name = "renamed";
  CHECK(rl->update(d.id, ur).name == "renamed");
  CHECK(rl->get(d.id).metadata.at("stage") == "two");

  // delete_snapshot: the devbox made from it keeps its files; no new one from it
  rl->delete_snapshot(snap.id);
  CHECK(rl->snapshot_status(snap.id).status == "deleted");
  CHECK(rl->list_snapshots(lr).snapshots.empty());
  er = {};
  er.devbox_id = d2.id;
  er.command = "cat dir/t.txt";
  CHECK(rl->execute(er).stdout_text == "text contents");
  try {
    rl->create(from, {});
    FAIL("a devbox from a deleted snapshot");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::not_found);
  }
  try {
    rl->delete_snapshot("snp_nope");
    FAIL("deleted a missing snapshot");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::not_found);
  }

  CHECK(rl->shutdown(d.id).status == "shutdown");
  CHECK(rl->shutdown(d2.id).status == "shutdown");
  try {
    rl->get("dbx_nope");
    FAIL("found a missing devbox");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::not_found);
    CHECK(err.http_status() == 404);
    CHECK(std::string(err.what()).find("rl_test_key") == std::string::npos);
  }
  DevboxCreateRequest bp;
  bp.blueprint_id = "bpt_1";
  try {
    rl->create(bp, {});
    FAIL("an unknown blueprint accepted");
  } catch (const PlatformError& err) {
    CHECK(err.http_status() == 404);
  }
  {
    // Blueprints through the client: built on the local face, a devbox from it, logs, delete.
    BlueprintParameters params;
    params.name = "rl-blueprint";
    params.dockerfile = "FROM runagents/devbox\nENV GREETING=hi\nRUN echo built > built.txt\n";
    Blueprint made = rl->create_blueprint(params);
    CHECK(made.status == "provisioning");
    CHECK(made.parameters.dockerfile == params.dockerfile);
    Blueprint built = rl->get_blueprint(made.id);
    for (int i = 0; i < 600 && built.status != "build_complete" && built.status != "failed"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      built = rl->get_blueprint(made.id);
    }
    REQUIRE(built.status == "build_complete");
    BlueprintListRequest lr;
    lr.name = "rl-blueprint";
    CHECK(rl->list_blueprints(lr).blueprints.size() == 1);
    bool logged = false;
    for (const auto& l : rl->blueprint_logs(made.id))
      logged = logged || l.message.find("build complete") != std::string::npos;
    CHECK(logged);
    DevboxCreateRequest from;
    from.blueprint_name = "rl-blueprint";
    Devbox d = rl->create(from, {});
    CHECK(d.blueprint_id == made.id);
    ExecRequest er;
    er.devbox_id = d.id;
    er.command = "cat built.txt; echo $GREETING";
    CHECK(rl->execute(er).stdout_text == "built\nhi\n");
    rl->shutdown(d.id);
    CHECK(rl->delete_blueprint(made.id).state == "deleted");
    try {
      rl->create(from, {});
      FAIL("a deleted blueprint's name accepted");
    } catch (const PlatformError& err) {
      CHECK(err.http_status() == 404);
    }
  }
  // A host project is local only: refused before any request, the list unchanged.
  const auto before = rl->list({}).devboxes.size();
  DevboxCreateRequest src;
  src.source = DevboxSource{"/tmp", "tmp", ""};
  try {
    rl->create(src, {});
    FAIL("source accepted on Runloop");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::invalid);
    CHECK(std::string(err.what()).find("code_mounts") != std::string::npos);
  }
  CHECK(rl->list({}).devboxes.size() == before);
}

TEST_CASE("Runloop client opens tunnels through platform serve, and Runloop's own form" *
          doctest::test_suite("devbox")) {
  if (!usable()) return;
  ServedDevboxes served;
  auto rl = remote::open_runloop_devboxes(client_options(served.url()));
  DevboxCreateRequest r;
  r.name = "tunnels";
  r.file_mounts = {{"site/index.txt", "through the tunnel"}};
  auto d = rl->create(r, {});
  ExecRequest er;
  er.devbox_id = d.id;
  er.command = "exec python3 -m http.server 8080 --bind 127.0.0.1 --directory /home/user/site";
  rl->execute_async(er);

  auto view = rl->enable_tunnel(d.id, "");
  CHECK_FALSE(view.tunnel_key.empty());
  CHECK(view.auth_mode == "open");
  CHECK(rl->enable_tunnel(d.id, "open").tunnel_key == view.tunnel_key);
  try {
    rl->enable_tunnel(d.id, "authenticated");
    FAIL("authenticated accepted");
  } catch (const PlatformError& e) {
    CHECK(e.kind() == ErrorKind::invalid);
  }
  auto tunnel = rl->create_tunnel(d.id, 8080);
  CHECK(tunnel.devbox_id == d.id);
  CHECK(tunnel.port == 8080);
  REQUIRE(tunnel.url.rfind("http://127.0.0.1:", 0) == 0);
  httplib::Client web(tunnel.url);
  std::string body;
  for (int i = 0; i < 200 && body.empty(); ++i) {
    if (auto res = web.Get("/index.txt"); res && res->status == 200)
      body = res->body;
    else
      std::this_thread::sleep_for(50ms);
  }
  CHECK(body == "through the tunnel");
  auto got = rl->get(d.id);
  REQUIRE(got.tunnel.has_value());
  CHECK(got.tunnel->tunnel_key == view.tunnel_key);
  REQUIRE(got.tunnels.size() == 1);
  CHECK(got.tunnels[0].url == tunnel.url);

  rl->remove_tunnel(d.id, 8080);
  CHECK(rl->get(d.id).tunnels.empty());
  CHECK_FALSE(web.Get("/index.txt"));  // refused
  try {
    rl->remove_tunnel(d.id, 8080);
    FAIL("removed twice");
  } catch (const PlatformError& e) {
    CHECK(e.http_status() == 404);
  }
  rl->remove_tunnel(d.id, 0);  // the whole tunnel; idempotent
  CHECK_FALSE(rl->get(d.id).tunnel.has_value());
  rl->shutdown(d.id);

  // Runloop itself no longer has create_tunnel: the client enables the devbox's tunnel and names
  // the port in Runloop's URL form.
  httplib::Server stub;
  std::atomic<int> enabled{0};
  stub.Post("/v1/devboxes/dbx_1/create_tunnel",
            [](const httplib::Request&, httplib::Response& res) {
              res.status = 404;
              res.set_content(R"({"error":"not found"})", "application/json");
            });
  stub.Get("/v1/devboxes/dbx_1", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":"dbx_1","status":"running"})", "application/json");
  });
  stub.Post("/v1/devboxes/dbx_1/enable_tunnel",
            [&](const httplib::Request&, httplib::Response& res) {
              ++enabled;
              res.set_content(R"({"tunnel_key":"k3y","auth_mode":"open","create_time_ms":1})",
                              "application/json");
            });
  int stub_port = stub.bind_to_any_port("127.0.0.1");
  std::thread stub_thread([&] { stub.listen_after_bind(); });
  auto runloop = remote::open_runloop_devboxes(
      client_options("http://127.0.0.1:" + std::to_string(stub_port)));
  auto remote_tunnel = runloop->create_tunnel("dbx_1", 3000);
  CHECK(remote_tunnel.url == "https://3000-k3y.tunnel.runloop.ai");
  CHECK(enabled.load() == 1);
  stub.stop();
  stub_thread.join();
}

TEST_CASE("Runloop client retries 429 and 503 with one x-request-id" *
          doctest::test_suite("devbox")) {
  if (!usable()) return;
  ServedDevboxes served;
  for (int status : {429, 503}) {
    FlakyProxy proxy(served.port, 2, status);
    auto rl = remote::open_runloop_devboxes(
        client_options("http://127.0.0.1:" + std::to_string(proxy.port)));
    auto d = rl->create({}, {});
    CHECK(d.status == "running");
    std::lock_guard lock(proxy.mu);
    REQUIRE(proxy.request_ids.size() >= 3);
    CHECK(!proxy.request_ids[0].empty());
    CHECK(proxy.request_ids[0] == proxy.request_ids[1]);
    CHECK(proxy.request_ids[1] == proxy.request_ids[2]);
    CHECK(proxy.retry_counts[0] == "0");
    CHECK(proxy.retry_counts[2] == "2");
    // Shut down directly: a body-less POST forwarded by this test proxy stalls (open item).
    remote::open_runloop_devboxes(client_options(served.url()))->shutdown(d.id);
  }
  // x-should-retry: false is final even for a 503.
  FlakyProxy never(served.port, 1, 503);
  never.svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 503) res.set_header("x-should-retry", "false");
  });
  auto rl = remote::open_runloop_devboxes(
      client_options("http://127.0.0.1:" + std::to_string(never.port)));
  try {
    rl->get("dbx_any");
    FAIL("no error");
  } catch (const PlatformError& err) {
    CHECK(err.http_status() == 503);
  }
  CHECK(never.retry_counts.size() == 1);
}

TEST_CASE("Runloop client: stdin, logs and usage; send_std_in is never retried" *
          doctest::test_suite("devbox")) {
  if (!usable()) return;
  ServedDevboxes served;
  auto rl = remote::open_runloop_devboxes(client_options(served.url()));
  // create() goes through create_and_await_running.
  DevboxCreateRequest cr;
  cr.launch_parameters.launch_commands = {"true"};
  auto d = rl->create(cr, {});
  CHECK(d.status == "running");
  CHECK(rl->create_and_await_running({}, 30s).status == "running");

  ExecRequest er;
  er.devbox_id = d.id;
  er.command = "cat";
  er.attach_stdin = true;
  const auto eid = rl->execute_async(er).execution_id;
  // A 503 on send_std_in is final: a retry after a lost answer could write the text twice.
  {
    FlakyProxy proxy(served.port, 1, 503);
    auto via = remote::open_runloop_devboxes(
        client_options("http://127.0.0.1:" + std::to_string(proxy.port)));
    CHECK_THROWS_AS(via->send_stdin(d.id, eid, {"lost\n"}), PlatformError);
    std::lock_guard lock(proxy.mu);
    CHECK(proxy.request_ids.size() == 1);
  }
  rl->send_stdin(d.id, eid, {"hello\n"});
  rl->send_stdin(d.id, eid, {"", true});
  auto done = rl->wait_for_execution(d.id, eid, {"completed"}, 20s);
  CHECK(done.status == "completed");
  CHECK(done.stdout_text == "hello\n");
  try {
    rl->send_stdin(d.id, eid, {"late"});
    FAIL("no error");
  } catch (const PlatformError& err) {
    CHECK(err.kind() == ErrorKind::conflict);
    CHECK(err.http_status() == 409);
  }
  CHECK_THROWS_AS(rl->send_stdin(d.id, eid, {}), PlatformError);

  auto logs = rl->logs(d.id, {eid, ""});
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].cmd == "cat");
  CHECK(logs[1].exit_code == 0);
  CHECK(rl->logs(d.id, {}).front().message == "status provisioning");
  auto u = rl->usage(d.id);
  CHECK(u.id == d.id);
  CHECK(u.status == "running");
  CHECK(u.total_elapsed_seconds > 0);
  CHECK((u.cpu_time_seconds || u.unavailable.count("cpu_time_seconds")));
  CHECK(u.disk_bytes.has_value());
  CHECK_FALSE(u.unavailable.count("disk_bytes"));
  rl->shutdown(d.id);
}

namespace {

// A fake Runloop whose execution streams output and then fails: stream_stdout_updates sends one
// line and stays open; kill answers 500, and so does wait_for_status while `wait_fails` (else
// 408, "not yet"). GET /v1/devboxes/{id} keeps working, to show the server is still usable.
struct FailingRunloop {
  httplib::Server svr;
  std::thread thread;
  int port = 0;
  std::atomic<bool> closing{false};
  std::atomic<int> streams_open{0};
  std::atomic<int> waits{0};
  std::atomic<int> kills{0};
  std::atomic<bool> wait_fails{true};

  FailingRunloop() {
    const std::string exec = "/v1/devboxes/dbx_1/executions/exe_1";
    svr.Post("/v1/devboxes/dbx_1/execute_async", [](const auto&, httplib::Response& res) {
      res.set_content(R"({"devbox_id":"dbx_1","execution_id":"exe_1","status":"running"})",
                      "application/json");
    });
    svr.Get("/v1/devboxes/dbx_1", [](const auto&, httplib::Response& res) {
      res.set_content(R"({"id":"dbx_1","status":"running","create_time_ms":1})",
                      "application/json");
    });
    auto stream = [this](const httplib::Request&, httplib::Response& res) {
      ++streams_open;
      res.set_chunked_content_provider(
          "text/event-stream",
          [this, sent = false](size_t, httplib::DataSink& sink) mutable {
            if (!sent) {
              const std::string frame = "data: {\"output\":\"line one\\n\"}\n\n";
              sent = sink.write(frame.data(), frame.size());
            }
            std::this_thread::sleep_for(20ms);
            return !closing.load() && sink.is_writable();  // stays open until the client goes
          },
          [this](bool) { --streams_open; });
    };
    svr.Get(exec + "/stream_stdout_updates", stream);
    svr.Get(exec + "/stream_stderr_updates", stream);
    svr.Get(exec, [](const auto&, httplib::Response& res) {
      res.set_content(R"({"devbox_id":"dbx_1","execution_id":"exe_1","status":"running"})",
                      "application/json");
    });
    svr.Post(exec + "/wait_for_status", [this](const auto&, httplib::Response& res) {
      ++waits;
      res.status = wait_fails ? 500 : 408;
      res.set_content(R"({"error":"internal failure"})", "application/json");
    });
    svr.Post(exec + "/kill", [this](const auto&, httplib::Response& res) {
      ++kills;
      res.status = 500;
      res.set_content(R"({"error":"internal failure"})", "application/json");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { svr.listen_after_bind(); });
  }
  ~FailingRunloop() {
    closing = true;
    svr.stop();
    thread.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

TEST_CASE("Runloop objects client: upload a tree, read it back, mount it in a devbox") {
  if (!local::check_sandbox_support().usable) return;
  ServedDevboxes served;
  auto objects = remote::open_runloop_objects(client_options(served.url()));
  auto devboxes = remote::open_runloop_devboxes(client_options(served.url()));
  TempDir host;
  std::filesystem::create_directories(host.path / "tree" / "sub");
  std::ofstream(host.path / "tree" / "sub" / "a.txt") << "alpha\n";
  std::ofstream(host.path / "note.txt") << "plain note\n";

  ObjectView tree = upload_host_path(*objects, host.path / "tree", "tree");
  CHECK(tree.id.rfind("obj_", 0) == 0);
  CHECK(tree.state == kObjectStateReadOnly);
  CHECK(tree.content_type == "tgz");
  ObjectView note = upload_host_path(*objects, host.path / "note.txt", "note.txt");
  CHECK(note.content_type == "text");
  auto reader = objects->open(note.id);
  std::string back(static_cast<std::size_t>(reader->size()), '\0');
  CHECK(reader->read_at(0, back.data(), back.size()) == back.size());
  CHECK(back == "plain note\n");
  ObjectListRequest lr;
  lr.name = "tree";
  auto page = objects->list(lr);
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].id == tree.id);

  DevboxCreateRequest r;
  r.object_mounts = {{tree.id, "t"}, {note.id, "/home/user/n.txt"}};
  Devbox d = devboxes->create(r, {});
  ExecRequest er;
  er.devbox_id = d.id;
  er.command = "cat t/sub/a.txt n.txt";
  CHECK(devboxes->execute(er).stdout_text == "alpha\nplain note\n");
  devboxes->shutdown(d.id);
  CHECK(objects->remove(note.id).state == kObjectStateDeleted);
}

}  // namespace

TEST_CASE("Runloop client survives a failure in the middle of a streamed execution" *
          doctest::test_suite("devbox")) {
  FailingRunloop fake;
  auto options = client_options(fake.url());
  options.retry.max_retries = 1;
  auto rl = remote::open_runloop_devboxes(options);

  std::mutex mu;
  std::vector<std::string> lines;
  ExecRequest er;
  er.devbox_id = "dbx_1";
  er.command = "make test";
  er.timeout = 30s;
  er.on_output = [&](std::string_view, std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  };

  SUBCASE("the long poll fails") {
    try {
      rl->execute(er);
      FAIL("no error");
    } catch (const PlatformError& err) {
      CHECK(err.http_status() == 500);
      CHECK(err.kind() == ErrorKind::internal);
      const std::string message = err.what();
      CHECK(message.find("exe_1") != std::string::npos);
      CHECK(message.find("kill_execution") != std::string::npos);
      CHECK(message.find("rl_test_key") == std::string::npos);
    }
    CHECK(fake.waits.load() >= 1);
  }

  SUBCASE("the kill after a cancel fails, and the cancel hook is gone afterwards") {
    fake.wait_fails = false;
    er.cancel = std::make_shared<ExecCancel>();
    std::thread canceller([&] {
      // Cancel once the stream has delivered its line: the kill then fails mid-stream.
      for (int i = 0; i < 500; ++i) {
        {
          std::lock_guard lock(mu);
          if (!lines.empty()) break;
        }
        std::this_thread::sleep_for(10ms);
      }
      er.cancel->cancel();
    });
    try {
      rl->execute(er);
      FAIL("no error");
    } catch (const PlatformError& err) {
      CHECK(err.http_status() == 500);
      CHECK(std::string(err.what()).find("exe_1") != std::string::npos);
    }
    canceller.join();
    CHECK(fake.kills.load() >= 1);
    er.cancel->cancel();  // a second cancel runs no hook of the finished execution
  }

  // Every stream thread was stopped and joined: the server saw the connections close.
  for (int i = 0; i < 200 && fake.streams_open.load() > 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(fake.streams_open.load() == 0);
  // The client and the fake server are both still usable.
  CHECK(rl->get("dbx_1").status == "running");
}

TEST_CASE("Runloop client: Runloop's own usage view says which figures it does not report" *
          doctest::test_suite("devbox")) {
  httplib::Server fake;
  fake.Get("/v1/devboxes/dbx_r/usage", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"id":"dbx_r","status":"running","start_time_ms":1000,"end_time_ms":null,)"
                    R"("total_active_seconds":10.5,"total_elapsed_seconds":12,"vcpu_seconds":21,)"
                    R"("memory_gb_seconds":42,"disk_gb_seconds":48})",
                    "application/json");
  });
  const int port = fake.bind_to_any_port("127.0.0.1");
  std::thread t([&] { fake.listen_after_bind(); });
  auto rl =
      remote::open_runloop_devboxes(client_options("http://127.0.0.1:" + std::to_string(port)));
  auto u = rl->usage("dbx_r");
  fake.stop();
  t.join();
  CHECK(u.id == "dbx_r");
  CHECK(u.total_active_seconds == doctest::Approx(10.5));
  CHECK(u.vcpu_seconds == doctest::Approx(21));
  CHECK(u.end_time_ms == 0);
  CHECK_FALSE(u.cpu_time_seconds);
  CHECK_FALSE(u.disk_bytes);
  for (const char* f : {"cpu_time_seconds", "peak_memory_bytes", "memory_bytes", "disk_bytes"})
    CHECK(u.unavailable[f].find("not reported by the Runloop API") == 0);
}
