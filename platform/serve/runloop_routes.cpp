#include "platform/serve/runloop_routes.hpp"

#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "platform/serve/blueprint_routes.hpp"
#include "platform/wire/devbox_json.hpp"

namespace runagents::platform::serve {

namespace {

using Req = httplib::Request;
using Res = httplib::Response;

std::vector<std::string> statuses_of(const json& body) {
  std::vector<std::string> out;
  if (body.is_object() && body.contains("statuses") && body["statuses"].is_array())
    for (const auto& s : body["statuses"])
      if (s.is_string()) out.push_back(s.get<std::string>());
  if (out.empty()) throw PlatformError(ErrorKind::invalid, "statuses must be a non-empty array");
  return out;
}

std::chrono::milliseconds hold_of(const json& body, int max_seconds) {
  int s = max_seconds;
  if (body.is_object() && body.contains("timeout_seconds") && body["timeout_seconds"].is_number())
    s = std::clamp(body["timeout_seconds"].get<int>(), 0, max_seconds);
  return std::chrono::seconds(s);
}

std::string field(const json& body, const char* name) {
  if (!body.is_object() || !body.contains(name) || !body[name].is_string())
    throw PlatformError(ErrorKind::invalid, std::string(name) + " (a string) is required");
  return body[name].get<std::string>();
}

ExecRequest exec_request(const Req& req, const json& body) {
  ExecRequest r;
  r.devbox_id = req.matches[1];
  r.command = field(body, "command");
  if (body.contains("shell_name") && body["shell_name"].is_string())
    r.shell_name = body["shell_name"].get<std::string>();
  if (body.contains("attach_stdin") && body["attach_stdin"].is_boolean())
    r.attach_stdin = body["attach_stdin"].get<bool>();
  return r;
}

// send_std_in's body, as Runloop's SDKs send it: {text?, signal?: "EOF" | "INTERRUPT"}; `close`
// (bool) is taken for EOF too.
StdinInput stdin_input(const json& body) {
  StdinInput in;
  if (!body.is_object()) return in;
  if (body.contains("text") && body["text"].is_string()) in.text = body["text"].get<std::string>();
  if (body.contains("close") && body["close"].is_boolean()) in.close = body["close"].get<bool>();
  if (body.contains("signal") && body["signal"].is_string()) {
    const auto signal = body["signal"].get<std::string>();
    if (signal == "EOF")
      in.close = true;
    else if (signal == "INTERRUPT")
      in.interrupt = true;
    else
      throw PlatformError(ErrorKind::invalid, "signal must be EOF or INTERRUPT");
  }
  return in;
}

// update's body, as Runloop's DevboxUpdateParams: {name?, metadata?}; null or absent leaves a
// field as it is. Anything else in a field is refused, naming it.
DevboxUpdateRequest update_request(const json& body) {
  DevboxUpdateRequest r;
  if (body.is_null()) return r;  // no body: nothing changes
  if (!body.is_object()) throw PlatformError(ErrorKind::invalid, "the body must be a JSON object");
  if (auto it = body.find("name"); it != body.end() && !it->is_null()) {
    if (!it->is_string()) throw PlatformError(ErrorKind::invalid, "name must be a string");
    r.name = it->get<std::string>();
  }
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object())
      throw PlatformError(ErrorKind::invalid, "metadata must be an object of strings");
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string())
        throw PlatformError(ErrorKind::invalid, "metadata." + k + " must be a string");
      m[k] = v.get<std::string>();
    }
    r.metadata = std::move(m);
  }
  return r;
}

// A long poll whose hold passed first: 408, which Runloop's SDKs' long-poll loops take as "poll
// again" (their base client would also retry it).
void reply_timeout(Res& res, const std::string& what) {
  reply_json(res, 408,
             {{"error", what + " did not reach the requested status within the hold; "
                               "poll again"}});
  res.set_header("x-should-retry", "true");
}

// The executions `execute` started, by the caller's command_id (Runloop's idempotency key for
// it): a retried POST /execute returns the same execution instead of running the command twice.
// Kept in this process, the last kKept ids; a second `platform serve` on the data dir has its own.
class CommandIds {
 public:
  // The execution started for `command_id`, or what `start` starts: once per id, even when two
  // requests with it race (the second waits for the first's start, not for every start).
  DevboxExecution find_or_start(DevboxService& d, const std::string& devbox_id,
                                const std::string& command_id,
                                const std::function<DevboxExecution()>& start) {
    if (command_id.empty()) return start();
    const std::string key = devbox_id + "/" + command_id;
    std::shared_ptr<std::promise<std::string>> mine;
    std::shared_future<std::string> started;
    {
      std::lock_guard lock(mu_);
      if (auto it = ids_.find(key); it != ids_.end()) {
        started = it->second;
      } else {
        mine = std::make_shared<std::promise<std::string>>();
        started = mine->get_future().share();
        ids_[key] = started;
        order_.push_back(key);
        if (order_.size() > kKept) {
          ids_.erase(order_.front());
          order_.pop_front();
        }
      }
    }
    if (!mine) return d.execution(devbox_id, started.get());  // get() rethrows a failed start
    try {
      DevboxExecution e = start();
      mine->set_value(e.execution_id);
      return e;
    } catch (...) {
      mine->set_exception(std::current_exception());
      std::lock_guard lock(mu_);
      ids_.erase(key);  // a later retry may start it
      throw;
    }
  }

 private:
  static constexpr std::size_t kKept = 10000;
  std::mutex mu_;
  std::map<std::string, std::shared_future<std::string>> ids_;
  std::deque<std::string> order_;
};

}  // namespace

void register_runloop_routes(RestServer& server, std::shared_ptr<DevboxService> devboxes) {
  auto d = devboxes;
  const std::string id = "/v1/devboxes/([A-Za-z0-9_.-]+)";
  const std::string exec = id + "/executions/([A-Za-z0-9_.-]+)";

  // Snapshot paths first: "disk_snapshots" would otherwise match a devbox id.
  server.get("/v1/devboxes/disk_snapshots", [d](const Req& req, Res& res) {
    SnapshotListRequest r;
    r.limit = query_int(req, "limit", 20);
    r.devbox_id = req.get_param_value("devbox_id");
    r.starting_after = req.get_param_value("starting_after");
    reply_json(res, 200, snapshot_page_to_wire(d->list_snapshots(r)));
  });
  server.get("/v1/devboxes/disk_snapshots/([A-Za-z0-9_.-]+)/status", [d](const Req& req, Res& res) {
    auto s = d->snapshot_status(req.matches[1]);
    json v = {{"status", s.status}, {"snapshot", snapshot_to_wire(s)}};
    if (!s.error_message.empty()) v["error_message"] = s.error_message;
    reply_json(res, 200, v);
  });

  server.post("/v1/devboxes", [d](const Req& req, Res& res) {
    auto r = create_request_from_wire(body_json(req));
    reply_json(res, 200, devbox_to_wire(d->create(r, {})));
  });
  // Create, then hold up to 25 s for running or failure; answered 200 with the devbox as it is
  // (never 408: the SDKs retry a 408, which would create a second devbox). The hold stays under
  // the SDKs' default 30 s request timeout, and createAndAwaitRunning goes on with
  // wait_for_status when the devbox is not running yet.
  server.post("/v1/devboxes/create_and_await_running", [d](const Req& req, Res& res) {
    auto r = create_request_from_wire(body_json(req));
    reply_json(res, 200, devbox_to_wire(d->create_and_await_running(r, std::chrono::seconds(25))));
  });
  server.post("/v1/devboxes/disk_snapshots/([A-Za-z0-9_.-]+)/delete",
              [d](const Req& req, Res& res) {
                d->delete_snapshot(req.matches[1]);
                reply_json(res, 200, json::object());
              });
  server.post(id, [d](const Req& req, Res& res) {
    reply_json(res, 200, devbox_to_wire(d->update(req.matches[1], update_request(body_json(req)))));
  });
  server.get("/v1/devboxes", [d](const Req& req, Res& res) {
    DevboxListRequest r;
    r.limit = query_int(req, "limit", 20);
    r.starting_after = req.get_param_value("starting_after");
    r.status = req.get_param_value("status");
    reply_json(res, 200, devbox_page_to_wire(d->list(r)));
  });
  server.get(id, [d](const Req& req, Res& res) {
    reply_json(res, 200, devbox_to_wire(d->get(req.matches[1])));
  });
  server.post(id + "/wait_for_status", [d](const Req& req, Res& res) {
    json body = body_json(req);
    auto statuses = statuses_of(body);
    auto v = d->wait_for_status(req.matches[1], statuses, hold_of(body, 30));
    if (std::find(statuses.begin(), statuses.end(), v.status) == statuses.end())
      return reply_timeout(res, "devbox " + v.id);
    reply_json(res, 200, devbox_to_wire(v));
  });

  server.post(id + "/execute_sync", [d](const Req& req, Res& res) {
    auto e = d->execute(exec_request(req, body_json(req)));
    json v = {{"devbox_id", e.devbox_id},
              {"exit_status", e.exit_status.value_or(-1)},
              {"stdout", to_valid_utf8(e.stdout_text)},
              {"stderr", to_valid_utf8(e.stderr_text)}};
    if (!e.shell_name.empty()) v["shell_name"] = e.shell_name;
    reply_json(res, 200, v);
  });
  server.post(id + "/execute_async", [d](const Req& req, Res& res) {
    reply_json(res, 200, execution_to_wire(d->execute_async(exec_request(req, body_json(req)))));
  });
  // The newer single call: start (once per command_id), then wait up to optimistic_timeout
  // (<= 25 s, default 25, as Runloop's) for completion; the command is not killed when the wait
  // ends.
  auto command_ids = std::make_shared<CommandIds>();
  server.post(id + "/execute", [d, command_ids](const Req& req, Res& res) {
    json body = body_json(req);
    const ExecRequest r = exec_request(req, body);
    std::string command_id;
    if (body.contains("command_id") && body["command_id"].is_string())
      command_id = body["command_id"].get<std::string>();
    auto e = command_ids->find_or_start(*d, r.devbox_id, command_id,
                                        [&] { return d->execute_async(r); });
    int wait = 25;
    if (body.is_object() && body.contains("optimistic_timeout") &&
        body["optimistic_timeout"].is_number())
      wait = std::clamp(body["optimistic_timeout"].get<int>(), 0, 25);
    if (wait > 0)
      e = d->wait_for_execution(e.devbox_id, e.execution_id, {"completed"},
                                std::chrono::seconds(wait));
    reply_json(res, 200, execution_to_wire(e));
  });
  server.get(exec, [d](const Req& req, Res& res) {
    reply_json(res, 200, execution_to_wire(d->execution(req.matches[1], req.matches[2])));
  });
  server.post(exec + "/wait_for_status", [d](const Req& req, Res& res) {
    json body = body_json(req);
    auto statuses = statuses_of(body);
    auto e = d->wait_for_execution(req.matches[1], req.matches[2], statuses, hold_of(body, 25));
    if (std::find(statuses.begin(), statuses.end(), e.status) == statuses.end())
      return reply_timeout(res, "execution " + e.execution_id);
    reply_json(res, 200, execution_to_wire(e));
  });
  server.post(exec + "/kill", [d](const Req& req, Res& res) {
    reply_json(res, 200, execution_to_wire(d->kill_execution(req.matches[1], req.matches[2])));
  });
  server.post(exec + "/send_std_in", [d](const Req& req, Res& res) {
    try {
      d->send_stdin(req.matches[1], req.matches[2], stdin_input(body_json(req)));
    } catch (const PlatformError& e) {
      // Runloop's SDKs retry a 409 (as a lock timeout); this one will not change by retrying.
      if (e.kind() != ErrorKind::conflict) throw;
      reply_error(res, e);
      res.set_header("x-should-retry", "false");
      return;
    }
    reply_json(
        res, 200,
        {{"devbox_id", req.matches[1]}, {"execution_id", req.matches[2]}, {"success", true}});
  });
  server.get(id + "/logs", [d](const Req& req, Res& res) {
    DevboxLogsRequest r;
    r.execution_id = req.get_param_value("execution_id");
    r.shell_name = req.get_param_value("shell_name");
    reply_json(res, 200, logs_to_wire(d->logs(req.matches[1], r)));
  });
  server.get(id + "/usage", [d](const Req& req, Res& res) {
    reply_json(res, 200, usage_to_wire(d->usage(req.matches[1])));
  });
  for (const char* stream : {"stdout", "stderr"}) {
    const bool is_stdout = std::string(stream) == "stdout";
    server.get(exec + "/stream_" + stream + "_updates", [d, is_stdout](const Req& req, Res& res) {
      const std::string devbox_id = req.matches[1], eid = req.matches[2];
      d->execution(devbox_id, eid);  // 404 before the stream starts
      std::size_t start = 0;
      if (req.has_param("offset")) start = std::stoul(req.get_param_value("offset"));
      res.set_chunked_content_provider(
          "text/event-stream",
          [d, devbox_id, eid, is_stdout, sent = start](size_t, httplib::DataSink& sink) mutable {
            try {
              for (;;) {
                auto e = d->execution(devbox_id, eid);
                const std::string& out = is_stdout ? e.stdout_text : e.stderr_text;
                if (out.size() > sent) {
                  json chunk = {{"output", to_valid_utf8(std::string_view(out).substr(sent))},
                                {"offset", out.size()}};
                  std::string frame = "data: " + chunk.dump() + "\n\n";
                  if (!sink.is_writable() || !sink.write(frame.data(), frame.size())) return false;
                  sent = out.size();
                }
                if (e.status == "completed") break;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
                if (!sink.is_writable()) return false;
              }
              sink.done();
              return true;
            } catch (const std::exception&) {
              return false;
            }
          });
    });
  }

  server.post(id + "/read_file_contents", [d](const Req& req, Res& res) {
    auto f = d->read_file(req.matches[1], field(body_json(req), "file_path"), 0, std::nullopt);
    res.status = 200;
    res.set_content(f.data, "text/plain; charset=utf-8");
  });
  server.post(id + "/download_file", [d](const Req& req, Res& res) {
    auto f = d->read_file(req.matches[1], field(body_json(req), "path"), 0, std::nullopt);
    res.status = 200;
    res.set_content(f.data, "application/octet-stream");
  });
  server.post(id + "/write_file_contents", [d](const Req& req, Res& res) {
    json body = body_json(req);
    d->write_file(req.matches[1], field(body, "file_path"), field(body, "contents"));
    reply_json(res, 200,
               {{"devbox_id", req.matches[1]}, {"exit_status", 0}, {"stdout", ""}, {"stderr", ""}});
  });
  server.post(id + "/upload_file", [d](const Req& req, Res& res) {
    if (!req.has_file("path") || !req.has_file("file"))
      throw PlatformError(ErrorKind::invalid,
                          "upload_file needs a multipart/form-data body with fields path and file");
    d->write_file(req.matches[1], req.get_file_value("path").content,
                  req.get_file_value("file").content);
    reply_json(res, 200, json::object());
  });

  server.post(id + "/suspend", [d](const Req& req, Res& res) {
    reply_json(res, 200, devbox_to_wire(d->suspend(req.matches[1])));
  });
  server.post(id + "/resume", [d](const Req& req, Res& res) {
    reply_json(res, 200, devbox_to_wire(d->resume(req.matches[1])));
  });
  server.post(id + "/keep_alive", [d](const Req& req, Res& res) {
    d->keep_alive(req.matches[1]);
    reply_json(res, 200, json::object());
  });
  server.post(id + "/shutdown", [d](const Req& req, Res& res) {
    reply_json(res, 200, devbox_to_wire(d->shutdown(req.matches[1])));
  });

  // Tunnels: Runloop's enable_tunnel (the devbox's TunnelView) and the per-port create_tunnel
  // (a DevboxTunnelView with the URL, here http://127.0.0.1:<port>); remove_tunnel closes one
  // port, or the whole tunnel without a port, as Runloop's does.
  server.post(id + "/enable_tunnel", [d](const Req& req, Res& res) {
    json body = body_json(req);
    std::string mode = body.is_object() ? body.value("auth_mode", "") : "";
    reply_json(res, 200, tunnel_view_to_wire(d->enable_tunnel(req.matches[1], mode)));
  });
  server.post(id + "/create_tunnel", [d](const Req& req, Res& res) {
    json body = body_json(req);
    if (!body.is_object() || !body.contains("port") || !body["port"].is_number_integer())
      throw PlatformError(ErrorKind::invalid, "port (an integer) is required");
    reply_json(res, 200, tunnel_to_wire(d->create_tunnel(req.matches[1], body["port"].get<int>())));
  });
  server.post(id + "/remove_tunnel", [d](const Req& req, Res& res) {
    json body = body_json(req);
    int port = body.is_object() && body.contains("port") && body["port"].is_number_integer()
                   ? body["port"].get<int>()
                   : 0;
    d->remove_tunnel(req.matches[1], port);
    reply_json(res, 200, json::object());
  });
  for (const char* kind : {"snapshot_disk", "snapshot_disk_async"}) {
    const bool async = std::string(kind) == "snapshot_disk_async";
    server.post(id + "/" + kind, [d, async](const Req& req, Res& res) {
      json body = body_json(req);
      SnapshotRequest r;
      r.async = async;
      if (body.is_object()) {
        r.name = body.value("name", "");
        r.commit_message = body.value("commit_message", "");
        if (body.contains("metadata") && body["metadata"].is_object())
          for (const auto& [k, v] : body["metadata"].items())
            if (v.is_string()) r.metadata[k] = v.get<std::string>();
      }
      reply_json(res, 200, snapshot_to_wire(d->snapshot(req.matches[1], r)));
    });
  }

  register_blueprint_routes(server, d);
}

}  // namespace runagents::platform::serve
