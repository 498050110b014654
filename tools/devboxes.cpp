// Tools of the devboxes domain: create_devbox, devbox_exec, manage_devbox. They reach devboxes
// only through platform::DevboxService (local sandboxes or Runloop).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>

#include "platform/common/clip.hpp"
#include "platform/common/utf8.hpp"
#include "platform/wire/devbox_json.hpp"
#include "server/base64.hpp"
#include "server/tasks/remote_task.hpp"
#include "tools/devbox_blueprints.hpp"
#include "tools/devbox_transfer.hpp"
#include "tools/domains.hpp"
#include "tools/list_results.hpp"
#include "tools/request_cancel.hpp"
#include "tools/result_limits.hpp"
#include "tools/source_changes.hpp"

namespace runagents::tools {

namespace {

using platform::DevboxService;
using json = mcp::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Characters of each output stream kept in a result: the head and the tail.
constexpr std::size_t kStreamHead = 4000;
constexpr std::size_t kStreamTail = 4000;
// Bytes of each stream the devbox keeps for the full-output file.
constexpr std::size_t kCaptureBytes = 8u << 20;
// Bytes read_file returns at most per call.
constexpr std::uint64_t kReadMax = 20000;

json tunnel_json(const platform::DevboxTunnel& t) {
  return {{"devbox_id", t.devbox_id}, {"port", t.port}, {"url", t.url}};
}

json devbox_json(const platform::Devbox& d) {
  json j = {{"id", d.id},
            {"name", d.name},
            {"status", d.status},
            {"create_time_ms", d.create_time_ms},
            {"metadata", d.metadata},
            {"keep_alive_seconds", d.launch_parameters.keep_alive_time_seconds},
            {"on_idle", d.launch_parameters.on_idle},
            {"network", d.launch_parameters.network}};
  if (d.end_time_ms) j["end_time_ms"] = d.end_time_ms;
  if (!d.snapshot_id.empty()) j["snapshot_id"] = d.snapshot_id;
  if (!d.blueprint_id.empty()) j["blueprint_id"] = d.blueprint_id;
  if (!d.failure_reason.empty()) j["failure_reason"] = d.failure_reason;
  if (!d.shutdown_reason.empty()) j["shutdown_reason"] = d.shutdown_reason;
  if (!d.tunnels.empty()) {
    j["tunnels"] = json::array();
    for (const auto& t : d.tunnels) j["tunnels"].push_back(tunnel_json(t));
  }
  return j;
}

json log_json(const platform::DevboxLog& l) {
  json j = {{"timestamp_ms", l.timestamp_ms},
            {"source", l.source},
            {"level", l.level},
            {"message", common::to_valid_utf8(l.message)}};
  if (!l.cmd.empty()) j["cmd"] = common::to_valid_utf8(l.cmd);
  if (!l.cmd_id.empty()) j["execution_id"] = l.cmd_id;
  if (l.exit_code) j["exit_code"] = *l.exit_code;
  if (!l.shell_name.empty()) j["shell_name"] = l.shell_name;
  return j;
}

json usage_json(const platform::DevboxUsage& u) {
  json j = {{"devbox_id", u.id},
            {"status", u.status},
            {"total_active_seconds", u.total_active_seconds},
            {"total_elapsed_seconds", u.total_elapsed_seconds},
            {"vcpu_seconds", u.vcpu_seconds},
            {"memory_gb_seconds", u.memory_gb_seconds},
            {"disk_gb_seconds", u.disk_gb_seconds},
            {"unavailable", u.unavailable}};
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  j["cpu_time_seconds"] = opt(u.cpu_time_seconds);
  j["peak_memory_bytes"] = opt(u.peak_memory_bytes);
  j["memory_bytes"] = opt(u.memory_bytes);
  j["disk_bytes"] = opt(u.disk_bytes);
  return j;
}

// One sentence on a usage: the measured figures, and which are missing and why.
std::string usage_text(const platform::DevboxUsage& u) {
  auto mb = [](std::int64_t b) { return std::to_string((b + (1 << 19)) >> 20) + " MB"; };
  std::string t = "devbox " + u.id + " (" + u.status + ") ran " +
                  std::to_string(static_cast<long long>(u.total_active_seconds)) + " s";
  if (u.cpu_time_seconds) t += ", CPU time " + std::to_string(*u.cpu_time_seconds) + " s";
  if (u.peak_memory_bytes) t += ", peak memory " + mb(*u.peak_memory_bytes);
  if (u.disk_bytes) t += ", home on disk " + mb(*u.disk_bytes);
  for (const auto& [field, why] : u.unavailable) t += "; " + field + " unavailable: " + why;
  return t;
}

json snapshot_json(const platform::DevboxSnapshot& s) {
  json j = {{"id", s.id},
            {"name", s.name},
            {"status", s.status},
            {"create_time_ms", s.create_time_ms},
            {"source_devbox_id", s.source_devbox_id},
            {"size_bytes", s.size_bytes}};
  if (!s.error_message.empty()) j["error_message"] = s.error_message;
  if (!s.skipped.empty()) j["skipped"] = s.skipped;
  return j;
}

// Cuts `text` to head + marker + tail on UTF-8 boundaries; returns whether it cut.
bool cut_output(std::string& text, const std::string& marker) {
  if (text.size() <= kStreamHead + kStreamTail + 200) return false;
  text = common::clip_middle(text, kStreamHead, kStreamTail, "\n" + marker + "\n");
  return true;
}

// execution_status with wait_seconds: the execution once it completes, or as it is when the time
// passes or the request is cancelled. Waits in short slices (each one long poll on Runloop, a
// wait on the process locally) so a cancel is honoured within a couple of seconds, with a
// heartbeat progress notification between slices when the request asked for progress.
platform::DevboxExecution await_execution(DevboxService& devboxes, const std::string& id,
                                          const std::string& eid, std::chrono::seconds wait,
                                          mcp::RequestContext& ctx) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + wait;
  auto e = devboxes.execution(id, eid);
  while (e.status != "completed" && !ctx.cancelled()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    e = devboxes.wait_for_execution(id, eid, {"completed"},
                                    std::min(left, std::chrono::milliseconds(2000)));
    if (e.status != "completed" && ctx.has_progress_token() &&
        Clock::now() - ctx.last_progress_at() >= std::chrono::seconds(10))
      ctx.heartbeat(
          "execution " + eid + " is " + e.status + " (waited " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count()) +
          " s)");
  }
  return e;
}

// One stream of an execution whose output was kept in a file of the devbox: its head and tail in
// the result, and a note that names the file (and says when it holds only the first part).
void kept_output_json(json& j, std::vector<std::string>& notes, const std::string& name,
                      std::string text, const platform::DevboxOutputFile& file) {
  const bool whole = file.kept_bytes == file.total_bytes;
  // The stored text is the whole stream, or its head and tail around a marker (64 KiB at most).
  const bool cut = cut_output(text, "[... output cut here; " +
                                        std::string(whole ? "the whole " : "the first part of ") +
                                        name + " is in " + file.path + " ...]");
  if (cut) {
    std::string n =
        name + " (" + std::to_string(file.total_bytes) + " bytes) was cut to its head and tail; ";
    if (whole)
      n += "the whole of it is in " + file.path;
    else
      n += file.path + " holds its first " + std::to_string(file.kept_bytes) + " bytes" +
           (file.error.empty() ? " (the most kept per stream; redirect larger output to a file "
                                 "in the command)"
                               : " (" + file.error + ")");
    notes.push_back(n + ": read it with manage_devbox action=read_file path=" + file.path +
                    " and offset/length");
  }
  j[name] = common::to_valid_utf8(text);
  j[name + "_truncated"] = cut;
}

// The execution as devbox_exec / execution_status return it: output capped in the result; when
// cut, the note says which file in the devbox home has the rest: the one the local platform
// streamed it to (kept_output_json), or, on a remote face, the captured output written there now.
json execution_json(DevboxService& devboxes, platform::DevboxExecution e) {
  json j = {{"devbox_id", e.devbox_id}, {"execution_id", e.execution_id}, {"status", e.status}};
  if (!e.shell_name.empty()) j["shell_name"] = e.shell_name;
  if (e.status != "completed") return j;
  j["exit_code"] = e.exit_status.value_or(-1);
  if (e.duration_ms) j["duration_ms"] = e.duration_ms;
  if (e.timed_out) j["timed_out"] = true;
  if (e.killed) j["killed"] = true;
  std::vector<std::string> notes;
  if (!e.note.empty()) notes.push_back(e.note);
  for (auto [name, text, truncated, file] :
       {std::tuple<const char*, std::string*, bool,
                   const std::optional<platform::DevboxOutputFile>*>{
            "stdout", &e.stdout_text, e.stdout_truncated, &e.stdout_file},
        {"stderr", &e.stderr_text, e.stderr_truncated, &e.stderr_file}}) {
    if (*file) {  // kept whole in the devbox as it streamed
      kept_output_json(j, notes, name, *text, **file);
      continue;
    }
    const std::size_t total = text->size();
    std::string shown = *text;
    std::string path = ".runagents/exec/" +
                       (e.execution_id.empty() ? std::string("last") : e.execution_id) + "." + name;
    bool cut = cut_output(shown, "[... output cut here; the whole " + std::string(name) +
                                     " is in /home/user/" + path + " ...]");
    if (cut) {
      try {
        devboxes.write_file(e.devbox_id, path, *text);
        notes.push_back(std::string(name) + " (" + std::to_string(total) +
                        " bytes) was cut to its first and last " + std::to_string(kStreamHead) +
                        " characters; read the rest with "
                        "manage_devbox action=read_file path=/home/user/" +
                        path + " and offset/length");
      } catch (const std::exception& ex) {
        notes.push_back(std::string(name) + " was cut to its first and last " +
                        std::to_string(kStreamHead) +
                        " characters; saving the whole output failed: " + ex.what());
      }
    }
    if (truncated)
      notes.push_back(std::string(name) +
                      " exceeded what the devbox keeps: its middle was dropped (the tail is "
                      "kept); redirect large output to a file in the command instead");
    j[name] = common::to_valid_utf8(shown);
    j[std::string(name) + "_truncated"] = truncated || cut;
  }
  if (!notes.empty()) {
    std::string n;
    for (const auto& s : notes) n += (n.empty() ? "" : " ") + s + (s.back() == '.' ? "" : ".");
    j["note"] = n;
  }
  return j;
}

std::string execution_text(const json& j) {
  std::string t = "execution " + j.value("execution_id", std::string()) + " " +
                  j.value("status", std::string());
  if (j.contains("exit_code")) t += ", exit code " + std::to_string(j["exit_code"].get<int>());
  if (j.contains("duration_ms"))
    t += " (" + std::to_string(j["duration_ms"].get<std::int64_t>()) + " ms)";
  if (j.contains("note")) t += "\nnote: " + j["note"].get<std::string>();
  if (j.contains("stdout")) t += "\n--- stdout ---\n" + j["stdout"].get<std::string>();
  if (j.contains("stderr") && !j["stderr"].get<std::string>().empty())
    t += "\n--- stderr ---\n" + j["stderr"].get<std::string>();
  return t;
}

// Sends output lines as progress notifications (message = latest line), at most 20 a second.
class ProgressLines {
 public:
  explicit ProgressLines(mcp::RequestContext& ctx) : ctx_(ctx) {}
  void line(std::string_view stream, std::string_view text) {
    std::lock_guard lock(mu_);
    ++lines_;
    latest_ = (stream == "stderr" ? "[stderr] " : "") + std::string(text.substr(0, 500));
    pending_ = true;
    if (Clock::now() - last_ >= std::chrono::milliseconds(50)) flush_locked();
  }
  void flush() {
    std::lock_guard lock(mu_);
    if (pending_) flush_locked();
  }

 private:
  void flush_locked() {
    ctx_.progress(static_cast<double>(lines_), std::nullopt, common::to_valid_utf8(latest_));
    last_ = Clock::now();
    pending_ = false;
  }
  mcp::RequestContext& ctx_;
  std::mutex mu_;
  std::uint64_t lines_ = 0;
  std::string latest_;
  bool pending_ = false;
  Clock::time_point last_{};
};

// A devbox_exec call's request, as the arguments give it.
platform::ExecRequest exec_request(const json& args) {
  platform::ExecRequest r;
  r.devbox_id = args.at("devbox_id").get<std::string>();
  r.command = args.at("command").get<std::string>();
  r.shell_name = args.value("shell_name", "");
  r.working_dir = args.value("working_dir", "");
  r.timeout = std::chrono::seconds(args.value("timeout_seconds", 120));
  r.output_cap = kCaptureBytes;
  r.keep_output_files = true;  // local: the output goes to files, not the server's memory
  r.attach_stdin = args.value("attach_stdin", false);
  return r;
}

// Where tasks/cancel records, in the devbox itself, that it killed an execution: the service
// keeps no such flag, and the task must read `cancelled` from any replica afterwards.
std::string cancel_marker(const std::string& execution_id) {
  return ".runagents/exec/" + execution_id + ".cancelled";
}

// devbox_exec as a task on a remote face (Runloop): the command runs as the service's async
// execution and the task is a handle on it, {devbox_id, execution_id, timeout_s, started_ms}.
// The timeout is enforced by whichever replica polls after it has passed (it kills the command);
// a cancel writes the marker above, then kills.
std::shared_ptr<const mcp::RemoteTaskOps> remote_exec_task(
    const std::shared_ptr<DevboxService>& devboxes) {
  auto ops = std::make_shared<mcp::RemoteTaskOps>();
  ops->start = [devboxes](const json& args, mcp::RequestContext&) -> std::optional<json> {
    platform::ExecRequest r = exec_request(args);
    auto e = devboxes->execute_async(r);
    return json{{"devbox_id", r.devbox_id},
                {"execution_id", e.execution_id},
                {"timeout_s", r.timeout.count()},
                {"started_ms", mcp::now_epoch_ms()}};
  };
  ops->poll = [devboxes](const json& h) {
    const std::string id = h.value("devbox_id", "");
    const std::string eid = h.value("execution_id", "");
    const std::int64_t timeout_ms = h.value("timeout_s", std::int64_t{0}) * 1000;
    const std::int64_t elapsed_ms = mcp::now_epoch_ms() - h.value("started_ms", std::int64_t{0});
    mcp::RemoteTaskState state;
    platform::DevboxExecution e;
    try {
      e = devboxes->execution(id, eid);
      if (e.status != "completed" && timeout_ms > 0 && elapsed_ms >= timeout_ms)
        e = devboxes->kill_execution(id, eid);
    } catch (const platform::PlatformError& err) {
      if (err.kind() != platform::ErrorKind::not_found) throw;
      state.status = mcp::TaskStatus::failed;
      state.error = {{"code", mcp::error_code::internal_error}, {"message", err.what()}};
      state.message = err.what();
      return state;
    }
    if (e.status != "completed") {
      state.message =
          "execution " + eid + " is " + e.status + " (" + std::to_string(elapsed_ms / 1000) + " s)";
      return state;
    }
    const bool by_signal = e.killed || !e.exit_status || *e.exit_status >= 128;
    if (by_signal) {
      bool cancelled = false;
      try {
        devboxes->read_file(id, cancel_marker(eid), 0, 1);
        cancelled = true;
      } catch (const platform::PlatformError&) {
      }
      if (cancelled) {
        state.status = mcp::TaskStatus::cancelled;
        state.message = "the client cancelled the task (tasks/cancel); the command was killed";
        return state;
      }
      if (timeout_ms > 0 && elapsed_ms >= timeout_ms) {
        e.timed_out = e.killed = true;
        if (e.note.empty()) e.note = "killed after the timeout";
      }
    }
    json out = execution_json(*devboxes, e);
    state.status = mcp::TaskStatus::completed;
    state.result = mcp::ToolResult::structured(out, execution_text(out)).to_json();
    return state;
  };
  ops->cancel = [devboxes](const json& h) {
    const std::string id = h.value("devbox_id", "");
    const std::string eid = h.value("execution_id", "");
    if (devboxes->execution(id, eid).status == "completed") return;  // nothing left to stop
    devboxes->write_file(id, cancel_marker(eid), "cancelled by tasks/cancel\n");
    devboxes->kill_execution(id, eid);
  };
  return ops;
}

// create_devbox's source (source_path, source_name, install_command), its path checked against
// what the server may read; nullopt without source_path.
std::optional<platform::DevboxSource> devbox_source(const json& args, const HostPathPolicy& paths,
                                                    mcp::RequestContext& ctx) {
  if (!args.contains("source_path")) {
    for (const char* key : {"source_name", "install_command"})
      if (args.contains(key))
        throw platform::PlatformError(platform::ErrorKind::invalid,
                                      std::string(key) + " needs source_path; nothing was created");
    return std::nullopt;
  }
  std::string path = args["source_path"].get<std::string>();
  if (path.rfind("file:", 0) == 0) {
    const std::string local = path_of_file_uri(path);
    if (local.empty())
      throw platform::PlatformError(
          platform::ErrorKind::invalid,
          "source_path " + path + " is not a file:// URI of this machine (file:///path)");
    path = local;
  }
  platform::DevboxSource source;
  source.host_dir = allowed_host_path(paths, ctx, path).string();
  source.name =
      args.value("source_name", std::filesystem::path(source.host_dir).filename().string());
  source.install_command = args.value("install_command", "");
  return source;
}

}  // namespace

void register_devbox_tools(mcp::ToolRegistry& registry, const platform::Platform& platform,
                           const HostPathPolicy& host_paths) {
  auto devboxes = platform.devboxes;
  if (!devboxes) return;  // a bundle without devboxes (tests of other domains)

  auto create = platform_tool(
      "create_devbox", "Create a devbox", "devboxes",
      "Create a devbox: an isolated Linux sandbox with its own home directory (/home/user) for "
      "running code away from the user's machine. Returns the devbox once it is running (id, "
      "status, ...); pass its id to devbox_exec and manage_devbox. Optional: snapshot_id to start "
      "from a snapshot's files, environment_variables, secrets (variable -> name of a secret the "
      "user stored; values show as [REDACTED]), code_mounts (git repositories cloned into "
      "/home/user/<repo_name>, as Runloop's: repo_owner, repo_name, git_ref, token, "
      "install_command; locally they need network=true unless git_url is file:// inside the "
      "devbox), mounts (Runloop's code_mount and file_mount), file_mounts (path -> text content, "
      "relative to /home/user), launch_commands (run in order before it is ready; one failing "
      "fails the devbox), network (local sandboxes have no network unless true), resources, "
      "keep_alive_seconds (idle time before it is shut down, or suspended with on_idle=suspend; "
      "default 3600). source_path copies a project of the user's machine (a directory, or a "
      "file:// git repository, inside the client's roots) into /home/user/<its name> as git "
      "would commit it (ignored files left out) and commits it as a baseline; install_command "
      "then runs there; later manage_devbox action=diff shows what changed. blueprint_name (or "
      "blueprint_id) starts from a blueprint built with manage_devbox action=create_blueprint: "
      "what its setup installed in /home/user is there at once. "
      "Shut devboxes down with manage_devbox action=shutdown when done.",
      platform);
  create.annotations.read_only = false;
  create.annotations.destructive = false;
  create.annotations.idempotent = false;
  create.handler = [devboxes, host_paths](const json& args, mcp::RequestContext& ctx) {
    platform::DevboxCreateRequest r;
    r.name = args.value("name", "");
    r.source = devbox_source(args, host_paths, ctx);
    r.snapshot_id = args.value("snapshot_id", "");
    r.blueprint_id = args.value("blueprint_id", "");
    r.blueprint_name = args.value("blueprint_name", "");
    r.environment_variables = string_map_arg(args, "environment_variables");
    r.secrets = string_map_arg(args, "secrets");
    r.file_mounts = string_map_arg(args, "file_mounts");
    platform::mounts_from_wire(args, r);
    r.metadata = string_map_arg(args, "metadata");
    if (args.contains("launch_commands"))
      r.launch_parameters.launch_commands = args["launch_commands"].get<std::vector<std::string>>();
    if (args.contains("network")) {
      r.launch_parameters.network = args["network"].get<bool>();
      r.network_set = true;
    }
    r.launch_parameters.keep_alive_time_seconds = args.value("keep_alive_seconds", 3600);
    r.launch_parameters.on_idle = args.value("on_idle", "shutdown");
    if (args.contains("resources")) {
      const json& res = args["resources"];
      auto& rr = r.launch_parameters.resources;
      rr.resource_size_request = res.value("size", "");
      rr.custom_gb_memory = res.value("memory_gb", 0);
      if (rr.custom_gb_memory && rr.resource_size_request.empty())
        rr.resource_size_request = "CUSTOM_SIZE";
      rr.custom_cpu_cores = res.value("cpu_cores", 0);
      rr.cpu_seconds = res.value("cpu_seconds", std::uint64_t{0});
      rr.max_processes = res.value("max_processes", std::uint64_t{0});
      rr.open_files = res.value("open_files", std::uint64_t{0});
      rr.file_size_mb = res.value("file_size_mb", std::uint64_t{0});
    }
    int step = 0;
    auto d = devboxes->create(
        r, [&](const std::string& message) { ctx.progress(++step, std::nullopt, message); });
    json out = devbox_json(d);
    std::string text =
        "devbox " + d.id + " is " + d.status + "; run commands with devbox_exec devbox_id=" + d.id;
    if (r.source) {
      out["source_dir"] = "/home/user/" + r.source->name;
      text += " working_dir=/home/user/" + r.source->name +
              " (the project, committed as the baseline: manage_devbox action=diff shows what "
              "changed since)";
    }
    return mcp::ToolResult::structured(out, text + "\n" + out.dump());
  };
  create.long_running = true;  // image start-up and setup commands can take minutes
  create.task_support = mcp::TaskSupport::optional;
  registry.add(std::move(create));

  auto exec = platform_tool(
      "devbox_exec", "Run a command in a devbox", "devboxes",
      "Run a bash command in a running devbox and return exit_code, stdout, stderr and "
      "duration_ms. The command starts in /home/user (or working_dir). With shell_name it runs "
      "in a persistent named shell that keeps the working directory and exported variables "
      "between calls; without, each call gets a fresh shell. timeout_seconds (default 120, max "
      "3600) kills the command and everything it started. While it runs, output lines arrive as "
      "progress notifications when the request has a progress token; cancelling the request "
      "kills the command. Long output is cut to its head and tail with a marker, and the whole "
      "output is saved in the devbox (the note gives the path for manage_devbox "
      "action=read_file). For anything that may take over a minute (builds, test suites, "
      "installs), pass async=true: it returns an execution_id at once; then call manage_devbox "
      "action=execution_status with wait_seconds=50 until status is completed (each call returns "
      "as soon as the command ends), and stop it with action=kill_execution. With async=true "
      "and attach_stdin=true the command's stdin stays open: feed it with manage_devbox "
      "action=send_stdin.",
      platform);
  exec.annotations.read_only = false;
  exec.annotations.destructive = true;
  exec.annotations.idempotent = false;
  exec.handler = [devboxes](const json& args, mcp::RequestContext& ctx) {
    platform::ExecRequest r = exec_request(args);
    if (r.attach_stdin && !args.value("async", false))
      throw platform::PlatformError(platform::ErrorKind::invalid,
                                    "attach_stdin needs async=true; then give the command its "
                                    "input with manage_devbox action=send_stdin");
    if (args.value("async", false)) {
      auto e = devboxes->execute_async(r);
      json out = execution_json(*devboxes, e);
      return mcp::ToolResult::structured(
          out, "started execution " + e.execution_id + " (" + e.status +
                   "); poll it with manage_devbox action=execution_status devbox_id=" +
                   r.devbox_id + " execution_id=" + e.execution_id);
    }
    ProgressLines progress(ctx);
    if (ctx.has_progress_token())
      r.on_output = [&progress](std::string_view s, std::string_view l) { progress.line(s, l); };
    RequestCancel cancel(ctx.cancellation());
    r.cancel = cancel.signal();
    auto e = devboxes->execute(r);
    progress.flush();
    json out = execution_json(*devboxes, e);
    return mcp::ToolResult::structured(out, execution_text(out));
  };
  exec.long_running = true;
  exec.task_support = mcp::TaskSupport::optional;
  exec.task_worthy = [](const json& args) { return !args.value("async", false); };
  if (auto face = platform.faces.find("devboxes");
      face != platform.faces.end() && face->second.kind == "remote")
    exec.remote_task = remote_exec_task(devboxes);
  registry.add(std::move(exec));

  auto manage = platform_tool(
      "manage_devbox", "Manage devboxes", "devboxes",
      "Inspect and control devboxes. action: list (devboxes, newest first; limit, "
      "starting_after), get (devbox_id), read_file (devbox_id, path; offset and length in bytes "
      "page through big files; encoding base64 for binary), write_file (devbox_id, path, "
      "contents; encoding base64 for binary; replaces the file, creating directories), "
      "execution_status (devbox_id, execution_id: status, and output once completed; "
      "wait_seconds up to 50 waits for it to complete and returns as soon as it does), "
      "kill_execution (devbox_id, execution_id), send_stdin (devbox_id, execution_id of a "
      "running command started with async=true attach_stdin=true; text, and close=true for end "
      "of input, or interrupt=true for Ctrl-C), logs (devbox_id: status changes, launch "
      "commands, each command and its exit status, file writes; the last `limit` lines, of one "
      "execution_id if given), usage (devbox_id: CPU time, peak memory, bytes of the home on "
      "disk, active and elapsed seconds; says which figures are unavailable and why), suspend "
      "(freezes every process; exec is "
      "refused until resume), resume, keep_alive (restarts the idle timer), snapshot (devbox_id, "
      "snapshot_name: saves the home; create_devbox snapshot_id=... starts a new devbox from "
      "it; snapshots outlive the devbox), list_snapshots (optionally of one devbox_id), tunnel "
      "(devbox_id, port: makes a server listening on that port in the devbox reachable from "
      "the host; returns its url, e.g. for a dev server started with devbox_exec async), "
      "remove_tunnel (devbox_id, port; without port every tunnel), shutdown (kills everything "
      "and deletes the devbox's files; final). Tunnels end when the devbox is suspended or shut "
      "down. For a devbox created with source_path: diff (devbox_id: the unified diff of the "
      "project against its baseline, new files included, binary files listed; long diffs come "
      "in pages: call again with the next_offset as offset) and changed_files (devbox_id: each "
      "changed path with status added, modified, deleted or renamed); apply the diff to the "
      "user's project with your own file tools. upload (devbox_id, host_path: a file or directory "
      "of the user's machine inside the client's roots; path in the devbox, default "
      "/home/user/<its name>) and download (devbox_id, path, host_path: a new path there) move "
      "files and whole trees, symlinks as links; upload with object_name instead of devbox_id "
      "stores host_path as a storage object (a directory as a tgz) and returns its id, for "
      "create_devbox mounts [{type: object_mount, object_id, object_path}] and run_query "
      "object://ID. Blueprints, a home set up once and started "
      "from many times (create_devbox blueprint_name=...): create_blueprint (blueprint_name; "
      "system_setup_commands and/or a dockerfile starting FROM runagents/devbox locally, with "
      "RUN, ENV, ARG, WORKDIR, COPY; file_mounts, build_args, secrets, base_blueprint_name; the "
      "build runs with network; wait_seconds up to 50 waits for it), get_blueprint "
      "(blueprint_id; wait_seconds), list_blueprints, blueprint_logs (blueprint_id: the build's "
      "output), delete_blueprint (blueprint_id). Paths are relative to /home/user or absolute "
      "under it.",
      platform);
  manage.annotations.read_only = false;
  manage.annotations.destructive = true;
  manage.annotations.idempotent = false;
  manage.handler = [devboxes, host_paths, objects = platform.objects](const json& args,
                                                                      mcp::RequestContext& ctx) {
    const std::string action = args.at("action").get<std::string>();
    auto need = [&](const char* key) {
      if (!args.contains(key) || (args[key].is_string() && args[key].get<std::string>().empty()))
        throw platform::PlatformError(platform::ErrorKind::invalid,
                                      std::string("action ") + action + " needs " + key);
      return args[key].get<std::string>();
    };
    json out = {{"action", action}};
    std::string summary;
    if (action == "list") {
      platform::DevboxListRequest r;
      r.limit = args.value("limit", 20);
      r.starting_after = args.value("starting_after", "");
      auto page = devboxes->list(r);
      json items = json::array();
      for (const auto& d : page.devboxes) items.push_back(devbox_json(d));
      put_page(out, "devboxes", std::move(items), page.has_more);
    } else if (action == "get" || action == "suspend" || action == "resume" ||
               action == "shutdown" || action == "keep_alive") {
      const auto id = need("devbox_id");
      platform::Devbox d;
      if (action == "get") d = devboxes->get(id);
      if (action == "suspend") d = devboxes->suspend(id);
      if (action == "resume") d = devboxes->resume(id);
      if (action == "shutdown") d = devboxes->shutdown(id);
      if (action == "keep_alive") {
        devboxes->keep_alive(id);
        d = devboxes->get(id);
      }
      out["devbox"] = devbox_json(d);
      summary = "devbox " + d.id + " is " + d.status;
    } else if (action == "read_file") {
      const auto id = need("devbox_id");
      const auto path = need("path");
      const std::string encoding = args.value("encoding", "utf8");
      const std::uint64_t offset = args.value("offset", std::uint64_t{0});
      const std::uint64_t length = std::min(args.value("length", kReadMax), kReadMax);
      auto f = devboxes->read_file(id, path, offset, length);
      const bool binary = encoding == "base64";
      json file = {{"path", path},     {"encoding", encoding},
                   {"offset", offset}, {"length", f.data.size()},
                   {"size", f.size},   {"eof", offset + f.data.size() >= f.size}};
      if (offset + f.data.size() < f.size) file["next_offset"] = offset + f.data.size();
      if (binary) {
        file["contents"] = mcp::base64_encode(f.data);
      } else {
        if (!common::is_valid_utf8(f.data))
          file["note"] =
              "the bytes are not all valid UTF-8 (binary, or a page boundary inside a "
              "character); invalid bytes show as U+FFFD: use encoding base64 for exact bytes";
        file["contents"] = common::to_valid_utf8(f.data);
      }
      out["file"] = file;
      summary = binary ? "" : file["contents"].get<std::string>();
      if (!file["eof"].get<bool>())
        summary += "\n[... " + std::to_string(f.size - offset - f.data.size()) +
                   " more bytes; call again with offset=" + std::to_string(offset + f.data.size()) +
                   " ...]";
    } else if (action == "write_file") {
      const auto id = need("devbox_id");
      const auto path = need("path");
      if (!args.contains("contents"))
        throw platform::PlatformError(platform::ErrorKind::invalid, "write_file needs contents");
      std::string data = args["contents"].get<std::string>();
      if (args.value("encoding", "utf8") == "base64") {
        auto decoded = mcp::base64_decode(data);
        if (!decoded)
          throw platform::PlatformError(platform::ErrorKind::invalid,
                                        "contents is not valid padded base64");
        data = std::move(*decoded);
      }
      devboxes->write_file(id, path, data);
      out["file"] = {{"path", path}, {"size", data.size()}};
      summary = "wrote " + std::to_string(data.size()) + " bytes to " + path;
    } else if (action == "execution_status" || action == "kill_execution") {
      const auto id = need("devbox_id");
      const auto eid = need("execution_id");
      auto e = action == "kill_execution"
                   ? devboxes->kill_execution(id, eid)
                   : await_execution(*devboxes, id, eid,
                                     std::chrono::seconds(args.value("wait_seconds", 0)), ctx);
      out["execution"] = execution_json(*devboxes, e);
      summary = execution_text(out["execution"]);
    } else if (action == "send_stdin") {
      const auto id = need("devbox_id");
      const auto eid = need("execution_id");
      platform::StdinInput in;
      in.text = args.value("text", "");
      in.close = args.value("close", false);
      in.interrupt = args.value("interrupt", false);
      if (in.text.empty() && !in.close && !in.interrupt)
        throw platform::PlatformError(platform::ErrorKind::invalid,
                                      "action send_stdin needs text, close=true or interrupt=true");
      devboxes->send_stdin(id, eid, in);
      out["stdin"] = {{"execution_id", eid},
                      {"sent_bytes", in.text.size()},
                      {"closed", in.close},
                      {"interrupted", in.interrupt}};
      out["execution"] = execution_json(*devboxes, devboxes->execution(id, eid));
      summary = "sent " + std::to_string(in.text.size()) + " bytes to the stdin of " + eid +
                (in.close ? " and closed it" : "") + (in.interrupt ? "; sent SIGINT" : "") +
                "; execution_status shows its output once it completes";
    } else if (action == "logs") {
      const auto id = need("devbox_id");
      platform::DevboxLogsRequest r;
      r.execution_id = args.value("execution_id", "");
      auto lines = devboxes->logs(id, r);
      const std::size_t limit = static_cast<std::size_t>(args.value("limit", 20));
      const std::size_t skipped = lines.size() > limit ? lines.size() - limit : 0;
      json items = json::array();
      for (std::size_t i = skipped; i < lines.size(); ++i) items.push_back(log_json(lines[i]));
      // Keep the newest lines when they do not all fit a result.
      std::reverse(items.begin(), items.end());
      const std::size_t dropped = fit_items(items);
      std::reverse(items.begin(), items.end());
      out["logs"] = std::move(items);
      out["earlier_lines"] = skipped + dropped;
      std::string text;
      for (const auto& l : out["logs"])
        text += l["source"].get<std::string>() + " " + l["level"].get<std::string>() + ": " +
                (l.contains("cmd") ? "`" + l["cmd"].get<std::string>() + "` " : "") +
                l["message"].get<std::string>() + "\n";
      summary = text.empty() ? "no log lines" : text;
    } else if (action == "usage") {
      const auto u = devboxes->usage(need("devbox_id"));
      out["usage"] = usage_json(u);
      summary = usage_text(u);
    } else if (action == "snapshot") {
      const auto id = need("devbox_id");
      platform::SnapshotRequest r;
      r.name = args.value("snapshot_name", "");
      r.async = args.value("async", false);
      auto s = devboxes->snapshot(id, r);
      out["snapshot"] = snapshot_json(s);
      summary = "snapshot " + s.id + " is " + s.status + "; create_devbox snapshot_id=" + s.id +
                " starts a devbox from it";
    } else if (action == "tunnel" || action == "remove_tunnel") {
      const auto id = need("devbox_id");
      const int port = args.value("port", 0);
      if (action == "tunnel") {
        if (port == 0)
          throw platform::PlatformError(platform::ErrorKind::invalid,
                                        "action tunnel needs port (the devbox's port to reach)");
        auto t = devboxes->create_tunnel(id, port);
        out["tunnel"] = tunnel_json(t);
        summary = "port " + std::to_string(t.port) + " of devbox " + id + " is at " + t.url +
                  " until remove_tunnel, suspend or shutdown";
      } else {
        devboxes->remove_tunnel(id, port);
        summary = port == 0 ? "every tunnel of devbox " + id + " is closed"
                            : "the tunnel to port " + std::to_string(port) + " is closed";
      }
    } else if (action == "diff") {
      const auto id = need("devbox_id");
      json page = source_diff_page(*devboxes, id, args.value("offset", std::uint64_t{0}));
      summary = page["text"].get<std::string>();
      if (page["size"].get<std::uint64_t>() == 0)
        summary = "no changes in " + page["source_dir"].get<std::string>() + " since the baseline";
      else if (page.contains("next_offset"))
        summary += "[... " +
                   std::to_string(page["size"].get<std::uint64_t>() -
                                  page["next_offset"].get<std::uint64_t>()) +
                   " more bytes of diff; call again with offset=" +
                   std::to_string(page["next_offset"].get<std::uint64_t>()) + " ...]";
      out["diff"] = std::move(page);
    } else if (action == "changed_files") {
      const auto id = need("devbox_id");
      json changes = source_changed_files(*devboxes, id);
      const std::size_t total = changes["files"].size();
      const std::size_t dropped = fit_items(changes["files"]);
      changes["total"] = total;
      if (dropped) changes["truncated"] = dropped;
      for (const auto& f : changes["files"])
        summary +=
            f["status"].get<std::string>() + " " + f["path"].get<std::string>() +
            (f.contains("old_path") ? " (from " + f["old_path"].get<std::string>() + ")" : "") +
            "\n";
      if (dropped) summary += "[... " + std::to_string(dropped) + " more files not listed ...]\n";
      if (total == 0)
        summary =
            "no changes in " + changes["source_dir"].get<std::string>() + " since the baseline";
      out["changed_files"] = std::move(changes);
    } else if (action == "upload" && args.contains("object_name")) {
      if (!objects)
        throw platform::PlatformError(platform::ErrorKind::unavailable,
                                      "this server has no storage objects");
      const fs::path from = allowed_host_path(host_paths, ctx, need("host_path"));
      const auto o = platform::upload_host_path(*objects, from, need("object_name"));
      out["object"] = {{"id", o.id},
                       {"name", o.name},
                       {"content_type", o.content_type},
                       {"state", o.state},
                       {"size_bytes", o.size_bytes.value_or(0)}};
      summary =
          "uploaded " + from.string() + " as object " + o.id + " (" + o.content_type + ", " +
          std::to_string(o.size_bytes.value_or(0)) +
          " bytes); mount it with create_devbox mounts=[{type: object_mount, object_id: " + o.id +
          ", object_path: ...}] or pass object://" + o.id + " in run_query pre_agent_downloadables";
    } else if (action == "upload" || action == "download") {
      const auto id = need("devbox_id");
      const auto host_path = need("host_path");
      json moved =
          action == "upload"
              ? upload_to_devbox(*devboxes, id, host_path, args.value("path", ""), host_paths, ctx)
              : download_from_devbox(*devboxes, id, need("path"), host_path, host_paths, ctx);
      summary = std::string(action == "upload" ? "uploaded " : "downloaded ") +
                moved["kind"].get<std::string>() + " " +
                (action == "upload" ? moved["host_path"] : moved["path"]).get<std::string>() +
                " to " +
                (action == "upload" ? moved["path"] : moved["host_path"]).get<std::string>() +
                ": " + std::to_string(moved["files"].get<std::size_t>()) + " files, " +
                std::to_string(moved["bytes"].get<std::uint64_t>()) + " bytes";
      if (moved.contains("skipped"))
        summary += "; skipped " + std::to_string(moved["skipped"].size()) +
                   " entries that are neither files, directories nor links";
      out["transfer"] = std::move(moved);
    } else if (is_blueprint_action(action)) {
      summary = blueprint_action(*devboxes, action, args, out, ctx);
    } else if (action == "list_snapshots") {
      platform::SnapshotListRequest r;
      r.devbox_id = args.value("devbox_id", "");
      r.limit = args.value("limit", 20);
      r.starting_after = args.value("starting_after", "");
      auto page = devboxes->list_snapshots(r);
      json items = json::array();
      for (const auto& s : page.snapshots) items.push_back(snapshot_json(s));
      put_page(out, "snapshots", std::move(items), page.has_more);
    } else {
      throw platform::PlatformError(platform::ErrorKind::invalid, "unknown action " + action);
    }
    if (summary.empty()) return mcp::ToolResult::structured(out);
    return mcp::ToolResult::structured(out, summary);
  };
  manage.long_running = true;  // execution_status long-polls, snapshots copy a whole home
  manage.task_support = mcp::TaskSupport::optional;
  manage.task_worthy = [](const json& args) { return args.value("action", "") == "snapshot"; };
  registry.add(std::move(manage));
}

}  // namespace runagents::tools
