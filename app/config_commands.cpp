#include "app/config_commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iomanip>
#include <iostream>

#include "platform/common/redact.hpp"
#include "platform/config/faces.hpp"
#include "platform/http/http_client.hpp"
#include "platform/local/agents/python_check.hpp"
#include "platform/local/sandbox/sandbox.hpp"
#include "platform/local/sandbox/subprocess.hpp"
#include "platform/remote/runagents/runagents_client.hpp"

namespace runagents::cli {

using namespace runagents::platform;  // config and doctor read the platform throughout

namespace {

std::string shown(const std::string& key, const std::string& value) {
  if (value.empty()) return "(not set)";
  return is_secret_key(key) ? common::redact_secret(value) : value;
}

std::string value_of(const Config& c, const std::string& key) {
  if (key == "endpoint") return c.endpoint;
  if (key == "api_key") return c.api_key;
  if (key == "namespace") return c.ns;
  if (key == "assistant_mode") return c.assistant_mode;
  if (key == "data_dir") return c.data_dir.string();
  if (key == "llm_base_url") return c.llm_base_url;
  if (key == "llm_api_key") return c.llm_api_key;
  return {};
}

bool known_key(const std::string& key) {
  for (const auto& k : config_keys())
    if (k == key) return true;
  return false;
}

std::string valid_keys() {
  std::string out;
  for (const auto& k : config_keys()) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Probes the RunAgents endpoint with GET /api/agents (what list_agents calls).
std::string probe_endpoint(const Config& c, bool& ok) {
  HttpRequest get = HttpRequest::get("/api/agents").with_header("X-Workspace-Namespace", c.ns);
  for (auto& [name, value] : remote::runagents_auth_headers(c.api_key))
    get.with_header(name, value);
  auto start = std::chrono::steady_clock::now();
  const HttpAttempt attempt =
      attempt_plain(HttpClientOptions::plain(c.endpoint, "RunAgents", std::chrono::seconds(5),
                                             std::chrono::seconds(5)),
                    get);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (!attempt.response) {
    ok = false;
    return "unreachable (" + attempt.failure +
           "): check the endpoint, or unset it to use the embedded local platform";
  }
  const HttpResponse& res = *attempt.response;
  std::string when = " in " + std::to_string(ms) + " ms";
  if (res.status == 401 || res.status == 403) {
    ok = false;
    return "reachable, but HTTP " + std::to_string(res.status) + " for GET /api/agents" + when +
           ": the API key is missing or rejected (runagents-mcp config set api_key -)";
  }
  ok = res.status >= 200 && res.status < 300;
  return (ok ? "reachable: " : "reachable, but ") + std::string("HTTP ") +
         std::to_string(res.status) + " for GET /api/agents" + when;
}

}  // namespace

int config_list(const ConfigFlags& flags, std::ostream& out, std::ostream& err) {
  Config c;
  try {
    c = load_config(flags);
  } catch (const PlatformError& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
  out << "config file: " << c.config_file.string() << "\n";
  for (const auto& key : config_keys())
    out << std::left << std::setw(15) << key << " " << shown(key, value_of(c, key)) << "  ("
        << c.sources[key] << ")\n";
  return 0;
}

int config_get(const ConfigFlags& flags, const std::string& key, std::ostream& out,
               std::ostream& err) {
  if (!known_key(key)) {
    err << "error: unknown config key '" << key << "'; valid keys: " << valid_keys() << "\n";
    return 2;
  }
  try {
    Config c = load_config(flags);
    std::string value = value_of(c, key);
    out << (is_secret_key(key) ? common::redact_secret(value) : value) << "\n";
    return 0;
  } catch (const PlatformError& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

int config_set(const ConfigFlags& flags, const std::string& key, const std::string& value_in,
               std::ostream& out, std::ostream& err) {
  std::string value = value_in;
  if (value == "-") {
    if (!std::getline(std::cin, value)) value.clear();
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  }
  try {
    const auto path = config_file_path(flags);
    set_config_value(path, key, value);
    out << (value.empty() ? "removed " + key : "set " + key + " = " + shown(key, value)) << " in "
        << path.string() << "\n";
    Config now = load_config(flags);
    const std::string& source = now.sources[key];
    if (source != "config file" && source != "default")
      out << "note: " << source << " takes precedence over the config file\n";
    return 0;
  } catch (const PlatformError& e) {
    err << "error: " << e.what() << "\n";
    return e.kind() == ErrorKind::invalid ? 2 : 1;
  }
}

int run_doctor(const ConfigFlags& flags, std::ostream& out) {
  Config c;
  try {
    c = load_config(flags);
  } catch (const PlatformError& e) {
    out << "config: ERROR " << e.what() << "\n";
    return 1;
  }
  bool healthy = true;
  out << "runagents-mcp " << RUNAGENTS_VERSION << " doctor\n\n";
  struct stat st {};
  if (::stat(c.config_file.c_str(), &st) == 0) {
    bool private_mode = (st.st_mode & 077) == 0;
    out << "config file      " << c.config_file.string()
        << (private_mode ? " (mode 0600)"
                         : " (readable by others: run chmod 600 " + c.config_file.string() + ")")
        << "\n";
  } else {
    out << "config file      " << c.config_file.string() << " (none; defaults and environment)\n";
  }
  for (const auto& key : config_keys())
    out << "  " << std::left << std::setw(15) << key << shown(key, value_of(c, key)) << "  ("
        << c.sources[key] << ")\n";

  out << "\nfaces\n";
  bool any_local = false;
  auto faces = faces_for(c);
  for (const auto& [domain, face] : faces) {
    out << "  " << std::left << std::setw(10) << domain << std::setw(7) << face.kind << face.reason
        << "\n";
    any_local = any_local || face.kind == "local";
  }

  out << "\nlocal platform\n";
  std::error_code ec;
  if (std::filesystem::is_directory(c.data_dir, ec)) {
    bool writable = ::access(c.data_dir.c_str(), W_OK) == 0;
    out << "  data dir       " << c.data_dir.string()
        << (writable ? " (exists, writable)" : " (NOT writable: fix its permissions)") << "\n";
    healthy = healthy && (writable || !any_local);
  } else {
    out << "  data dir       " << c.data_dir.string() << " (created on first use)\n";
  }
  auto sandbox = local::check_sandbox_support();
  if (sandbox.usable) {
    out << "  bwrap          " << sandbox.bwrap_path << " (" << sandbox.bwrap_version
        << ", sandboxes work)\n";
  } else {
    out << "  bwrap          NOT usable: " << sandbox.message << "\n";
    healthy = healthy && !any_local;
  }
  // Devboxes with network: true need a user-mode network stack; the others do not.
  auto network = local::check_network_support();
  if (network.usable) {
    out << "  slirp4netns    " << network.slirp4netns_path << " ("
        << (network.slirp4netns_version.empty() ? "version unknown" : network.slirp4netns_version)
        << ", devboxes with network work)\n";
  } else {
    out << "  slirp4netns    NOT usable, so devboxes with network: true cannot be created (those "
           "without network work): "
        << network.message << "\n";
    healthy = healthy && !any_local;
  }
  const std::string python = local::kSystemPython;
  if (::access(python.c_str(), X_OK) == 0) {
    auto v = local::run_subprocess({python, "--version"}, "", std::chrono::seconds(5));
    std::string version = v.out.empty() ? v.err : v.out;
    while (!version.empty() && version.back() == '\n') version.pop_back();
    out << "  python3        " << python << " (" << version << ")\n";
  } else {
    out << "  python3        NOT found at " << python
        << ": install python3 (apt-get install python3); agents run with the system "
           "interpreter\n";
    healthy = healthy && !any_local;
  }

  out << "\nRunAgents endpoint\n";
  if (c.endpoint.empty()) {
    out << "  (none configured; runagents-mcp config set endpoint URL to use one)\n";
  } else {
    bool ok = false;
    out << "  " << c.endpoint << ": " << probe_endpoint(c, ok) << "\n";
    healthy = healthy && ok;
  }
  out << "\n" << (healthy ? "OK" : "PROBLEMS FOUND (see above)") << "\n";
  return healthy ? 0 : 1;
}

}  // namespace runagents::cli
