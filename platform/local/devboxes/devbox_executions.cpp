#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "platform/local/devboxes/local_devbox_service.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {
// What the server holds of each stream of an execution whose output goes to files.
constexpr std::size_t kFileBackedOutputCap = 64 << 10;
}  // namespace

DevboxExecution LocalDevboxService::execute(const ExecRequest& req) {
  auto [id, live] = start(req, true);
  live->exec->wait();
  return record(id, *live);
}

DevboxExecution LocalDevboxService::execute_async(const ExecRequest& req) {
  ExecRequest r = req;
  r.on_output = nullptr;
  auto [id, live] = start(r, false);
  // The finisher records the result when the command ends, whoever asks for it.
  helpers_.spawn([this, id = id, live = live] {
    live->exec->wait();
    try {
      record(id, *live);
    } catch (const std::exception& e) {
      spdlog::warn("recording execution {} failed: {}", id, e.what());
    }
  });
  return execution(req.devbox_id, id);
}

DevboxExecution LocalDevboxService::execution(const std::string& devbox_id,
                                              const std::string& exec_id) {
  std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
  if (live && live->devbox_id == devbox_id) {
    // The status is read once: a command that ends between two reads would otherwise be
    // reported completed with the row's exit status not yet written.
    const ExecStatus status = live->exec->status();
    if (status == ExecStatus::completed) return record(exec_id, *live);
    auto e = rows_.execution(devbox_id, exec_id);
    e.status = to_string(status);
    // Output so far, for live streaming (platform serve's stream_*_updates); Runloop's view
    // shows output only once completed, and execution_to_wire follows it.
    auto out = live->exec->output();
    e.stdout_text = std::move(out.out.data);
    e.stderr_text = std::move(out.err.data);
    return e;
  }
  return rows_.execution(devbox_id, exec_id);
}

DevboxExecution LocalDevboxService::wait_for_execution(const std::string& devbox_id,
                                                       const std::string& exec_id,
                                                       const std::vector<std::string>& statuses,
                                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto e = execution(devbox_id, exec_id);
    if (contains(statuses, e.status) || Clock::now() >= deadline) return e;
    std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (live && contains(statuses, "completed"))
      live->exec->wait_for(std::min(left, std::chrono::milliseconds(1000)));
    else
      std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(50)));
  }
}

DevboxExecution LocalDevboxService::kill_execution(const std::string& devbox_id,
                                                   const std::string& exec_id) {
  std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
  if (live && live->devbox_id == devbox_id) {
    live->exec->kill();
    return record(exec_id, *live);
  }
  auto e = rows_.execution(devbox_id, exec_id);
  if (e.status != "completed")
    throw PlatformError(ErrorKind::conflict,
                        "execution " + exec_id +
                            " runs in another server process sharing this data dir; kill it "
                            "through that server");
  return e;
}

void LocalDevboxService::send_stdin(const std::string& devbox_id, const std::string& exec_id,
                                    const StdinInput& input) {
  if (input.text.empty() && !input.close && !input.interrupt)
    throw PlatformError(ErrorKind::invalid, "send_stdin needs text, close or interrupt");
  std::shared_ptr<LiveExecution> live = runtimes_.live(exec_id);
  auto completed = [&](const DevboxExecution& e) {
    return PlatformError(ErrorKind::conflict,
                         "execution " + exec_id + " has completed (exit_status " +
                             std::to_string(e.exit_status.value_or(-1)) +
                             "); stdin goes only to a running execution, nothing was sent");
  };
  if (!live || live->devbox_id != devbox_id) {
    auto e = rows_.execution(devbox_id, exec_id);  // not_found
    if (e.status == "completed") throw completed(e);
    throw PlatformError(ErrorKind::conflict,
                        "execution " + exec_id +
                            " runs in another server process sharing this data dir; send its "
                            "input through that server");
  }
  if (live->exec->status() == ExecStatus::completed) throw completed(record(exec_id, *live));
  if (!live->stdin_attached)
    throw PlatformError(ErrorKind::conflict,
                        "execution " + exec_id +
                            " was started without attach_stdin, so its stdin is empty; start "
                            "the command again with attach_stdin (devbox_exec async=true "
                            "attach_stdin=true)");
  auto refused = [&] {
    if (live->exec->status() == ExecStatus::completed) return completed(record(exec_id, *live));
    return PlatformError(ErrorKind::conflict, "the stdin of execution " + exec_id +
                                                  " was closed already; nothing was sent");
  };
  if (!input.text.empty() && !live->exec->write_input(input.text)) throw refused();
  if (input.close && !live->exec->close_input()) throw refused();
  if (input.interrupt) live->exec->interrupt();
  rows_.touch(devbox_id);
}

std::vector<DevboxLog> LocalDevboxService::logs(const std::string& devbox_id,
                                                const DevboxLogsRequest& req) {
  get(devbox_id);  // not_found
  return rows_.logs(devbox_id, req);
}

std::pair<std::string, std::shared_ptr<LiveExecution>> LocalDevboxService::start(
    const ExecRequest& req, bool sync) {
  if (req.command.empty()) throw PlatformError(ErrorKind::invalid, "command must not be empty");
  if (req.timeout < std::chrono::seconds(0))
    throw PlatformError(ErrorKind::invalid, "timeout must not be negative");
  if (req.attach_stdin && !sync && !req.shell_name.empty())
    throw PlatformError(ErrorKind::invalid,
                        "attach_stdin works only without shell_name here: a persistent shell "
                        "reads its commands from its own stdin");
  auto rt = runtimes_.runtime(req.devbox_id);
  std::lock_guard lock(rt->mu);
  require_status(req.devbox_id, {"running"}, "run commands");
  // Taken before anything is recorded, so a refusal changes nothing; held by the LiveExecution
  // (and given back on every way out of here that does not make one).
  std::shared_ptr<void> slot = executions_.try_acquire();
  if (!slot) throw executions_limit_reached();
  rows_.touch(req.devbox_id);
  auto live = std::make_shared<LiveExecution>();
  live->slot = std::move(slot);
  live->devbox_id = req.devbox_id;
  live->stdin_attached = req.attach_stdin && !sync;
  live->started_ms = now_ms();
  const std::string id = new_id("exe_");
  std::size_t cap = req.output_cap ? req.output_cap : kDefaultOutputCap;
  if (req.keep_output_files) {
    live->output_file = ".runagents/exec/" + id;
    cap = std::min(cap, kFileBackedOutputCap);
  }
  LineCallback on_line;
  if (sync && req.on_output)
    on_line = [cb = req.on_output](OutputStream s, std::string_view line) {
      cb(to_string(s), line);
    };
  rows_.insert_execution(id, req, live->started_ms);
  try {
    CommandOptions o;
    o.working_dir = req.working_dir;
    o.timeout = req.timeout;
    o.output_cap = cap;
    o.output_file = live->output_file;
    o.on_line = on_line;
    o.cancel = req.cancel;  // the caller's signal kills the command's processes
    if (req.shell_name.empty()) {
      ExecOptions one_shot;
      static_cast<CommandOptions&>(one_shot) = std::move(o);
      one_shot.stdin_pipe = live->stdin_attached;
      live->exec = rt->sandbox->start(req.command, std::move(one_shot));
    } else {
      auto& shell = rt->shells[req.shell_name];
      if (!shell) shell = rt->sandbox->open_shell();
      live->exec = shell->start(req.command, std::move(o));
    }
  } catch (...) {
    rows_.delete_execution(id);
    throw;
  }
  rows_.set_execution_status(id, live->exec->status());
  runtimes_.add_live(id, live);
  return {id, live};
}

PlatformError LocalDevboxService::executions_limit_reached() const {
  const std::size_t max = executions_.max();
  return PlatformError(
      ErrorKind::limit_reached,
      "this server runs at most " + std::to_string(max) + " devbox command" +
          (max == 1 ? "" : "s") + " at once (--max-devbox-executions " + std::to_string(max) +
          "); running now: " + std::to_string(executions_.in_use()) +
          ". Nothing was started: wait for one to finish (manage_devbox "
          "action=execution_status), stop one (manage_devbox action=kill_execution), or raise "
          "--max-devbox-executions");
}

std::optional<DevboxActivity> LocalDevboxService::activity() {
  DevboxActivity a;
  a.devboxes_running = rows_.count_running();
  a.executions_running = executions_.in_use();
  return a;
}

DevboxExecution LocalDevboxService::record(const std::string& id, LiveExecution& live) {
  auto result = live.exec->wait();
  std::string note = result.note;
  if (result.timed_out && note.empty()) note = "killed after the timeout";
  if (result.cancelled && note.empty()) note = "killed";
  if (result.memory_limit_hit && note.empty())
    note = "a process was killed for exceeding the memory limit";
  runtimes_.retire(id, live, [&] {
    rows_.complete_execution(id, result, note, live.output_file);
    rows_.touch(live.devbox_id);
  });
  return rows_.execution(live.devbox_id, id);
}

}  // namespace runagents::platform::local
