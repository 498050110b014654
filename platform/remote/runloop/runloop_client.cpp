#include "platform/remote/runloop/runloop_client.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "platform/common/shell_quote.hpp"
#include "platform/common/utf8.hpp"
#include "platform/wire/blueprint_json.hpp"
#include "platform/wire/devbox_json.hpp"

namespace runagents::platform::remote {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string seg(const std::string& s) {
  return encode_path_segment(s);
}

// Splits SSE frames ("data: {...}\n\n") of stream_*_updates into output lines.
class SseLines {
 public:
  explicit SseLines(std::function<void(std::string_view)> on_line) : on_line_(std::move(on_line)) {}

  void feed(std::string_view chunk) {
    sse_ += chunk;
    size_t pos;
    while ((pos = sse_.find('\n')) != std::string::npos) {
      std::string line = sse_.substr(0, pos);
      sse_.erase(0, pos + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) continue;
      auto j = json::parse(line.substr(5), nullptr, false);
      if (!j.is_object() || !j.contains("output") || !j["output"].is_string()) continue;
      text_ += j["output"].get<std::string>();
      size_t nl;
      while ((nl = text_.find('\n')) != std::string::npos) {
        on_line_(std::string_view(text_).substr(0, nl));
        text_.erase(0, nl + 1);
      }
    }
  }
  void finish() {
    if (!text_.empty()) on_line_(text_);
    text_.clear();
  }

 private:
  std::function<void(std::string_view)> on_line_;
  std::string sse_;
  std::string text_;
};

// Whether the caller's cancel signal (ExecRequest::cancel, optional) has fired.
bool cancel_fired(const ExecRequest& req) {
  return req.cancel && req.cancel->cancelled();
}

// The threads that stream an execution's output. The destructor stops and joins them, so no
// path out of an execution (a failed wait or kill throws) leaves a joinable std::thread behind,
// which would end the process in std::terminate.
class OutputFollowers {
 public:
  OutputFollowers() = default;
  ~OutputFollowers() { stop(); }
  OutputFollowers(const OutputFollowers&) = delete;
  OutputFollowers& operator=(const OutputFollowers&) = delete;

  // Runs `follow(stop)` on a new thread; it must return soon after `stop` turns true. Whatever
  // it throws is logged: an exception must not leave a thread either.
  void start(std::function<void(const std::atomic<bool>& stop)> follow) {
    threads_.emplace_back([this, follow = std::move(follow)] {
      try {
        follow(stop_);
      } catch (const std::exception& e) {
        spdlog::warn("Runloop output stream ended with an error: {}", e.what());
      } catch (...) {
        spdlog::warn("Runloop output stream ended with an unknown error");
      }
      ++finished_;
    });
  }

  // Waits up to `grace` for the streams to end by themselves, then stops and joins them.
  void finish(milliseconds grace) {
    const auto until = Clock::now() + grace;
    while (finished_.load() < static_cast<int>(threads_.size()) && Clock::now() < until)
      std::this_thread::sleep_for(milliseconds(20));
    stop();
  }

  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> finished_{0};
  std::vector<std::thread> threads_;
};

class RunloopDevboxes final : public DevboxService {
 public:
  explicit RunloopDevboxes(RunloopOptions o) : options_(std::move(o)), http_(client_options()) {}

  Devbox create(const DevboxCreateRequest& req, const DevboxProgress& progress) override {
    const auto deadline = Clock::now() + options_.create_timeout;
    Devbox d = create_and_await_running(req, options_.create_hold);
    if (progress) progress("devbox " + d.id + " is " + d.status);
    while (d.status != "running") {
      if (devbox_status_is_terminal(d.status) || d.status == "suspended")
        throw PlatformError(ErrorKind::conflict,
                            "devbox " + d.id + " entered " + d.status +
                                (d.failure_reason.empty() ? "" : " (" + d.failure_reason + ")") +
                                " instead of running; check the create parameters and retry");
      if (Clock::now() >= deadline)
        throw PlatformError(ErrorKind::timeout,
                            "devbox " + d.id + " is still " + d.status +
                                " after the create timeout; check it later with manage_devbox "
                                "action get");
      d = wait_for_status(d.id, {"running", "failure", "shutdown", "suspended"},
                          std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
      if (progress) progress("devbox " + d.id + " is " + d.status);
    }
    return d;
  }

  // The server holds the call up to its own bound (`wait` is not sent: Runloop's API takes no
  // such parameter); the request timeout leaves it room.
  Devbox create_and_await_running(const DevboxCreateRequest& req, milliseconds wait) override {
    if (req.source)
      throw PlatformError(ErrorKind::invalid,
                          "source_path works on the local platform; on Runloop use code_mounts "
                          "(a git repository Runloop clones), or unset RUNLOOP_API_KEY to use "
                          "local devboxes");
    return devbox_from_wire(http_.send_json(
        HttpRequest::post("/v1/devboxes/create_and_await_running", create_request_to_wire(req))
            .with_timeout(std::max(wait, options_.timeout) + std::chrono::seconds(5))));
  }

  Devbox get(const std::string& id) override {
    return devbox_from_wire(http_.send_json(HttpRequest::get("/v1/devboxes/" + seg(id))));
  }

  Devbox update(const std::string& id, const DevboxUpdateRequest& req) override {
    json body = json::object();
    if (req.name) body["name"] = *req.name;
    if (req.metadata) body["metadata"] = *req.metadata;
    return devbox_from_wire(http_.send_json(HttpRequest::post("/v1/devboxes/" + seg(id), body)));
  }

  DevboxPage list(const DevboxListRequest& req) override {
    return devbox_page_from_wire(
        list_page("/v1/devboxes", req.limit,
                  {{"starting_after", req.starting_after}, {"status", req.status}}));
  }

  Devbox wait_for_status(const std::string& id, const std::vector<std::string>& statuses,
                         milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
      if (left.count() <= 0) return get(id);
      auto hold = std::min(left, options_.status_poll);
      if (auto v = long_poll("/v1/devboxes/" + seg(id) + "/wait_for_status",
                             {{"statuses", statuses}, {"timeout_seconds", hold.count()}}, hold))
        return devbox_from_wire(*v);
    }
  }

  DevboxExecution execute(const ExecRequest& req) override {
    if (!req.on_output && req.timeout.count() == 0 && !req.cancel) {
      json body = {{"command", command_of(req)}};
      if (!req.shell_name.empty()) body["shell_name"] = req.shell_name;
      auto e = execution_from_wire(http_.send_json(
          HttpRequest::post("/v1/devboxes/" + seg(req.devbox_id) + "/execute_sync", body)
              .with_timeout(options_.long_timeout)));
      e.devbox_id = req.devbox_id;
      e.status = "completed";
      return e;
    }
    // With a timeout, a cancel or live output: start it, follow it, kill it when told.
    DevboxExecution started = execute_async(req);
    const std::string eid = started.execution_id;
    OutputFollowers streams;
    if (req.on_output)
      for (const char* stream : {"stdout", "stderr"})
        streams.start([this, &req, &eid, stream](const std::atomic<bool>& stop) {
          follow(req, eid, stream, stop);
        });
    const auto start = Clock::now();
    DevboxExecution e;
    bool timed_out = false;
    try {
      e = await_or_kill(req, started, start, timed_out);
    } catch (const PlatformError& err) {
      throw PlatformError(err.kind(),
                          "lost track of Runloop execution " + eid + " of devbox " + req.devbox_id +
                              ": " + err.what() +
                              "; it may still be running: check it with manage_devbox "
                              "action=execution_status, stop it with action=kill_execution",
                          err.http_status());
    }
    // The streams end by themselves once the server has sent everything; give them a moment
    // before cutting them off, so the last lines are not lost.
    streams.finish(std::chrono::seconds(2));
    const bool cancelled = cancel_fired(req);
    e.timed_out = e.timed_out || timed_out;
    e.killed = e.killed || cancelled || timed_out;
    if (timed_out && e.note.empty()) e.note = "killed after the timeout";
    if (cancelled && e.note.empty()) e.note = "killed";
    e.duration_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
    return e;
  }

  DevboxExecution execute_async(const ExecRequest& req) override {
    json body = {{"command", command_of(req)}};
    if (!req.shell_name.empty()) body["shell_name"] = req.shell_name;
    if (req.attach_stdin) body["attach_stdin"] = true;
    auto e = execution_from_wire(http_.send_json(
        HttpRequest::post("/v1/devboxes/" + seg(req.devbox_id) + "/execute_async", body)));
    if (e.devbox_id.empty()) e.devbox_id = req.devbox_id;
    return e;
  }

  DevboxExecution execution(const std::string& devbox_id, const std::string& eid) override {
    return execution_from_wire(
        http_.send_json(HttpRequest::get(exec_path(devbox_id, eid)).with_query("last_n", "100")));
  }

  DevboxExecution wait_for_execution(const std::string& devbox_id, const std::string& eid,
                                     const std::vector<std::string>& statuses,
                                     milliseconds timeout) override {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      // Rounded up: a hold of less than a second still long-polls (for one second) rather than
      // becoming a plain GET, which execute() would repeat back to back.
      auto left = std::chrono::ceil<std::chrono::seconds>(deadline - Clock::now());
      if (left.count() <= 0) return execution(devbox_id, eid);
      auto hold = std::min(left, options_.exec_poll);
      if (auto v = long_poll(exec_path(devbox_id, eid) + "/wait_for_status",
                             {{"statuses", statuses}, {"timeout_seconds", hold.count()}}, hold))
        return execution_from_wire(*v);
    }
  }

  DevboxExecution kill_execution(const std::string& devbox_id, const std::string& eid) override {
    return execution_from_wire(http_.send_json(HttpRequest::post(
        exec_path(devbox_id, eid) + "/kill", json{{"kill_process_group", true}})));
  }

  void send_stdin(const std::string& devbox_id, const std::string& eid,
                  const StdinInput& input) override {
    if (input.close && input.interrupt)
      throw PlatformError(ErrorKind::invalid, "send one of close and interrupt at a time");
    json body = json::object();
    if (!input.text.empty()) body["text"] = input.text;
    if (input.close) body["signal"] = "EOF";
    if (input.interrupt) body["signal"] = "INTERRUPT";
    if (body.empty())
      throw PlatformError(ErrorKind::invalid, "send_stdin needs text, close or interrupt");
    // Not retried: a retry after a lost answer would write the text twice.
    json v = http_.send_json(
        HttpRequest::post(exec_path(devbox_id, eid) + "/send_std_in", body).with_max_retries(0));
    if (v.is_object() && v.contains("success") && v["success"] == false)
      throw PlatformError(ErrorKind::conflict, "Runloop did not deliver the input to execution " +
                                                   eid + "; check that it is still running");
  }

  std::vector<DevboxLog> logs(const std::string& devbox_id, const DevboxLogsRequest& req) override {
    auto r = HttpRequest::get("/v1/devboxes/" + seg(devbox_id) + "/logs");
    if (!req.execution_id.empty()) r.with_query("execution_id", req.execution_id);
    if (!req.shell_name.empty()) r.with_query("shell_name", req.shell_name);
    return logs_from_wire(http_.send_json(r));
  }

  DevboxUsage usage(const std::string& devbox_id) override {
    DevboxUsage u = usage_from_wire(
        http_.send_json(HttpRequest::get("/v1/devboxes/" + seg(devbox_id) + "/usage")));
    if (u.id.empty()) u.id = devbox_id;
    // Runloop's view has the billing figures only; the measured ones come from platform serve.
    const std::string why =
        "not reported by the Runloop API (it gives vcpu_seconds, memory_gb_seconds and "
        "disk_gb_seconds)";
    if (!u.cpu_time_seconds && !u.unavailable.count("cpu_time_seconds"))
      u.unavailable["cpu_time_seconds"] = why;
    for (auto [field, value] :
         {std::pair{"peak_memory_bytes", &u.peak_memory_bytes},
          std::pair{"memory_bytes", &u.memory_bytes}, std::pair{"disk_bytes", &u.disk_bytes}})
      if (!*value && !u.unavailable.count(field)) u.unavailable[field] = why;
    return u;
  }

  DevboxFile read_file(const std::string& devbox_id, const std::string& path, std::uint64_t offset,
                       std::optional<std::uint64_t> length) override {
    // download_file is byte-exact; read_file_contents would only carry text.
    auto res = http_.send(
        HttpRequest::post("/v1/devboxes/" + seg(devbox_id) + "/download_file", json{{"path", path}})
            .with_header("Accept", "application/octet-stream")
            .with_timeout(options_.long_timeout));
    DevboxFile f;
    f.size = res.body.size();
    if (offset > f.size)
      throw PlatformError(ErrorKind::invalid, "offset " + std::to_string(offset) +
                                                  " is past the end of " + path + " (" +
                                                  std::to_string(f.size) + " bytes)");
    f.data = res.body.substr(offset, length ? *length : std::string::npos);
    return f;
  }

  void write_file(const std::string& devbox_id, const std::string& path,
                  std::string_view data) override {
    if (common::is_valid_utf8(data)) {
      http_.send(HttpRequest::post("/v1/devboxes/" + seg(devbox_id) + "/write_file_contents",
                                   json{{"file_path", path}, {"contents", std::string(data)}})
                     .with_timeout(options_.long_timeout));
      return;
    }
    const std::string boundary = "----runagents" + random_uuid();
    std::string body;
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n" + path +
            "\r\n";
    body += "--" + boundary +
            "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n";
    body.append(data);
    body += "\r\n--" + boundary + "--\r\n";
    auto r = HttpRequest::post("/v1/devboxes/" + seg(devbox_id) + "/upload_file");
    r.body = std::move(body);
    r.content_type = "multipart/form-data; boundary=" + boundary;
    http_.send(r.with_timeout(options_.long_timeout));
  }

  Devbox suspend(const std::string& id) override { return lifecycle(id, "suspend"); }
  Devbox resume(const std::string& id) override { return lifecycle(id, "resume"); }
  void keep_alive(const std::string& id) override {
    http_.send(HttpRequest::post("/v1/devboxes/" + seg(id) + "/keep_alive", json::object()));
  }
  Devbox shutdown(const std::string& id) override { return lifecycle(id, "shutdown"); }

  DevboxTunnelView enable_tunnel(const std::string& devbox_id,
                                 const std::string& auth_mode) override {
    json body = json::object();
    if (!auth_mode.empty()) body["auth_mode"] = auth_mode;
    return tunnel_view_from_wire(http_.send_json(
        HttpRequest::post("/v1/devboxes/" + seg(devbox_id) + "/enable_tunnel", body)));
  }

  DevboxTunnel create_tunnel(const std::string& devbox_id, int port) override {
    if (port < 1 || port > 65535)
      throw PlatformError(ErrorKind::invalid,
                          "port " + std::to_string(port) + " is not a TCP port: give 1-65535");
    // The per-port create_tunnel answers with the URL itself (`platform serve` has it; Runloop
    // removed it in 2026-03). Without it, the devbox's tunnel (enable_tunnel) serves every port
    // at https://{port}-{tunnel_key}.tunnel.runloop.ai.
    try {
      return tunnel_from_wire(http_.send_json(HttpRequest::post(
          "/v1/devboxes/" + seg(devbox_id) + "/create_tunnel", json{{"port", port}})));
    } catch (const PlatformError& e) {
      if (e.http_status() != 404 && e.http_status() != 405 && e.http_status() != 410) throw;
    }
    Devbox d = get(devbox_id);  // not_found for an unknown devbox
    DevboxTunnelView view = d.tunnel ? *d.tunnel : enable_tunnel(devbox_id, "");
    return {devbox_id, port,
            "https://" + std::to_string(port) + "-" + view.tunnel_key + ".tunnel.runloop.ai"};
  }

  void remove_tunnel(const std::string& devbox_id, int port) override {
    // Runloop's remove_tunnel closes the devbox's tunnel (every port); `platform serve` reads the
    // port when one is given.
    json body = json::object();
    if (port != 0) body["port"] = port;
    http_.send(HttpRequest::post("/v1/devboxes/" + seg(devbox_id) + "/remove_tunnel", body));
  }

  DevboxSnapshot snapshot(const std::string& devbox_id, const SnapshotRequest& req) override {
    json body = json::object();
    if (!req.name.empty()) body["name"] = req.name;
    if (!req.commit_message.empty()) body["commit_message"] = req.commit_message;
    if (!req.metadata.empty()) body["metadata"] = req.metadata;
    auto s = snapshot_from_wire(http_.send_json(
        HttpRequest::post("/v1/devboxes/" + seg(devbox_id) +
                              (req.async ? "/snapshot_disk_async" : "/snapshot_disk"),
                          body)
            .with_timeout(options_.long_timeout)));
    s.status = req.async ? "in_progress" : "complete";
    if (s.source_devbox_id.empty()) s.source_devbox_id = devbox_id;
    return s;
  }

  DevboxSnapshot snapshot_status(const std::string& snapshot_id) override {
    json v = http_.send_json(
        HttpRequest::get("/v1/devboxes/disk_snapshots/" + seg(snapshot_id) + "/status"));
    DevboxSnapshot s = snapshot_from_wire(v.value("snapshot", json::object()));
    if (s.id.empty()) s.id = snapshot_id;
    s.status = v.value("status", "complete");
    s.error_message = v.value("error_message", "");
    return s;
  }

  void delete_snapshot(const std::string& snapshot_id) override {
    http_.send(HttpRequest::post("/v1/devboxes/disk_snapshots/" + seg(snapshot_id) + "/delete",
                                 json::object()));
  }

  SnapshotPage list_snapshots(const SnapshotListRequest& req) override {
    return snapshot_page_from_wire(
        list_page("/v1/devboxes/disk_snapshots", req.limit,
                  {{"devbox_id", req.devbox_id}, {"starting_after", req.starting_after}}));
  }

  Blueprint create_blueprint(const BlueprintParameters& params) override {
    return blueprint_from_wire(http_.send_json(
        HttpRequest::post("/v1/blueprints", blueprint_parameters_to_wire(params, true))));
  }

  Blueprint get_blueprint(const std::string& id) override {
    return blueprint_from_wire(http_.send_json(HttpRequest::get("/v1/blueprints/" + seg(id))));
  }

  BlueprintPage list_blueprints(const BlueprintListRequest& req) override {
    return blueprint_page_from_wire(list_page(
        "/v1/blueprints", req.limit,
        {{"starting_after", req.starting_after}, {"name", req.name}, {"status", req.status}}));
  }

  std::vector<BlueprintLog> blueprint_logs(const std::string& id) override {
    return blueprint_logs_from_wire(
        http_.send_json(HttpRequest::get("/v1/blueprints/" + seg(id) + "/logs")));
  }

  // Runloop answers the delete with an empty object: the blueprint is read again.
  Blueprint delete_blueprint(const std::string& id) override {
    http_.send(HttpRequest::post("/v1/blueprints/" + seg(id) + "/delete", json::object()));
    Blueprint bp = get_blueprint(id);
    if (bp.state.empty()) bp.state = "deleted";
    return bp;
  }

 private:
  // GET one page of a Runloop list: `limit` clamped to 1..5000, then each of `params` that is
  // set, in the order given.
  json list_page(const std::string& path, int limit,
                 const std::vector<std::pair<const char*, std::string>>& params) const {
    auto r = HttpRequest::get(path);
    r.with_query("limit", std::to_string(std::clamp(limit, 1, 5000)));
    for (const auto& [name, value] : params)
      if (!value.empty()) r.with_query(name, value);
    return http_.send_json(r);
  }

  HttpClientOptions client_options() const { return runloop_http_options(options_); }

  static std::string exec_path(const std::string& devbox_id, const std::string& eid) {
    return "/v1/devboxes/" + seg(devbox_id) + "/executions/" + seg(eid);
  }

  static std::string command_of(const ExecRequest& req) {
    if (req.working_dir.empty()) return req.command;
    return "cd " + shell_quote(req.working_dir) + " && " + req.command;
  }

  // One long poll: the answer, or nullopt for "not yet" (408 or a transport timeout), as the
  // SDKs' wait_for_status loops treat them.
  std::optional<json> long_poll(const std::string& path, json body, std::chrono::seconds hold) {
    try {
      return http_.send_json(HttpRequest::post(path, std::move(body))
                                 .with_max_retries(0)
                                 .with_timeout(hold + std::chrono::seconds(5)));
    } catch (const PlatformError& e) {
      if (e.http_status() == 408 || (e.http_status() == 0 && e.kind() == ErrorKind::timeout))
        return std::nullopt;
      throw;
    }
  }

  Devbox lifecycle(const std::string& id, const char* action) {
    return devbox_from_wire(http_.send_json(
        HttpRequest::post("/v1/devboxes/" + seg(id) + "/" + action, json::object())));
  }

  // Long-polls the execution until it completes; kills it once the cancel fires or the timeout
  // passes (then `timed_out` says which). Throws what the calls throw.
  DevboxExecution await_or_kill(const ExecRequest& req, const DevboxExecution& started,
                                Clock::time_point start, bool& timed_out) {
    const std::string& eid = started.execution_id;
    DevboxExecution e = started;
    while (e.status != "completed") {
      if (cancel_fired(req) || (req.timeout.count() > 0 && Clock::now() - start >= req.timeout)) {
        timed_out = !cancel_fired(req);
        e = kill_execution(req.devbox_id, eid);
        if (e.status != "completed")
          e = wait_for_execution(req.devbox_id, eid, {"completed"}, std::chrono::seconds(10));
        return e;
      }
      milliseconds hold = std::chrono::seconds(1);  // short holds: cancel and timeout stay prompt
      e = wait_for_execution(req.devbox_id, eid, {"completed"}, hold);
    }
    return e;
  }

  // Streams one output stream of a running execution to req.on_output until it ends.
  void follow(const ExecRequest& req, const std::string& eid, const char* stream,
              const std::atomic<bool>& done) {
    SseLines lines([&](std::string_view line) { req.on_output(stream, line); });
    try {
      auto r = HttpRequest::get(exec_path(req.devbox_id, eid) + "/stream_" + stream + "_updates");
      r.with_header("Accept", "text/event-stream")
          .with_timeout(options_.long_timeout)
          .with_max_retries(0)
          .with_cancel([&done] { return done.load(); })
          .with_on_data([&lines](std::string_view chunk) {
            lines.feed(chunk);
            return true;
          });
      http_.execute(r);
    } catch (const std::exception& e) {
      if (!done) spdlog::debug("Runloop {} stream of {} ended: {}", stream, eid, e.what());
    }
    lines.finish();
  }

  RunloopOptions options_;
  HttpClient http_;
};

}  // namespace

RunloopOptions RunloopOptions::from_env(const EnvLookup& env) {
  RunloopOptions o;
  if (auto k = env("RUNLOOP_API_KEY")) o.api_key = *k;
  if (auto u = env("RUNLOOP_BASE_URL"); u && !u->empty()) o.base_url = *u;
  return o;
}

HttpClientOptions runloop_http_options(const RunloopOptions& options) {
  if (options.api_key.empty())
    throw PlatformError(ErrorKind::unauthorized,
                        "no Runloop API key; set RUNLOOP_API_KEY (or unset it to use local "
                        "sandboxes)");
  HttpClientOptions o;
  o.base_url = options.base_url;
  o.service = "Runloop";
  o.base_url_setting = "RUNLOOP_BASE_URL";
  o.default_headers = {{"Authorization", "Bearer " + options.api_key},
                       {"X-Stainless-Async", "false"}};
  o.secrets = {options.api_key};
  o.auth_hint = "check RUNLOOP_API_KEY";
  o.timeout = options.timeout;
  o.connect_timeout = options.connect_timeout;
  o.retry = options.retry;
  return o;
}

std::shared_ptr<DevboxService> open_runloop_devboxes(const RunloopOptions& options) {
  return std::make_shared<RunloopDevboxes>(options);
}

}  // namespace runagents::platform::remote
