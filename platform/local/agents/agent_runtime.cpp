#include "platform/local/agents/agent_runtime.hpp"

#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "platform/common/clip.hpp"
#include "platform/local/agents/egress.hpp"
#include "platform/local/agents/python_shim.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/services/tool_catalog.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {

// Where a live source (LocalOptions::live_sources) is mounted; the handler runs in it.
constexpr const char* kLiveSourceMount = "/workspace";

// Mount points sit directly under / : the sandbox creates missing parent directories only
// root-accessible, which its unprivileged user could not traverse.
constexpr const char* kSocketMount = "/run";
constexpr std::size_t kLogTail = 2000;

// A directory removed (with everything in it) when this goes out of scope.
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(std::filesystem::path p) : path(std::move(p)) {}
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// /tmp keeps the socket path short (sun_path holds 108 bytes), wherever the data dir is.
std::filesystem::path make_socket_dir() {
  std::string templ = "/tmp/ra-egress-XXXXXX";
  if (!::mkdtemp(templ.data()))
    throw PlatformError(
        ErrorKind::unavailable,
        std::string("cannot create a directory under /tmp for the egress socket: ") +
            std::strerror(errno));
  return templ;
}

void write_sources(const std::filesystem::path& src,
                   const std::map<std::string, std::string>& files) {
  for (const auto& [name, text] : files) {
    auto target = src / name;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out)
      throw PlatformError(ErrorKind::unavailable, "cannot write the agent's source " +
                                                      target.string() + " for its sandbox");
  }
}

// Only the sandbox's user may reach the socket: its directory and the socket are handed to that
// uid (when the server is root and the sandbox runs as another user), modes 0700 and 0600.
void give_to_sandbox_user(const std::filesystem::path& dir, const SandboxSpec& spec) {
  const auto socket = dir / "egress.sock";
  if (spec.uid && spec.gid && *spec.uid != ::getuid()) {
    if (::chown(dir.c_str(), *spec.uid, *spec.gid) != 0 ||
        ::chown(socket.c_str(), *spec.uid, *spec.gid) != 0)
      throw PlatformError(ErrorKind::unavailable,
                          "cannot hand the egress socket " + socket.string() +
                              " to the sandbox user: " + std::strerror(errno));
  }
  ::chmod(dir.c_str(), 0700);
  ::chmod(socket.c_str(), 0600);
}

std::string model_of(const Agent& agent) {
  for (const auto& c : agent.llm_configs)
    if (!c.model.empty()) return c.model;
  return kPlaygroundModel;
}

}  // namespace

void require_agent_runtime(const LocalState& state) {
  if (::access(state.options.python.c_str(), X_OK) != 0)
    throw PlatformError(ErrorKind::unavailable,
                        state.options.python +
                            " not found: agents run with the system python3; install it "
                            "(apt-get install python3)");
  auto support = check_sandbox_support(state.options.bwrap_path);
  if (!support.usable)
    throw PlatformError(ErrorKind::unavailable,
                        "agents cannot run on this host: " + support.message);
}

InvokeResult execute_run(const std::shared_ptr<LocalState>& state, const AgentRecord& agent,
                         const RunRecord& record, const json& resume,
                         const std::shared_ptr<ExecCancel>& cancel) {
  Database& db = *state->db;
  const Run& run = record.run;
  json request = {{"message", run.initial_message},
                  {"history", record.history},
                  {"run_id", run.id},
                  {"user_id", run.user_id},
                  {"request_id", new_uuid()}};
  if (!resume.is_null()) request["resume"] = resume;

  // The handler stops on the caller's cancel, and on the run being set FAILED from outside
  // (RunService::set_status), which finds it through state->stops.
  auto stop = std::make_shared<ExecCancel>();
  // The hook runs inside cancel->cancel() (or at once), so `from` is alive when it runs.
  const int hook =
      cancel ? cancel->on_cancel([stop, from = cancel.get()] { stop->cancel(from->reason()); }) : 0;
  RunStops::Registration registered(*state->stops, run.id, stop);
  if (auto now = find_run(db, run.id); now && now->run.status == "FAILED") stop->cancel();

  std::optional<json> posted;
  bool paused = false;
  ExecResult exec;
  std::string setup_error;
  try {
    std::filesystem::create_directories(state->work_dir);
    ScratchDir home(state->work_dir / ("run-" + run.id.substr(0, 8) + "-" + new_id("")));
    const auto live = state->options.live_sources.find(agent.agent.ns + "/" + agent.agent.name);
    const bool live_source = live != state->options.live_sources.end();
    std::filesystem::create_directories(home.path / "src");
    if (!live_source) write_sources(home.path / "src", agent.source_files);
    ScratchDir socket_dir(make_socket_dir());

    std::string tool_names;
    for (const auto& t : all_tools(db)) tool_names += (tool_names.empty() ? "" : ",") + t.name;
    SandboxSpec spec;
    spec.id = "ra-run-" + run.id.substr(0, 8) + "-" + new_id("");
    spec.home_dir = home.path;
    spec.network = false;
    spec.bwrap_path = state->options.bwrap_path;
    spec.env = {{"PYTHONPATH", kShimMount},
                {"PYTHONDONTWRITEBYTECODE", "1"},
                {"PYTHONUNBUFFERED", "1"},
                {"RUNAGENTS_EGRESS_SOCKET", std::string(kSocketMount) + "/egress.sock"},
                {"RUNAGENTS_USER_CODE_DIR",
                 live_source ? std::string(kLiveSourceMount) : std::string(kSandboxHome) + "/src"},
                {"USER_ENTRY_POINT", agent.agent.entry_point},
                {"AGENT_NAME", agent.agent.name},
                {"SYSTEM_PROMPT", agent.agent.system_prompt},
                {"LLM_MODEL", model_of(agent.agent)},
                {"RUNAGENTS_TOOLS", tool_names}};
    spec.ro_binds = {{state->shim_dir.string(), kShimMount},
                     {socket_dir.path.string(), kSocketMount}};
    if (live_source) {
      spec.ro_binds.push_back({live->second.string(), kLiveSourceMount});
      // The project's .runagents (its dev database) is covered by an empty directory.
      if (std::filesystem::is_directory(live->second / kProjectDataDir))
        spec.ro_binds.push_back(
            {(home.path / "src").string(), std::string(kLiveSourceMount) + "/" + kProjectDataDir});
    }
    Sandbox sandbox(spec);
    Egress egress(
        state, {run.id, agent.agent.ns, agent.agent.name, run.user_id, agent.agent.required_tools},
        socket_dir.path / "egress.sock");
    give_to_sandbox_user(socket_dir.path, sandbox.spec());
    ExecOptions options;
    options.working_dir = "src";
    options.stdin_data = request.dump();
    options.timeout = state->options.run_timeout;
    options.output_cap = 64 << 10;
    options.cancel = stop;  // stops the handler's process group
    exec = sandbox.run(Command::exec({state->options.python, kRunnerScript}), options);
    egress.stop();
    posted = egress.result();
    paused = egress.paused();
  } catch (const std::exception& e) {
    setup_error = e.what();
  }

  if (cancel) cancel->remove(hook);

  InvokeResult result;
  result.run_id = run.id;
  db.transaction([&] {
    // Ended from outside while the handler ran (set_status): the run says how; add nothing.
    if (auto now = find_run(db, run.id);
        now && (now->run.status == "FAILED" || now->run.status == "COMPLETED")) {
      result.status = now->run.status;
      result.response = now->run.status == "FAILED"
                            ? json{{"error",
                                    "the run was set to FAILED from outside while its "
                                    "handler ran; the handler was stopped"}}
                            : json::object();
      return;
    }
    if (paused) {
      json response = posted && posted->value("ok", false) ? posted->value("result", json::object())
                                                           : json::object();
      json resume_state = response.contains("resume") ? response["resume"] : json(nullptr);
      set_run_result(db, run.id, response, resume_state);
      result.status = "PAUSED_APPROVAL";
      result.response = response;
      return;
    }
    if (posted && posted->value("ok", false)) {
      json response = posted->value("result", json::object());
      json content = response.contains("response") ? response["response"] : json("");
      append_event(db, run.id, "AGENT_MESSAGE", agent.agent.name, {{"content", content}});
      append_event(db, run.id, "COMPLETED", "platform", json::object());
      set_run_status(db, run.id, "COMPLETED");
      set_run_result(db, run.id, response, nullptr);
      result.status = "COMPLETED";
      result.response = response;
      return;
    }
    json data = json::object();
    if (posted) {
      data["error"] = posted->value("error", "the handler failed");
      data["traceback"] = posted->value("traceback", "");
    } else if (!setup_error.empty()) {
      data["error"] = "the agent could not be started: " + setup_error;
    } else if (exec.cancelled) {
      const std::string why = stop ? stop->reason() : std::string();
      data["error"] = why.empty() ? "the run was cancelled by the caller; its handler was stopped"
                                  : "the run was stopped (" + why + "); its handler was stopped";
    } else if (exec.timed_out) {
      data["error"] = "the handler did not finish within " +
                      std::to_string(state->options.run_timeout.count()) + " s and was killed";
    } else {
      data["error"] = "the agent process ended (exit code " + std::to_string(exec.exit_code) +
                      ") without reporting a result";
    }
    if (!exec.err.data.empty()) data["stderr"] = common::clip_tail(exec.err.data, kLogTail, "...");
    if (!exec.out.data.empty()) data["stdout"] = common::clip_tail(exec.out.data, kLogTail, "...");
    append_event(db, run.id, "FAILED", "platform", data);
    set_run_status(db, run.id, "FAILED");
    result.status = "FAILED";
    result.response = {{"error", data["error"]}};
    set_run_result(db, run.id, result.response, nullptr);
  });
  return result;
}

}  // namespace runagents::platform::local
