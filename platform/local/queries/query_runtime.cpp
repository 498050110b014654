#include "platform/local/queries/query_runtime.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <random>
#include <sstream>

#include "platform/common/clip.hpp"
#include "platform/local/queries/query_downloads.hpp"
#include "platform/local/queries/running_query.hpp"

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;
constexpr const char* kDevboxHome = "/home/user";

// Refuses an artifacts_dir the devbox file API could not read (outside the home).
std::string home_relative(const std::string& dir, const char* field) {
  std::string d = dir;
  if (d.rfind(kDevboxHome, 0) == 0) {
    d = d.substr(std::string(kDevboxHome).size());
    if (!d.empty() && d[0] != '/')
      throw PlatformError(ErrorKind::invalid,
                          std::string(field) + " must be inside " + kDevboxHome);
    while (!d.empty() && d[0] == '/') d.erase(0, 1);
  } else if (!d.empty() && d[0] == '/') {
    throw PlatformError(ErrorKind::invalid,
                        std::string(field) + " '" + dir + "' is outside the devbox home " +
                            kDevboxHome + "; use a relative path (e.g. 'artifacts') or one under " +
                            kDevboxHome);
  }
  std::istringstream parts(d);
  for (std::string part; std::getline(parts, part, '/');)
    if (part == "..")
      throw PlatformError(ErrorKind::invalid, std::string(field) + " '" + dir +
                                                  "' leads out of the devbox home with '..'");
  return d.empty() ? "." : d;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

class EmbeddedRunner : public QueryRunner {
 public:
  EmbeddedRunner(std::shared_ptr<DevboxService> devboxes, EmbeddedQueryOptions options)
      : devboxes_(std::move(devboxes)), options_(std::move(options)) {}

  QueryResult run(const QueryRequest& request, const QueryObserver& observer) override {
    if (request.prompt.empty())
      throw PlatformError(ErrorKind::invalid, "prompt is empty: say what the agent should do");
    std::string artifacts_dir;
    if (!request.artifacts_dir.empty())
      artifacts_dir = home_relative(request.artifacts_dir, "artifacts_dir");
    for (const auto& d : request.downloadables) home_relative(d.working_dir, "working_dir");

    const auto deadline = QueryClock::now() + request.timeout;
    QueryStop stop(request.cancel, deadline);
    RunningQuery s{*devboxes_, request, observer, options_, {}, deadline, stop, json::array(), {}};
    const bool fresh = request.devbox_id.empty();
    if (fresh) {
      s.status("creating a devbox");
      DevboxCreateRequest create;
      create.name = "query-" + query_suffix();
      create.metadata = {{"runagents.query", "true"}};
      create.launch_parameters.keep_alive_time_seconds = request.timeout.count() + 300;
      s.devbox_id = devboxes_->create(create, {}).id;
    } else {
      Devbox d = devboxes_->get(request.devbox_id);
      if (d.status != "running")
        throw PlatformError(ErrorKind::conflict,
                            "devbox " + d.id + " is " + d.status +
                                "; run_query needs a running devbox (resume it with "
                                "manage_devbox action=resume, or omit devbox_id for a fresh one)");
      s.devbox_id = d.id;
    }

    QueryResult result;
    try {
      result = run_steps(s, artifacts_dir);
      stop.finish();
    } catch (...) {
      if (fresh) shut_down(s.devbox_id);
      throw;
    }
    if (fresh) shut_down(s.devbox_id);
    result.metadata["runtime"] = "embedded";
    result.metadata["devbox_id"] = s.devbox_id;
    result.metadata["devbox_kept"] = !fresh;
    result.metadata["commands"] = s.commands;
    result.command_runs = with_skipped(s.command_runs, request);
    return result;
  }

 private:
  // `runs` completed with the commands that never ran (the query ended before them).
  static std::vector<QueryCommandRun> with_skipped(std::vector<QueryCommandRun> runs,
                                                   const QueryRequest& request) {
    std::vector<QueryCommandRun> out;
    for (auto [phase, list] : {std::pair<const char*, const std::vector<QueryCommand>*>{
                                   "pre-agent", &request.pre_commands},
                               {"post-agent", &request.post_commands}}) {
      std::size_t done = 0;
      for (auto& r : runs)
        if (r.phase == phase) {
          out.push_back(std::move(r));
          ++done;
        }
      for (std::size_t i = done; i < list->size(); ++i) {
        QueryCommandRun skipped;
        skipped.phase = phase;
        skipped.command = (*list)[i].command;
        skipped.ran = false;
        out.push_back(std::move(skipped));
      }
    }
    return out;
  }

  static std::string query_suffix() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::ostringstream out;
    out << std::hex << (rng() & 0xffffffffffULL);
    return out.str();
  }

  void shut_down(const std::string& id) {
    try {
      devboxes_->shutdown(id);
    } catch (const std::exception& e) {
      spdlog::warn("query devbox {} could not be shut down: {}", id, e.what());
    }
  }

  // A result that says the query stopped, or nullopt to go on.
  static std::optional<QueryResult> stopped(RunningQuery& s) {
    if (!s.stopped()) return std::nullopt;
    QueryResult r;
    if (s.stop.timed_out()) {
      r.result_type = "error";
      r.timed_out = true;
      r.error = "the query did not finish within " + std::to_string(s.request.timeout.count()) +
                " s and was stopped (raise timeout_seconds for longer tasks)";
    } else {
      r.cancelled = true;
    }
    return r;
  }

  static QueryResult error(std::string message) {
    QueryResult r;
    r.result_type = "error";
    r.error = std::move(message);
    return r;
  }

  QueryResult run_steps(RunningQuery& s, const std::string& artifacts_dir) {
    const QueryRequest& req = s.request;
    json downloads = json::array();
    for (const auto& d : req.downloadables) {
      if (auto r = stopped(s)) return *r;
      s.status("downloading " + d.download_url);
      Download file;
      try {
        if (d.download_url.rfind("object://", 0) == 0) {
          if (!options_.objects)
            throw PlatformError(ErrorKind::invalid,
                                "object:// downloadables need the local object store");
          file = fetch_object(*options_.objects, d.download_url, options_.max_download_bytes);
        } else {
          file =
              fetch_download(d.download_url, options_.max_download_bytes,
                             std::chrono::duration_cast<std::chrono::milliseconds>(s.remaining()),
                             [&] { return s.stopped(); });
        }
      } catch (const PlatformError& e) {
        if (auto r = stopped(s)) return *r;
        return error(e.what());
      }
      const std::string dir = home_relative(d.working_dir, "working_dir");
      devboxes_->write_file(s.devbox_id, join_path(dir, file.filename), file.data);
      json entry = {{"url", d.download_url},
                    {"file", join_path(dir, file.filename)},
                    {"bytes", file.data.size()}};
      if (std::string unpack = unpack_command(file.filename); !unpack.empty()) {
        auto e = s.exec("unpack", unpack, dir);
        if (auto r = stopped(s)) return *r;
        if (e.exit_status.value_or(-1) != 0)
          return error("unpacking " + file.filename + " failed (exit code " +
                       std::to_string(e.exit_status.value_or(-1)) +
                       "): " + common::clip_tail(e.stderr_text, 600, "…"));
        entry["unpacked"] = true;
      }
      downloads.push_back(entry);
    }
    if (!artifacts_dir.empty()) s.exec("setup", "mkdir -p -- " + shell_quote(artifacts_dir));

    if (auto r = run_commands(s, "pre-agent", req.pre_commands)) return *r;
    if (auto r = stopped(s)) return *r;

    s.status("agent step");
    AgentAnswer answer = run_agent_step(s);
    if (auto r = stopped(s)) return *r;

    if (auto r = run_commands(s, "post-agent", req.post_commands)) return *r;
    if (auto r = stopped(s)) return *r;

    QueryResult result;
    if (!answer.ok) {
      result = error(answer.error);
    } else if (answer.structured) {
      result.result_type = "structured_output";
      result.structured_output = *answer.structured;
      result.text = answer.text;
    } else {
      result.result_type = "text";
      result.text = answer.text;
    }
    result.metadata = answer.metadata;
    if (!downloads.empty()) result.metadata["downloads"] = downloads;
    if (!artifacts_dir.empty()) collect_artifacts(s, artifacts_dir, result);
    return result;
  }

  std::optional<QueryResult> run_commands(RunningQuery& s, const std::string& phase,
                                          const std::vector<QueryCommand>& commands) {
    for (const auto& c : commands) {
      if (auto r = stopped(s)) return r;
      s.status(phase + " command: " + c.command);
      std::string cwd = c.cwd;
      if (!cwd.empty()) {
        try {
          cwd = home_relative(cwd, "cwd");
        } catch (const PlatformError& e) {
          return error(phase + " command '" + c.command + "': " + e.what());
        }
      }
      auto e = s.exec(phase, c.command, cwd, c.env);
      if (auto r = stopped(s)) return r;
      const int code = e.exit_status.value_or(-1);
      if (code != 0) {
        QueryResult r = error(phase + " command failed with exit code " + std::to_string(code) +
                              ": " + c.command);
        r.metadata = {{"command", c.command},
                      {"exit_code", code},
                      {"stderr_tail", common::clip_tail(e.stderr_text, 2000, "…")},
                      {"stdout_tail", common::clip_tail(e.stdout_text, 2000, "…")}};
        return r;
      }
    }
    return std::nullopt;
  }

  void collect_artifacts(RunningQuery& s, const std::string& dir, QueryResult& result) {
    s.status("collecting artifacts from " + dir);
    const std::string list_cmd =
        "cd -- " + shell_quote(dir) +
        " && find . \\( -name node_modules -o -name .venv -o -name venv -o -name __pycache__ -o "
        "-name .pytest_cache -o -name dist \\) -prune -o -type f -size +0 -printf '%s\\t%P\\n' "
        "| sort -t$'\\t' -k2 | head -n " +
        std::to_string(options_.max_artifacts + 1);
    auto listing = s.exec("artifacts", list_cmd, {}, {}, std::chrono::seconds(30));
    json skipped = json::array();
    std::size_t total = 0;
    std::istringstream lines(listing.stdout_text);
    for (std::string line; std::getline(lines, line);) {
      const auto tab = line.find('\t');
      if (tab == std::string::npos) continue;
      const std::uint64_t size = std::stoull(line.substr(0, tab));
      const std::string name = line.substr(tab + 1);
      if (result.artifacts.size() >= options_.max_artifacts) {
        skipped.push_back(
            {{"name", name},
             {"reason", "more than " + std::to_string(options_.max_artifacts) + " files"}});
        continue;
      }
      if (size > options_.max_artifact_bytes || total + size > options_.max_artifacts_total) {
        skipped.push_back(
            {{"name", name},
             {"size", size},
             {"reason", "too large to return; read it with manage_devbox action=read_file"}});
        continue;
      }
      try {
        DevboxFile f = devboxes_->read_file(s.devbox_id, join_path(dir, name), 0, std::nullopt);
        total += f.data.size();
        result.artifacts.push_back({name, std::string(kDevboxHome) + "/" + join_path(dir, name),
                                    mime_type_for(name), std::move(f.data)});
      } catch (const PlatformError& e) {
        skipped.push_back({{"name", name}, {"reason", e.what()}});
      }
    }
    if (!skipped.empty()) result.metadata["artifacts_skipped"] = skipped;
  }

  std::shared_ptr<DevboxService> devboxes_;
  EmbeddedQueryOptions options_;
};

}  // namespace

std::chrono::seconds RunningQuery::remaining() const {
  auto left = std::chrono::ceil<std::chrono::seconds>(deadline - QueryClock::now());
  return std::max(left, std::chrono::seconds(1));
}

void RunningQuery::status(const std::string& message) const {
  if (observer.on_status) observer.on_status(message);
}

DevboxExecution RunningQuery::exec(const std::string& phase, const std::string& command,
                                   const std::string& cwd,
                                   const std::map<std::string, std::string>& env,
                                   std::chrono::seconds timeout) {
  std::string script;
  for (const auto& [k, v] : env) script += "export " + k + "=" + shell_quote(v) + "\n";
  script += command;
  ExecRequest r;
  r.devbox_id = devbox_id;
  r.command = script;
  r.working_dir = cwd;
  // The deadline itself is QueryStop's (it fires `stop`); the command's own limit is a
  // backstop a little past it.
  const auto backstop = remaining() + std::chrono::seconds(2);
  r.timeout = timeout.count() > 0 ? std::min(timeout, backstop) : backstop;
  r.cancel = stop.signal();
  const bool observed = phase != "artifacts" && phase != "setup";
  const bool reported = phase == "pre-agent" || phase == "post-agent";
  // The faces may deliver stdout and stderr lines from two threads (Runloop streams each).
  std::mutex tail_mu;
  CommandOutputTail tail(request.secrets);
  bool streamed = false;
  if (observed)
    r.on_output = [&, command](std::string_view stream, std::string_view line) {
      if (reported) {
        std::lock_guard lock(tail_mu);
        streamed = true;
        tail.append(stream, line);
        tail.append(stream, "\n");
      }
      if (observer.on_command_output)
        observer.on_command_output(stream, std::string(line) + "\n", command);
    };
  DevboxExecution e = devboxes.execute(r);
  if (observed)
    commands.push_back(
        {{"phase", phase}, {"command", command}, {"exit_code", e.exit_status.value_or(-1)}});
  if (reported) {
    std::lock_guard lock(tail_mu);
    if (!streamed) {  // a face that did not stream: its captured output (tail kept) instead
      tail.append("stdout", e.stdout_text);
      tail.append("stderr", e.stderr_text);
    }
    QueryCommandRun run;
    run.phase = phase;
    run.command = command;
    run.exit_code = e.exit_status;
    run.output_tail = tail.text();
    run.output_truncated =
        tail.truncated() || (!streamed && (e.stdout_truncated || e.stderr_truncated));
    command_runs.push_back(std::move(run));
  }
  return e;
}

std::shared_ptr<QueryRunner> make_embedded_query_runner(std::shared_ptr<DevboxService> devboxes,
                                                        EmbeddedQueryOptions options) {
  return std::make_shared<EmbeddedRunner>(std::move(devboxes), std::move(options));
}

}  // namespace runagents::platform::local
