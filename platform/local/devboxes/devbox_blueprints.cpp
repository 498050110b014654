// Local blueprints (platform/devboxes.hpp, Blueprints): a build is a networked devbox of this
// service that runs the steps; its home is then copied to <data_dir>/blueprints/<id>/home.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "platform/common/random_hex.hpp"
#include "platform/common/redact.hpp"
#include "platform/common/shell_quote.hpp"
#include "platform/local/devboxes/dockerfile.hpp"
#include "platform/local/devboxes/local_devbox_service.hpp"
#include "platform/local/objects/local_object_service.hpp"
#include "platform/local/objects/object_extraction.hpp"
#include "platform/local/sandbox/sandbox_environment.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {

// Longest one RUN or setup command of a build may take.
constexpr std::chrono::minutes kBuildStepTimeout{60};
constexpr const char* kHome = "/home/user";

// The bash prelude of a build command: the variables so far, then the working directory.
std::string prelude(const std::map<std::string, std::string>& vars, const std::string& workdir) {
  std::string s;
  for (const auto& [k, v] : vars) s += "export " + k + "=" + shell_quote(v) + "\n";
  return s + "cd -- " + shell_quote(workdir) + " || exit 1\n";
}

// `path` (a WORKDIR or COPY destination, variables expanded) made absolute against `workdir`;
// lexically normal, and under /home/user (the only place a local devbox keeps).
std::string in_home(const std::string& path, const std::string& workdir, const std::string& what,
                    int line) {
  fs::path p = fs::path(path).is_absolute() ? fs::path(path) : fs::path(workdir) / path;
  std::string norm = p.lexically_normal().string();
  if (norm.size() > 1 && norm.back() == '/') norm.pop_back();
  if (norm != kHome && norm.rfind(std::string(kHome) + "/", 0) != 0)
    throw PlatformError(ErrorKind::invalid,
                        "dockerfile line " + std::to_string(line) + ": " + what + " " + path +
                            " is outside /home/user; a local devbox keeps only its home, so "
                            "build there");
  return norm;
}

// A COPY source inside the extracted build context: relative, no `..`, no symlink on the way.
fs::path context_source(const fs::path& context, const std::string& src, int line) {
  auto refuse = [&](const std::string& why) {
    return PlatformError(ErrorKind::invalid,
                         "dockerfile line " + std::to_string(line) + ": COPY " + src + ": " + why);
  };
  if (src.find_first_of("*?[") != std::string::npos)
    throw refuse("wildcards are not supported by the local builder; name each path");
  fs::path rel = fs::path(src).lexically_normal().relative_path();
  fs::path at = context;
  for (const auto& part : rel) {
    if (part == "..") throw refuse("the path leaves build_context");
    if (part.empty() || part == ".") continue;
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) throw refuse("not in build_context");
    if (S_ISLNK(st.st_mode)) throw refuse("goes through a symlink in build_context");
  }
  return at;
}

}  // namespace

ObjectService& LocalDevboxService::objects() {
  std::lock_guard lock(objects_mu_);
  if (!objects_) {
    LocalObjectOptions o;
    o.data_dir = options_.data_dir;
    objects_ = open_local_objects(o);
  }
  return *objects_;
}

fs::path LocalDevboxService::blueprint_dir(const std::string& id) const {
  return options_.data_dir / "blueprints" / id;
}

Blueprint LocalDevboxService::built_blueprint(const std::string& id, const std::string& name) {
  Blueprint bp;
  if (!id.empty()) {
    bp = blueprints_.get(id);  // not_found
  } else {
    auto latest = blueprints_.latest_built(name);
    if (!latest)
      throw PlatformError(ErrorKind::not_found,
                          "no blueprint named \"" + name +
                              "\" has built; manage_devbox with action list_blueprints shows "
                              "the blueprints and their status");
    bp = *latest;
  }
  if (bp.state == "deleted")
    throw PlatformError(ErrorKind::not_found, "blueprint " + bp.id +
                                                  " was deleted; manage_devbox with action "
                                                  "list_blueprints shows the blueprints left");
  if (bp.status != "build_complete")
    throw PlatformError(
        ErrorKind::conflict,
        "blueprint " + bp.id + " is " + bp.status +
            (bp.status == "failed" ? "; its log (action blueprint_logs) says why"
                                   : ", not built yet; wait for build_complete and retry"));
  return bp;
}

void LocalDevboxService::copy_blueprint(const std::string& blueprint_id, const fs::path& home) {
  // delete_blueprint refuses while this devbox's row says provisioning from it.
  if (blueprints_.get(blueprint_id).state == "deleted")
    throw PlatformError(ErrorKind::not_found,
                        "blueprint " + blueprint_id + " was deleted while the devbox was created");
  copy_tree_exact(blueprint_dir(blueprint_id) / "home", home);
}

Blueprint LocalDevboxService::create_blueprint(const BlueprintParameters& params) {
  if (params.name.empty())
    throw PlatformError(ErrorKind::invalid, "name is required: blueprints are found by name");
  std::vector<BuildStep> steps;
  if (!params.dockerfile.empty()) steps = parse_dockerfile(params.dockerfile);
  const bool copies = std::any_of(steps.begin(), steps.end(),
                                  [](const BuildStep& s) { return s.instruction == "COPY"; });
  if (copies && params.build_context_object_id.empty())
    throw PlatformError(ErrorKind::invalid,
                        "the dockerfile has COPY but no build_context: upload the files as a tar "
                        "or tgz storage object and pass build_context {object_id, type: "
                        "\"object\"}");
  if (!params.build_context_object_id.empty()) {
    ObjectView o = objects().get(params.build_context_object_id);  // not_found
    if (o.state != kObjectStateReadOnly)
      throw PlatformError(ErrorKind::conflict, "build_context object " + o.id + " is " + o.state +
                                                   "; complete its upload first");
  }
  if (!params.base_blueprint_id.empty() && !params.base_blueprint_name.empty())
    throw PlatformError(ErrorKind::invalid,
                        "give base_blueprint_id or base_blueprint_name, not both");
  std::string base;
  if (!params.base_blueprint_id.empty() || !params.base_blueprint_name.empty())
    base = built_blueprint(params.base_blueprint_id, params.base_blueprint_name).id;
  for (const auto& [k, _] : params.build_args) check_variable_name("build_args", k);
  secrets_->resolve(params.secrets);  // not_found before anything is recorded
  DevboxCreateRequest mounts;
  mounts.code_mounts = params.code_mounts;
  mounts.launch_parameters.network = true;
  check_code_mounts(mounts);
  auto support = check_sandbox_support(options_.bwrap_path);
  if (!support.usable) throw PlatformError(ErrorKind::unavailable, support.message);

  Blueprint bp;
  bp.id = new_id("bpt_");
  bp.name = params.name;
  bp.create_time_ms = now_ms();
  bp.parameters = params;
  for (auto& m : bp.parameters.code_mounts) m.token.clear();
  bp.status = "provisioning";
  bp.base_blueprint_id = base;
  bp.metadata = params.metadata;
  blueprints_.insert(bp);
  blueprints_.log(bp.id, "info", "blueprint " + bp.id + " (" + bp.name + ") queued for its build");
  helpers_.spawn([this, bp, params] { build_blueprint(bp, params); });
  return bp;
}

void LocalDevboxService::build_blueprint(const Blueprint& bp, const BlueprintParameters& params) {
  const std::string& id = bp.id;
  std::string devbox_id;
  std::vector<std::string> hide;  // the build's secret values, kept out of the log
  auto log = [&](const std::string& level, const std::string& message) {
    blueprints_.log(id, level, common::redact_secrets(message, hide));
  };
  auto step_failed = [&](const std::string& why) {
    return PlatformError(ErrorKind::conflict, why);
  };
  try {
    blueprints_.set_status(id, "building");
    DevboxCreateRequest r;
    r.name = "build of blueprint " + id;
    r.blueprint_id = bp.base_blueprint_id;
    r.file_mounts = params.file_mounts;
    r.code_mounts = params.code_mounts;
    r.secrets = params.secrets;
    r.metadata = {{"runagents.blueprint_build", id}};
    if (params.launch_parameters) r.launch_parameters = *params.launch_parameters;
    r.launch_parameters.launch_commands.clear();
    r.launch_parameters.network = true;
    r.network_set = true;
    r.launch_parameters.on_idle = "shutdown";
    r.launch_parameters.keep_alive_time_seconds =
        std::max<std::int64_t>(r.launch_parameters.keep_alive_time_seconds, 3600);
    hide = [&] {
      std::vector<std::string> v;
      for (auto& [_, value] : secrets_->resolve(params.secrets)) v.push_back(value);
      return v;
    }();
    log("info", std::string("starting the build devbox (networked") +
                    (bp.base_blueprint_id.empty() ? "" : ", from " + bp.base_blueprint_id) +
                    (params.file_mounts.empty() && params.code_mounts.empty()
                         ? ""
                         : ", with its file and code mounts") +
                    ")");
    Devbox d = create(r, [&](const std::string& m) { log("info", m); });
    devbox_id = d.id;

    std::map<std::string, std::string> env = blueprints_.environment(bp.base_blueprint_id);
    // What ENV values expand against: the sandbox's own environment, then the build's.
    const std::map<std::string, std::string> image_env = sandbox_base_environment();
    std::map<std::string, std::string> args;  // ARG values: the build's, not the devboxes'
    std::string workdir = kHome;
    fs::path context;
    // The build's variables, ARG values under ENV ones; with the sandbox's environment beneath
    // them for expanding, without it for a command's prelude (the sandbox sets its own).
    auto variables = [&](bool with_image = true) {
      std::map<std::string, std::string> vars;
      if (with_image) vars = image_env;
      for (const auto& [k, v] : args) vars[k] = v;
      for (const auto& [k, v] : env) vars[k] = v;
      return vars;
    };
    auto run = [&](const std::string& what, const std::string& command) {
      if (closing_) throw PlatformError(ErrorKind::unavailable, "the server stopped");
      log("info", what);
      ExecRequest er;
      er.devbox_id = devbox_id;
      er.command = prelude(variables(false), workdir) + command;
      er.timeout = kBuildStepTimeout;
      er.on_output = [&](std::string_view stream, std::string_view line) {
        log(stream == "stderr" ? "warn" : "info", std::string(line));
      };
      DevboxExecution e = execute(er);
      if (e.exit_status.value_or(-1) != 0)
        throw step_failed(what + " exited with " + std::to_string(e.exit_status.value_or(-1)) +
                          (e.note.empty() ? "" : " (" + e.note + ")"));
    };
    std::vector<BuildStep> steps;
    if (!params.dockerfile.empty()) steps = parse_dockerfile(params.dockerfile);
    const std::size_t total = steps.size() + params.system_setup_commands.size();
    int n = 0;
    auto step_name = [&](const std::string& text) {
      return "step " + std::to_string(++n) + "/" + std::to_string(total) + ": " + text;
    };
    for (const auto& s : steps) {
      const std::map<std::string, std::string> vars = variables();
      if (s.instruction == "RUN") {
        run(step_name("RUN " + s.text), s.text);
      } else if (s.instruction == "ENV") {
        for (const auto& [k, v] : s.pairs) env[k] = expand_variables(v, vars);
        std::string names;
        for (const auto& [k, _] : s.pairs) names += " " + k;
        log("info", step_name("ENV" + names));
      } else if (s.instruction == "ARG") {
        for (std::size_t i = 0; i < s.pairs.size(); ++i) {
          const auto& [k, v] = s.pairs[i];
          if (auto it = params.build_args.find(k); it != params.build_args.end())
            args[k] = it->second;
          else if (s.has_default[i])
            args[k] = expand_variables(v, vars);
        }
        log("info", step_name("ARG " + s.pairs.front().first));
      } else if (s.instruction == "WORKDIR") {
        workdir = in_home(expand_variables(s.args[0], vars), workdir, "WORKDIR", s.line);
        const std::string target = workdir;
        workdir = kHome;
        run(step_name("WORKDIR " + target), "mkdir -p -- " + shell_quote(target));
        workdir = target;
      } else if (s.instruction == "COPY") {
        if (context.empty()) {
          context = blueprint_dir(id) / "context";
          log("info", "extracting build_context " + params.build_context_object_id);
          auto x = extract_object_into(context, objects(), params.build_context_object_id);
          if (!x.archive)
            throw PlatformError(ErrorKind::invalid,
                                "build_context " + params.build_context_object_id +
                                    " is not an archive (its content type must be tar or tgz)");
        }
        std::vector<std::string> srcs(s.args.begin(), s.args.end() - 1);
        std::string dest_raw = expand_variables(s.args.back(), vars);
        const bool dir_form = dest_raw.back() == '/' || srcs.size() > 1;
        const std::string dest = in_home(dest_raw, workdir, "COPY destination", s.line);
        // Staged in a fresh directory of the home, then copied into place inside the sandbox (a
        // path the build's commands made cannot lead the server's write elsewhere).
        const std::string stage = ".runagents-copy-" + common::random_hex(8);
        const fs::path home = home_of(devbox_id);
        if (::mkdir((home / stage).c_str(), 0755) != 0)
          throw PlatformError(ErrorKind::unavailable, "cannot stage COPY in the build's home");
        std::string script = "set -e\n";
        for (std::size_t i = 0; i < srcs.size(); ++i) {
          fs::path from = context_source(context, expand_variables(srcs[i], vars), s.line);
          const std::string staged = kHome + std::string("/") + stage + "/" + std::to_string(i);
          if (fs::is_directory(from)) {
            copy_tree_exact(from, home / stage / std::to_string(i));
            script += "mkdir -p -- " + shell_quote(dest) + "\ncp -a -- " +
                      shell_quote(staged + "/.") + " " + shell_quote(dest + "/") + "\n";
          } else {
            fs::create_directories(home / stage / std::to_string(i));
            copy_listed_files(from.parent_path(), home / stage / std::to_string(i) / "f",
                              {from.filename().string()});
            const std::string file = staged + "/f/" + from.filename().string();
            script += "if " + std::string(dir_form ? "true" : "false") + " || [ -d " +
                      shell_quote(dest) + " ]; then mkdir -p -- " + shell_quote(dest) +
                      "; cp -a -- " + shell_quote(file) + " " + shell_quote(dest + "/") +
                      "; else mkdir -p -- \"$(dirname -- " + shell_quote(dest) + ")\"; cp -a -- " +
                      shell_quote(file) + " " + shell_quote(dest) + "; fi\n";
          }
        }
        std::string label = "COPY";
        for (const auto& a : s.args) label += " " + a;
        try {
          run(step_name(label), script);
        } catch (...) {
          std::error_code ec;
          fs::remove_all(home / stage, ec);
          throw;
        }
        std::error_code ec;
        fs::remove_all(home / stage, ec);
      } else {
        log("info", step_name(s.text + " (no effect on a local devbox; skipped)"));
      }
    }
    for (const auto& cmd : params.system_setup_commands)
      run(step_name("system setup command: " + cmd), cmd);

    log("info", "saving the home of " + devbox_id + " as the blueprint");
    {
      const fs::path dir = blueprint_dir(id);
      std::error_code ec;
      fs::remove_all(dir / "context", ec);
      auto copy = copy_tree_exact(home_of(devbox_id), dir / "home");
      for (const auto& skipped : copy.skipped)
        log("warn", "not kept (a socket, fifo or device): " + skipped);
    }
    blueprints_.set_environment(id, env);
    shutdown(devbox_id);
    blueprints_.set_status(id, "build_complete");
    log("info", "build complete");
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (closing_) why = "the server stopped during the build";
    log("error", "build failed: " + why);
    try {
      if (!devbox_id.empty()) shutdown(devbox_id);
      std::error_code ec;
      fs::remove_all(blueprint_dir(id), ec);
    } catch (const std::exception& e2) {
      spdlog::warn("blueprint {}: shutting down its build devbox failed: {}", id, e2.what());
    }
    blueprints_.set_status(id, "failed", "build_failed");
  }
}

Blueprint LocalDevboxService::get_blueprint(const std::string& id) {
  return blueprints_.get(id);
}

BlueprintPage LocalDevboxService::list_blueprints(const BlueprintListRequest& req) {
  return blueprints_.list(req);
}

std::vector<BlueprintLog> LocalDevboxService::blueprint_logs(const std::string& id) {
  return blueprints_.logs(id);
}

Blueprint LocalDevboxService::delete_blueprint(const std::string& id) {
  const fs::path dir = blueprint_dir(id);
  const fs::path doomed = dir.string() + ".deleting";
  bool moved = false;
  blueprints_.mark_deleted(id, [&] {
    std::error_code ec;
    fs::rename(dir, doomed, ec);
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw PlatformError(ErrorKind::unavailable, "cannot delete blueprint " + id + ": renaming " +
                                                      dir.string() + " failed: " + ec.message() +
                                                      "; nothing was deleted");
    moved = !ec;
  });
  if (moved) {
    std::error_code ec;
    fs::remove_all(doomed, ec);
    if (ec)
      spdlog::warn("blueprint {} is deleted but removing {} failed: {}", id, doomed.string(),
                   ec.message());
  }
  return blueprints_.get(id);
}

}  // namespace runagents::platform::local
