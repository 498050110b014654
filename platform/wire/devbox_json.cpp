#include "platform/wire/devbox_json.hpp"

namespace runagents::platform {

namespace {

std::map<std::string, std::string> string_map(const json& j, const char* field) {
  std::map<std::string, std::string> out;
  if (!j.contains(field) || j[field].is_null()) return out;
  if (!j[field].is_object())
    throw PlatformError(ErrorKind::invalid, std::string(field) + " must be an object of strings");
  for (const auto& [k, v] : j[field].items()) {
    if (!v.is_string())
      throw PlatformError(ErrorKind::invalid, std::string(field) + "." + k + " must be a string");
    out[k] = v.get<std::string>();
  }
  return out;
}

std::int64_t integer(const json& j, const char* field, std::int64_t fallback = 0) {
  auto it = j.find(field);
  return it != j.end() && it->is_number() ? it->get<std::int64_t>() : fallback;
}

}  // namespace

std::string wire_text(const json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> wire_string_map(const json& j, const char* field) {
  return string_map(j, field);
}

json launch_to_wire(const DevboxLaunchParameters& p, bool with_network) {
  json lp = {
      {"keep_alive_time_seconds", p.keep_alive_time_seconds},
      {"after_idle", {{"idle_time_seconds", p.keep_alive_time_seconds}, {"on_idle", p.on_idle}}},
      {"launch_commands", p.launch_commands}};
  const auto& r = p.resources;
  if (!r.resource_size_request.empty()) lp["resource_size_request"] = r.resource_size_request;
  if (r.custom_cpu_cores) lp["custom_cpu_cores"] = r.custom_cpu_cores;
  if (r.custom_gb_memory) lp["custom_gb_memory"] = r.custom_gb_memory;
  if (r.custom_disk_size) lp["custom_disk_size"] = r.custom_disk_size;
  json limits = json::object();
  if (r.cpu_seconds) limits["cpu_seconds"] = r.cpu_seconds;
  if (r.max_processes) limits["max_processes"] = r.max_processes;
  if (r.open_files) limits["open_files"] = r.open_files;
  if (r.file_size_mb) limits["file_size_mb"] = r.file_size_mb;
  if (!limits.empty()) lp["local_limits"] = limits;
  if (with_network) lp["network"] = p.network;
  return lp;
}

DevboxLaunchParameters launch_from_wire(const json& lp, bool* network_set) {
  DevboxLaunchParameters p;
  if (!lp.is_object()) return p;
  p.keep_alive_time_seconds = integer(lp, "keep_alive_time_seconds", p.keep_alive_time_seconds);
  if (auto ai = lp.find("after_idle"); ai != lp.end() && ai->is_object()) {
    if (ai->contains("idle_time_seconds"))
      p.keep_alive_time_seconds = integer(*ai, "idle_time_seconds", p.keep_alive_time_seconds);
    if (auto o = wire_text(*ai, "on_idle"); !o.empty()) p.on_idle = o;
  }
  if (auto lc = lp.find("launch_commands"); lc != lp.end() && lc->is_array())
    for (const auto& c : *lc)
      if (c.is_string()) p.launch_commands.push_back(c.get<std::string>());
  auto& r = p.resources;
  r.resource_size_request = wire_text(lp, "resource_size_request");
  r.custom_cpu_cores = static_cast<int>(integer(lp, "custom_cpu_cores"));
  r.custom_gb_memory = static_cast<int>(integer(lp, "custom_gb_memory"));
  r.custom_disk_size = static_cast<int>(integer(lp, "custom_disk_size"));
  if (auto l = lp.find("local_limits"); l != lp.end() && l->is_object()) {
    r.cpu_seconds = static_cast<std::uint64_t>(integer(*l, "cpu_seconds"));
    r.max_processes = static_cast<std::uint64_t>(integer(*l, "max_processes"));
    r.open_files = static_cast<std::uint64_t>(integer(*l, "open_files"));
    r.file_size_mb = static_cast<std::uint64_t>(integer(*l, "file_size_mb"));
  }
  if (auto n = lp.find("network"); n != lp.end() && n->is_boolean()) {
    p.network = n->get<bool>();
    if (network_set) *network_set = true;
  }
  return p;
}

bool devbox_status_is_terminal(std::string_view status) {
  return status == "shutdown" || status == "failure";
}

json devbox_to_wire(const Devbox& d) {
  json transitions = json::array();
  for (const auto& t : d.state_transitions) {
    json tj = {{"status", t.status}, {"transition_time_ms", t.transition_time_ms}};
    if (!t.failure_reason.empty()) tj["failure_reason"] = t.failure_reason;
    transitions.push_back(tj);
  }
  json v = {{"id", d.id},
            {"status", d.status},
            {"create_time_ms", d.create_time_ms},
            {"capabilities", json::array()},
            {"launch_parameters", launch_to_wire(d.launch_parameters, true)},
            {"metadata", d.metadata},
            {"state_transitions", transitions}};
  if (!d.name.empty()) v["name"] = d.name;
  if (d.end_time_ms) v["end_time_ms"] = d.end_time_ms;
  if (!d.snapshot_id.empty()) v["snapshot_id"] = d.snapshot_id;
  if (!d.blueprint_id.empty()) v["blueprint_id"] = d.blueprint_id;
  if (!d.failure_reason.empty()) v["failure_reason"] = d.failure_reason;
  if (!d.shutdown_reason.empty()) v["shutdown_reason"] = d.shutdown_reason;
  if (d.tunnel) v["tunnel"] = tunnel_view_to_wire(*d.tunnel);
  if (!d.tunnels.empty()) {
    v["tunnels"] = json::array();
    for (const auto& t : d.tunnels) v["tunnels"].push_back(tunnel_to_wire(t));
  }
  return v;
}

json tunnel_view_to_wire(const DevboxTunnelView& t) {
  json v = {{"tunnel_key", t.tunnel_key},
            {"auth_mode", t.auth_mode},
            {"create_time_ms", t.create_time_ms},
            {"http_keep_alive", t.http_keep_alive},
            {"wake_on_http", t.wake_on_http}};
  if (!t.auth_token.empty()) v["auth_token"] = t.auth_token;
  return v;
}

DevboxTunnelView tunnel_view_from_wire(const json& v) {
  DevboxTunnelView t;
  if (!v.is_object()) return t;
  t.tunnel_key = wire_text(v, "tunnel_key");
  if (auto mode = wire_text(v, "auth_mode"); !mode.empty()) t.auth_mode = mode;
  t.auth_token = wire_text(v, "auth_token");
  t.create_time_ms = integer(v, "create_time_ms");
  if (auto it = v.find("http_keep_alive"); it != v.end() && it->is_boolean())
    t.http_keep_alive = it->get<bool>();
  if (auto it = v.find("wake_on_http"); it != v.end() && it->is_boolean())
    t.wake_on_http = it->get<bool>();
  return t;
}

json tunnel_to_wire(const DevboxTunnel& t) {
  return {{"devbox_id", t.devbox_id}, {"port", t.port}, {"url", t.url}};
}

DevboxTunnel tunnel_from_wire(const json& v) {
  DevboxTunnel t;
  if (!v.is_object()) return t;
  t.devbox_id = wire_text(v, "devbox_id");
  t.port = static_cast<int>(integer(v, "port"));
  t.url = wire_text(v, "url");
  return t;
}

Devbox devbox_from_wire(const json& v) {
  Devbox d;
  if (!v.is_object()) return d;
  d.id = wire_text(v, "id");
  d.name = wire_text(v, "name");
  d.status = wire_text(v, "status");
  d.create_time_ms = integer(v, "create_time_ms");
  d.end_time_ms = integer(v, "end_time_ms");
  d.snapshot_id = wire_text(v, "snapshot_id");
  d.blueprint_id = wire_text(v, "blueprint_id");
  d.failure_reason = wire_text(v, "failure_reason");
  d.shutdown_reason = wire_text(v, "shutdown_reason");
  if (v.contains("metadata") && v["metadata"].is_object())
    for (const auto& [k, val] : v["metadata"].items())
      if (val.is_string()) d.metadata[k] = val.get<std::string>();
  if (v.contains("launch_parameters"))
    d.launch_parameters = launch_from_wire(v["launch_parameters"], nullptr);
  if (auto st = v.find("state_transitions"); st != v.end() && st->is_array())
    for (const auto& t : *st)
      if (t.is_object())
        d.state_transitions.push_back({wire_text(t, "status"), integer(t, "transition_time_ms"),
                                       wire_text(t, "failure_reason")});
  if (auto t = v.find("tunnel"); t != v.end() && t->is_object())
    d.tunnel = tunnel_view_from_wire(*t);
  if (auto ts = v.find("tunnels"); ts != v.end() && ts->is_array())
    for (const auto& t : *ts) d.tunnels.push_back(tunnel_from_wire(t));
  return d;
}

json code_mount_to_wire(const DevboxCodeMount& m) {
  json v = {{"repo_owner", m.repo_owner}, {"repo_name", m.repo_name}};
  if (!m.token.empty()) v["token"] = m.token;
  if (!m.git_ref.empty()) v["git_ref"] = m.git_ref;
  if (!m.install_command.empty()) v["install_command"] = m.install_command;
  if (!m.git_url.empty()) v["git_url"] = m.git_url;
  return v;
}

DevboxCodeMount code_mount_from_wire(const json& v, const std::string& where) {
  if (!v.is_object())
    throw PlatformError(ErrorKind::invalid,
                        where +
                            " must be an object {repo_owner, repo_name, token?, git_ref?, "
                            "install_command?}");
  for (const char* key :
       {"repo_owner", "repo_name", "token", "git_ref", "install_command", "git_url"})
    if (v.contains(key) && !v[key].is_string() && !v[key].is_null())
      throw PlatformError(ErrorKind::invalid, where + "." + key + " must be a string");
  DevboxCodeMount m;
  m.repo_owner = wire_text(v, "repo_owner");
  m.repo_name = wire_text(v, "repo_name");
  m.token = wire_text(v, "token");
  m.git_ref = wire_text(v, "git_ref");
  m.install_command = wire_text(v, "install_command");
  m.git_url = wire_text(v, "git_url");
  if (m.repo_owner.empty() || m.repo_name.empty())
    throw PlatformError(ErrorKind::invalid, where + " needs repo_owner and repo_name");
  return m;
}

void mounts_from_wire(const json& b, DevboxCreateRequest& r) {
  if (auto it = b.find("code_mounts"); it != b.end() && !it->is_null()) {
    if (!it->is_array()) throw PlatformError(ErrorKind::invalid, "code_mounts must be an array");
    for (std::size_t i = 0; i < it->size(); ++i)
      r.code_mounts.push_back(
          code_mount_from_wire((*it)[i], "code_mounts[" + std::to_string(i) + "]"));
  }
  auto it = b.find("mounts");
  if (it == b.end() || it->is_null()) return;
  if (!it->is_array()) throw PlatformError(ErrorKind::invalid, "mounts must be an array");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    const std::string where = "mounts[" + std::to_string(i) + "]";
    const std::string type = m.is_object() ? wire_text(m, "type") : "";
    if (type == "code_mount") {
      r.code_mounts.push_back(code_mount_from_wire(m, where));
    } else if (type == "file_mount") {
      if (!m.contains("target") || !m["target"].is_string() || !m.contains("content") ||
          !m["content"].is_string())
        throw PlatformError(ErrorKind::invalid,
                            where + " (file_mount) needs target and content, both strings");
      r.file_mounts[m["target"].get<std::string>()] = m["content"].get<std::string>();
    } else if (type == "object_mount") {
      if (!m.contains("object_id") || !m["object_id"].is_string() || !m.contains("object_path") ||
          !m["object_path"].is_string() || m["object_id"].get<std::string>().empty() ||
          m["object_path"].get<std::string>().empty())
        throw PlatformError(
            ErrorKind::invalid,
            where + " (object_mount) needs object_id and object_path, both strings");
      r.object_mounts.push_back(
          {m["object_id"].get<std::string>(), m["object_path"].get<std::string>()});
    } else {
      throw PlatformError(ErrorKind::invalid,
                          where + ".type \"" + type +
                              "\" is not a mount this server makes (code_mount, file_mount, "
                              "object_mount)");
    }
  }
}

json create_request_to_wire(const DevboxCreateRequest& r) {
  json b = json::object();
  if (!r.name.empty()) b["name"] = r.name;
  if (!r.snapshot_id.empty()) b["snapshot_id"] = r.snapshot_id;
  if (!r.blueprint_id.empty()) b["blueprint_id"] = r.blueprint_id;
  if (!r.blueprint_name.empty()) b["blueprint_name"] = r.blueprint_name;
  if (!r.environment_variables.empty()) b["environment_variables"] = r.environment_variables;
  if (!r.secrets.empty()) b["secrets"] = r.secrets;
  if (!r.file_mounts.empty()) b["file_mounts"] = r.file_mounts;
  if (!r.code_mounts.empty()) {
    b["code_mounts"] = json::array();
    for (const auto& m : r.code_mounts) b["code_mounts"].push_back(code_mount_to_wire(m));
  }
  for (const auto& m : r.object_mounts)
    b["mounts"].push_back(
        {{"type", "object_mount"}, {"object_id", m.object_id}, {"object_path", m.object_path}});
  if (!r.metadata.empty()) b["metadata"] = r.metadata;
  json lp = launch_to_wire(r.launch_parameters, r.network_set);
  lp.erase("after_idle");
  lp["after_idle"] = {{"idle_time_seconds", r.launch_parameters.keep_alive_time_seconds},
                      {"on_idle", r.launch_parameters.on_idle}};
  if (r.launch_parameters.launch_commands.empty()) lp.erase("launch_commands");
  b["launch_parameters"] = lp;
  return b;
}

DevboxCreateRequest create_request_from_wire(const json& b) {
  DevboxCreateRequest r;
  if (b.is_null()) return r;
  if (!b.is_object()) throw PlatformError(ErrorKind::invalid, "the body must be a JSON object");
  r.name = wire_text(b, "name");
  r.snapshot_id = wire_text(b, "snapshot_id");
  r.blueprint_id = wire_text(b, "blueprint_id");
  r.blueprint_name = wire_text(b, "blueprint_name");
  r.environment_variables = string_map(b, "environment_variables");
  r.secrets = string_map(b, "secrets");
  r.file_mounts = string_map(b, "file_mounts");
  mounts_from_wire(b, r);
  r.metadata = string_map(b, "metadata");
  if (b.contains("launch_parameters") && !b["launch_parameters"].is_null()) {
    if (!b["launch_parameters"].is_object())
      throw PlatformError(ErrorKind::invalid, "launch_parameters must be an object");
    r.launch_parameters = launch_from_wire(b["launch_parameters"], &r.network_set);
  }
  return r;
}

json log_to_wire(const DevboxLog& l) {
  json v = {{"timestamp_ms", l.timestamp_ms},
            {"source", l.source},
            {"level", l.level},
            {"message", to_valid_utf8(l.message)}};
  v["cmd"] = l.cmd.empty() ? json(nullptr) : json(to_valid_utf8(l.cmd));
  v["cmd_id"] = l.cmd_id.empty() ? json(nullptr) : json(l.cmd_id);
  v["exit_code"] = l.exit_code ? json(*l.exit_code) : json(nullptr);
  v["shell_name"] = l.shell_name.empty() ? json(nullptr) : json(l.shell_name);
  return v;
}

DevboxLog log_from_wire(const json& v) {
  DevboxLog l;
  if (!v.is_object()) return l;
  l.timestamp_ms = integer(v, "timestamp_ms");
  l.source = wire_text(v, "source");
  l.level = wire_text(v, "level");
  l.message = wire_text(v, "message");
  l.cmd = wire_text(v, "cmd");
  l.cmd_id = wire_text(v, "cmd_id");
  if (auto it = v.find("exit_code"); it != v.end() && it->is_number_integer())
    l.exit_code = it->get<int>();
  l.shell_name = wire_text(v, "shell_name");
  return l;
}

json logs_to_wire(const std::vector<DevboxLog>& lines) {
  json items = json::array();
  for (const auto& l : lines) items.push_back(log_to_wire(l));
  return {{"logs", items}};
}

std::vector<DevboxLog> logs_from_wire(const json& view) {
  std::vector<DevboxLog> out;
  if (view.is_object() && view.contains("logs") && view["logs"].is_array())
    for (const auto& l : view["logs"]) out.push_back(log_from_wire(l));
  return out;
}

json usage_to_wire(const DevboxUsage& u) {
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  return {{"id", u.id},
          {"status", u.status},
          {"start_time_ms", u.start_time_ms},
          {"end_time_ms", u.end_time_ms ? json(u.end_time_ms) : json(nullptr)},
          {"total_active_seconds", u.total_active_seconds},
          {"total_elapsed_seconds", u.total_elapsed_seconds},
          {"vcpu_seconds", u.vcpu_seconds},
          {"memory_gb_seconds", u.memory_gb_seconds},
          {"disk_gb_seconds", u.disk_gb_seconds},
          // Local extensions, harmless to Runloop's SDKs.
          {"cpu_time_seconds", opt(u.cpu_time_seconds)},
          {"peak_memory_bytes", opt(u.peak_memory_bytes)},
          {"memory_bytes", opt(u.memory_bytes)},
          {"disk_bytes", opt(u.disk_bytes)},
          {"unavailable", u.unavailable}};
}

DevboxUsage usage_from_wire(const json& v) {
  DevboxUsage u;
  if (!v.is_object()) return u;
  u.id = wire_text(v, "id");
  u.status = wire_text(v, "status");
  u.start_time_ms = integer(v, "start_time_ms");
  u.end_time_ms = integer(v, "end_time_ms");
  auto number = [&](const char* f) {
    auto it = v.find(f);
    return it != v.end() && it->is_number() ? it->get<double>() : 0.0;
  };
  u.total_active_seconds = number("total_active_seconds");
  u.total_elapsed_seconds = number("total_elapsed_seconds");
  u.vcpu_seconds = number("vcpu_seconds");
  u.memory_gb_seconds = number("memory_gb_seconds");
  u.disk_gb_seconds = number("disk_gb_seconds");
  if (auto it = v.find("cpu_time_seconds"); it != v.end() && it->is_number())
    u.cpu_time_seconds = it->get<double>();
  for (auto [field, out] :
       {std::pair{"peak_memory_bytes", &u.peak_memory_bytes},
        std::pair{"memory_bytes", &u.memory_bytes}, std::pair{"disk_bytes", &u.disk_bytes}})
    if (auto it = v.find(field); it != v.end() && it->is_number()) *out = it->get<std::int64_t>();
  if (v.contains("unavailable") && v["unavailable"].is_object())
    for (const auto& [k, why] : v["unavailable"].items())
      if (why.is_string()) u.unavailable[k] = why.get<std::string>();
  return u;
}

json execution_to_wire(const DevboxExecution& e) {
  json v = {{"devbox_id", e.devbox_id}, {"execution_id", e.execution_id}, {"status", e.status}};
  if (!e.shell_name.empty()) v["shell_name"] = e.shell_name;
  if (e.status == "completed") {
    v["exit_status"] = e.exit_status.value_or(-1);
    v["stdout"] = to_valid_utf8(e.stdout_text);
    v["stderr"] = to_valid_utf8(e.stderr_text);
    v["stdout_truncated"] = e.stdout_truncated;
    v["stderr_truncated"] = e.stderr_truncated;
  }
  // Local extensions, harmless to Runloop's SDKs.
  if (!e.command.empty()) v["command"] = to_valid_utf8(e.command);
  if (e.duration_ms) v["duration_ms"] = e.duration_ms;
  if (e.timed_out) v["timed_out"] = true;
  if (e.killed) v["killed"] = true;
  if (!e.note.empty()) v["note"] = e.note;
  return v;
}

DevboxExecution execution_from_wire(const json& v) {
  DevboxExecution e;
  if (!v.is_object()) return e;
  e.devbox_id = wire_text(v, "devbox_id");
  e.execution_id = wire_text(v, "execution_id");
  e.status = wire_text(v, "status");
  if (e.status.empty() && v.contains("exit_status")) e.status = "completed";  // execute_sync view
  if (auto x = v.find("exit_status"); x != v.end() && x->is_number()) e.exit_status = x->get<int>();
  e.stdout_text = wire_text(v, "stdout");
  e.stderr_text = wire_text(v, "stderr");
  e.stdout_truncated = v.value("stdout_truncated", false);
  e.stderr_truncated = v.value("stderr_truncated", false);
  e.shell_name = wire_text(v, "shell_name");
  e.command = wire_text(v, "command");
  e.duration_ms = integer(v, "duration_ms");
  e.timed_out = v.value("timed_out", false);
  e.killed = v.value("killed", false);
  e.note = wire_text(v, "note");
  return e;
}

json snapshot_to_wire(const DevboxSnapshot& s) {
  json v = {{"id", s.id},
            {"create_time_ms", s.create_time_ms},
            {"metadata", s.metadata},
            {"source_devbox_id", s.source_devbox_id}};
  if (!s.name.empty()) v["name"] = s.name;
  if (!s.commit_message.empty()) v["commit_message"] = s.commit_message;
  v["size_bytes"] = s.size_bytes;
  // Ours, not Runloop's: what an exact copy had to leave out (sockets, fifos, devices).
  if (!s.skipped.empty()) v["skipped"] = s.skipped;
  return v;
}

DevboxSnapshot snapshot_from_wire(const json& v) {
  DevboxSnapshot s;
  if (!v.is_object()) return s;
  s.id = wire_text(v, "id");
  s.name = wire_text(v, "name");
  s.create_time_ms = integer(v, "create_time_ms");
  if (v.contains("metadata") && v["metadata"].is_object())
    for (const auto& [k, val] : v["metadata"].items())
      if (val.is_string()) s.metadata[k] = val.get<std::string>();
  s.source_devbox_id = wire_text(v, "source_devbox_id");
  s.commit_message = wire_text(v, "commit_message");
  s.size_bytes = integer(v, "size_bytes");
  if (v.contains("skipped") && v["skipped"].is_array())
    for (const auto& p : v["skipped"])
      if (p.is_string()) s.skipped.push_back(p.get<std::string>());
  return s;
}

namespace {

// A Runloop list view: {<key>: [items], has_more}.
template <class Page, class Item, class ToWire>
json page_to_wire(const Page& page, const char* key, std::vector<Item> Page::*items,
                  ToWire to_wire) {
  json out = json::array();
  for (const auto& item : page.*items) out.push_back(to_wire(item));
  return {{key, out}, {"has_more", page.has_more}};
}

template <class Page, class Item, class FromWire>
Page page_from_wire(const json& view, const char* key, std::vector<Item> Page::*items,
                    FromWire from_wire) {
  Page page;
  for (const auto& v : view.value(key, json::array())) (page.*items).push_back(from_wire(v));
  page.has_more = view.value("has_more", false);
  return page;
}

}  // namespace

json devbox_page_to_wire(const DevboxPage& page) {
  return page_to_wire(page, "devboxes", &DevboxPage::devboxes, devbox_to_wire);
}

DevboxPage devbox_page_from_wire(const json& view) {
  return page_from_wire(view, "devboxes", &DevboxPage::devboxes, devbox_from_wire);
}

json snapshot_page_to_wire(const SnapshotPage& page) {
  return page_to_wire(page, "snapshots", &SnapshotPage::snapshots, snapshot_to_wire);
}

SnapshotPage snapshot_page_from_wire(const json& view) {
  return page_from_wire(view, "snapshots", &SnapshotPage::snapshots, snapshot_from_wire);
}

}  // namespace runagents::platform
