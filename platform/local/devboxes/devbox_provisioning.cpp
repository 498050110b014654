#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>

#include "platform/common/clip.hpp"
#include "platform/common/random_hex.hpp"
#include "platform/common/redact.hpp"
#include "platform/common/shell_quote.hpp"
#include "platform/local/devboxes/local_devbox_service.hpp"
#include "platform/local/objects/object_extraction.hpp"
#include "platform/local/sandbox/home_files.hpp"
#include "platform/local/sandbox/tree_copy.hpp"
#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

namespace {

void check_source(const DevboxSource& source) {
  static const std::regex re("[A-Za-z0-9._-]+");
  if (!std::regex_match(source.name, re) || source.name == "." || source.name == ".." ||
      source.name == ".runagents")
    throw PlatformError(ErrorKind::invalid,
                        "source_name \"" + source.name +
                            "\" is not a directory name for /home/user (letters, digits, . _ -; "
                            "not . or .. or .runagents); give source_name");
  std::error_code ec;
  if (!fs::is_directory(source.host_dir, ec))
    throw PlatformError(ErrorKind::invalid, "source_path " + source.host_dir +
                                                " is not a directory on the server's "
                                                "machine");
}

// Where a code mount is cloned from: git_url, else GitHub's https URL of the repository.
std::string clone_url(const DevboxCodeMount& m) {
  return m.git_url.empty() ? "https://github.com/" + m.repo_owner + "/" + m.repo_name + ".git"
                           : m.git_url;
}

}  // namespace

void check_code_mounts(const DevboxCreateRequest& req) {
  static const std::regex part("[A-Za-z0-9._-]{1,100}");
  std::vector<std::string> names;
  if (req.source) names.push_back(req.source->name);
  for (const auto& m : req.code_mounts) {
    const std::string what = "code mount " + m.repo_owner + "/" + m.repo_name;
    if (!std::regex_match(m.repo_owner, part) || !std::regex_match(m.repo_name, part) ||
        m.repo_name == "." || m.repo_name == ".." || m.repo_name == ".runagents")
      throw PlatformError(ErrorKind::invalid,
                          what +
                              ": repo_owner and repo_name are letters, digits, . _ - (the "
                              "clone goes to /home/user/<repo_name>)");
    if (contains(names, m.repo_name))
      throw PlatformError(ErrorKind::invalid, what + ": /home/user/" + m.repo_name +
                                                  " is already the place of another mount or "
                                                  "of source_path");
    names.push_back(m.repo_name);
    if (!m.git_ref.empty() &&
        (m.git_ref.front() == '-' || m.git_ref.find_first_of(" \t\n~^:?*[\\") != std::string::npos))
      throw PlatformError(ErrorKind::invalid,
                          what + ": git_ref \"" + m.git_ref + "\" is not a branch or tag name");
    const std::string url = clone_url(m);
    const bool local = url.rfind("file:///home/user/", 0) == 0;
    if (!local && url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0 &&
        url.rfind("git://", 0) != 0)
      throw PlatformError(ErrorKind::invalid,
                          what +
                              ": git_url must be https://, http://, git:// or file:// of a "
                              "path under /home/user in the devbox");
    if (!local && !req.launch_parameters.network)
      throw PlatformError(ErrorKind::invalid,
                          what + " is cloned from " + url +
                              " inside the devbox, which needs network: true (local devboxes "
                              "have no network unless asked); or copy a project of this "
                              "machine with source_path");
  }
}

namespace {

// Bash that clones `m` into `dir`; with a token, read from `token_file` (removed whatever
// happens), so it is never on a command line.
std::string clone_script(const DevboxCodeMount& m, const std::string& dir,
                         const std::string& token_file) {
  std::string git = "git -c advice.detachedHead=false";
  if (!token_file.empty())
    git += " -c \"http.extraHeader=Authorization: Basic $(printf 'x-access-token:%s' \"$(cat " +
           shell_quote(token_file) + ")\" | base64 -w0)\"";
  std::string clone = git + " clone -q" +
                      (m.git_ref.empty() ? "" : " --branch " + shell_quote(m.git_ref)) + " -- " +
                      shell_quote(clone_url(m)) + " " + shell_quote(dir);
  if (token_file.empty()) return clone;
  return "( " + clone + " ); rc=$?; rm -f " + shell_quote(token_file) + "; exit $rc";
}

// Bash that commits the copied project in `dir` as the baseline (DevboxSource).
std::string baseline_script(const std::string& dir) {
  const std::string git =
      "git -c init.defaultBranch=main -c user.name=runagents-mcp -c user.email=devbox@localhost "
      "-c commit.gpgsign=false";
  return "cd " + shell_quote(dir) + " && " + git + " init -q && " + git + " add -A -f && " + git +
         " commit -q --no-verify --allow-empty -m 'baseline: the project as copied from the "
         "host' && git update-ref " +
         kDevboxBaselineRef + " HEAD";
}

// The last part of a failed command's output, for its error.
std::string output_tail(const ExecResult& r) {
  const std::string& text = r.err.data.empty() ? r.out.data : r.err.data;
  return common::clip_tail(text, 2000, "[...]");
}

}  // namespace

Devbox LocalDevboxService::create(const DevboxCreateRequest& req, const DevboxProgress& progress) {
  auto say = [&](const std::string& m) {
    if (progress) progress(m);
  };
  NewDevbox nd = begin_create(req);
  say("provisioning devbox " + nd.devbox.id);
  provision(nd, req, say);
  say("devbox " + nd.devbox.id + " is running");
  return get(nd.devbox.id);
}

Devbox LocalDevboxService::create_and_await_running(const DevboxCreateRequest& req,
                                                    std::chrono::milliseconds wait) {
  NewDevbox nd = begin_create(req);
  // Provisioning goes on past the wait; its failure is the devbox's status and log.
  helpers_.spawn([this, nd, req] {
    try {
      provision(nd, req, [](const std::string&) {});
    } catch (const std::exception& e) {
      spdlog::info("devbox {} failed to start: {}", nd.devbox.id,
                   common::redact_secrets(e.what(), secrets_->values(nd.devbox.id)));
    }
  });
  return wait_for_status(nd.devbox.id, {"running", "failure", "shutdown"}, wait);
}

LocalDevboxService::NewDevbox LocalDevboxService::begin_create(const DevboxCreateRequest& req) {
  if (int(!req.snapshot_id.empty()) + int(!req.blueprint_id.empty()) +
          int(!req.blueprint_name.empty()) >
      1)
    throw PlatformError(ErrorKind::invalid,
                        "give one of snapshot_id, blueprint_id and blueprint_name: a devbox "
                        "starts from one home");
  for (const auto& [k, _] : req.environment_variables)
    check_variable_name("environment_variables", k);
  for (const auto& [k, _] : req.secrets)
    if (req.environment_variables.count(k))
      throw PlatformError(ErrorKind::invalid, "secrets: " + k +
                                                  " is also in environment_variables; set each "
                                                  "variable in one of them");
  // Resolved before the devbox is recorded: a secret that does not exist changes nothing.
  std::map<std::string, std::string> secret_env = secrets_->resolve(req.secrets);
  if (req.source) check_source(*req.source);
  check_code_mounts(req);
  const auto& lp = req.launch_parameters;
  if (lp.on_idle != "shutdown" && lp.on_idle != "suspend")
    throw PlatformError(ErrorKind::invalid, "on_idle must be shutdown or suspend");
  if (lp.keep_alive_time_seconds < 1 || lp.keep_alive_time_seconds > 172800)
    throw PlatformError(ErrorKind::invalid, "keep_alive_time_seconds must be between 1 and 172800");
  NewDevbox nd;
  nd.limits = limits_for(lp.resources);
  // A blueprint's ENV values, under the request's own variables and secrets.
  std::map<std::string, std::string> environment;
  if (!req.blueprint_id.empty() || !req.blueprint_name.empty()) {
    nd.from_blueprint = built_blueprint(req.blueprint_id, req.blueprint_name).id;
    for (auto& [k, v] : blueprints_.environment(nd.from_blueprint))
      if (!req.secrets.count(k)) environment[k] = std::move(v);
  }
  for (const auto& [k, v] : req.environment_variables) environment[k] = v;
  nd.environment = environment;
  for (auto& [k, v] : secret_env) nd.environment[k] = std::move(v);
  if (!req.snapshot_id.empty()) {
    DevboxSnapshot from = snapshot_status(req.snapshot_id);
    if (from.status == "deleted")
      throw PlatformError(ErrorKind::not_found,
                          "snapshot " + from.id +
                              " was deleted; manage_devbox with action list_snapshots shows "
                              "the snapshots left");
    if (from.status != "complete")
      throw PlatformError(ErrorKind::conflict, "snapshot " + from.id + " is " + from.status +
                                                   ", not complete; wait for it (manage_devbox "
                                                   "action list_snapshots) and retry");
    nd.from_snapshot = from.id;
  }
  for (const auto& m : req.object_mounts) {
    ObjectView o = objects().get(m.object_id);  // not_found
    if (o.state != kObjectStateReadOnly)
      throw PlatformError(ErrorKind::conflict, "object_mount: object " + o.id + " is " + o.state +
                                                   ", not READ_ONLY; complete its upload first");
    if (m.object_path.empty())
      throw PlatformError(ErrorKind::invalid, "object_mount: object_path is required");
  }
  auto support = check_sandbox_support(options_.bwrap_path);
  if (!support.usable) throw PlatformError(ErrorKind::unavailable, support.message);
  // Listed before the devbox is recorded: a directory git cannot list changes nothing.
  if (req.source)
    nd.source_files = std::make_shared<SourceFiles>(select_source_files(req.source->host_dir));

  Devbox& d = nd.devbox;
  d.id = new_id("dbx_");
  d.name = req.name;
  d.status = "provisioning";
  d.create_time_ms = now_ms();
  d.snapshot_id = req.snapshot_id;
  d.blueprint_id = nd.from_blueprint;
  d.metadata = req.metadata;
  d.launch_parameters = lp;
  d.state_transitions.push_back({"provisioning", d.create_time_ms, ""});
  nd.cancel = std::make_shared<ExecCancel>();
  secrets_->record(d.id, req.secrets);
  rows_.insert(d, environment);
  std::lock_guard lock(provisioning_mu_);
  provisioning_[d.id] = {nd.cancel, false};
  return nd;
}

void LocalDevboxService::provision(const NewDevbox& nd, const DevboxCreateRequest& req,
                                   const std::function<void(const std::string&)>& say) {
  const Devbox& d = nd.devbox;
  const auto& lp = req.launch_parameters;
  const std::shared_ptr<ExecCancel> cancel = nd.cancel;
  struct Unregister {
    LocalDevboxService& s;
    const std::string& id;
    ~Unregister() {
      std::lock_guard lock(s.provisioning_mu_);
      s.provisioning_.erase(id);
    }
  } unregister{*this, d.id};
  try {
    if (shutting_down(d.id)) throw shut_down_while_provisioned(d.id);
    const fs::path home = home_of(d.id);
    if (!nd.from_snapshot.empty()) {
      say("copying snapshot " + nd.from_snapshot + " into the home");
      copy_snapshot(nd.from_snapshot, home);
    } else if (!nd.from_blueprint.empty()) {
      say("copying blueprint " + nd.from_blueprint + " into the home");
      copy_blueprint(nd.from_blueprint, home);
    } else {
      fs::create_directories(home);
    }
    std::string source_dir;  // in the devbox
    if (req.source) {
      source_dir = "/home/user/" + req.source->name;
      say("copying " + std::to_string(nd.source_files->paths.size()) + " files of " +
          req.source->host_dir + " into " + source_dir);
      copy_listed_files(req.source->host_dir, home / req.source->name, nd.source_files->paths);
    }
    // Before the sandbox opens: nothing runs in the home, so the resolved path stays as it is.
    for (const auto& m : req.object_mounts) {
      say("writing object " + m.object_id + " at " + m.object_path);
      mount_object(home, m);
    }
    const LaunchSpec launch{nd.limits, nd.environment, lp.network};
    auto rt = runtimes_.runtime(d.id, &launch);
    std::lock_guard lock(rt->mu);
    for (const auto& [path, contents] : req.file_mounts) {
      say("writing " + path);
      rt->sandbox->write_file(path, contents);
    }
    // Runs one step of provisioning in the sandbox, logged as a setup command; `what` names it
    // in the log and the error ("launch command"). A failure fails the devbox.
    auto setup = [&](const std::string& what, const std::string& cmd) {
      if (closing_)
        throw PlatformError(ErrorKind::unavailable, "the server stopped while it provisioned");
      if (shutting_down(d.id)) throw shut_down_while_provisioned(d.id);
      say(what + ": " + cmd);
      rows_.log(d.id, log_line(now_ms(), "setup_commands", "info", what + " started", cmd));
      ExecOptions eo;
      eo.timeout = std::chrono::minutes(10);
      eo.cancel = cancel;
      auto r = rt->sandbox->run(cmd, eo);
      if (r.cancelled && shutting_down(d.id)) {
        DevboxLog stopped = log_line(now_ms(), "setup_commands", "warn",
                                     what + " killed: the devbox was shut down", cmd);
        stopped.exit_code = r.exit_code;
        rows_.log(d.id, stopped);
        throw shut_down_while_provisioned(d.id);
      }
      DevboxLog done = log_line(now_ms(), "setup_commands", r.exit_code == 0 ? "info" : "error",
                                what + " exited with " + std::to_string(r.exit_code), cmd);
      done.exit_code = r.exit_code;
      if (r.exit_code != 0) done.message += ": " + output_tail(r);
      rows_.log(d.id, done);
      if (r.exit_code != 0) {
        std::string why = what + " `" + cmd + "` exited with " + std::to_string(r.exit_code) +
                          ": " + output_tail(r);
        rows_.transition(d.id, "failure", "execution_failed");
        throw PlatformError(ErrorKind::conflict, "devbox " + d.id + " failed to start: " + why +
                                                     "; fix the command and create a new devbox");
      }
    };
    if (req.source) {
      setup("baseline commit", baseline_script(source_dir));
      rt->sandbox->write_file(kDevboxSourceFile, source_dir + "\n");
      if (!req.source->install_command.empty())
        setup("install command",
              "cd " + shell_quote(source_dir) + " && " + req.source->install_command);
    }
    for (const auto& m : req.code_mounts) {
      const std::string dir = "/home/user/" + m.repo_name;
      std::string token_file;
      if (!m.token.empty()) {
        token_file = ".runagents/code-mount-" + common::random_hex(6) + ".token";
        rt->sandbox->write_file(token_file, m.token);
      }
      setup("code mount " + m.repo_owner + "/" + m.repo_name, clone_script(m, dir, token_file));
      if (!m.install_command.empty())
        setup("install command", "cd " + shell_quote(dir) + " && " + m.install_command);
    }
    for (const auto& cmd : lp.launch_commands) setup("launch command", cmd);
  } catch (const PlatformError& e) {
    // Shut down meanwhile: shutdown() records the end, not a failure.
    if (!shutting_down(d.id) && get(d.id).status == "provisioning")
      rows_.transition(d.id, "failure", "execution_failed");
    runtimes_.drop(d.id);
    if (e.kind() == ErrorKind::conflict) throw;
    throw PlatformError(e.kind(), "devbox " + d.id + " failed to start: " + e.what());
  } catch (const std::exception& e) {
    if (!shutting_down(d.id) && get(d.id).status == "provisioning")
      rows_.transition(d.id, "failure", "execution_failed");
    runtimes_.drop(d.id);
    throw PlatformError(ErrorKind::internal,
                        "devbox " + d.id + " failed to start: " + std::string(e.what()));
  }
  // Shut down meanwhile (create_and_await_running hands the id out early): stays so.
  if (shutting_down(d.id) || get(d.id).status != "provisioning")
    throw shut_down_while_provisioned(d.id);
  rows_.transition(d.id, "running");
}

void LocalDevboxService::mount_object(const fs::path& home, const DevboxObjectMount& m) {
  HomePath where = resolve_in_home(home, m.object_path);  // forbidden outside the home
  if (where.relative.empty())
    throw PlatformError(ErrorKind::invalid, "object_mount: object_path " + m.object_path +
                                                " is the home itself; name a path inside it");
  extract_object_into(where.host_path, objects(), m.object_id);
  // Extracted by the server: given to the home's owner (the sandbox's user), links not followed.
  struct stat st {};
  if (::geteuid() != 0 || ::stat(home.c_str(), &st) != 0) return;
  std::error_code ec;
  ::lchown(where.host_path.c_str(), st.st_uid, st.st_gid);
  if (!fs::is_directory(fs::symlink_status(where.host_path))) return;
  for (auto it = fs::recursive_directory_iterator(where.host_path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    ::lchown(it->path().c_str(), st.st_uid, st.st_gid);
}

bool LocalDevboxService::shutting_down(const std::string& id) {
  std::lock_guard lock(provisioning_mu_);
  auto it = provisioning_.find(id);
  return it != provisioning_.end() && it->second.shutting_down;
}

PlatformError LocalDevboxService::shut_down_while_provisioned(const std::string& id) {
  return PlatformError(ErrorKind::conflict,
                       "devbox " + id + " was shut down while it was provisioned");
}

}  // namespace runagents::platform::local
