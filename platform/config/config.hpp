// Configuration of the platform layer: where the RunAgents API is (if anywhere), the credentials,
// the namespace, and where the embedded local platform keeps its data.
//
// Precedence, highest first: command-line flags > environment > ~/.runagents/config.json >
// defaults. The file uses the RunAgents SDK's keys (endpoint, api_key, namespace,
// assistant_mode) so the SDK, its CLI and this server share one file; this server adds data_dir,
// llm_base_url, llm_api_key and runtimeuse_ws_url. The file is written with mode 0600.
//
// The API keys are secrets: nothing here prints or logs them; use redact_secret()
// (platform/common/redact.hpp) to show one.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/platform.hpp"

namespace runagents::platform {

// Values given on the command line; unset ones fall through to the environment.
struct ConfigFlags {
  std::optional<std::string> endpoint;
  std::optional<std::string> api_key;
  std::optional<std::string> ns;
  std::optional<std::string> assistant_mode;
  std::optional<std::string> data_dir;
  std::optional<std::string> config_file;  // default: $HOME/.runagents/config.json
};

struct Config {
  std::string endpoint;  // RunAgents API base URL, trailing '/' stripped; empty: local platform
  std::string api_key;
  std::string ns = "default";
  std::string assistant_mode = "external";  // external | runagents | off
  std::filesystem::path data_dir;           // the local platform's data
  std::string llm_base_url;  // OpenAI-compatible endpoint for the local model gateway; optional
  std::string llm_api_key;
  std::string runtimeuse_ws_url;  // default RuntimeUse runtime for run_query (ws:// or wss://)
  std::filesystem::path config_file;
  // key -> where its value came from: "flag --endpoint", "env RUNAGENTS_ENDPOINT", "config file",
  // "default".
  std::map<std::string, std::string> sources;

  bool remote_runagents() const { return !endpoint.empty(); }
};

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
std::optional<std::string> process_env(const std::string& name);

// Resolves the configuration. Throws PlatformError(invalid) for an unreadable or malformed config
// file (naming it), an endpoint that is not an http(s) URL, an unknown assistant_mode, or a
// namespace that is not a DNS label; the message says which source held the bad value.
Config load_config(const ConfigFlags& flags, const EnvLookup& env = process_env);

// The config file `flags` and the environment point at (default $HOME/.runagents/config.json).
std::filesystem::path config_file_path(const ConfigFlags& flags,
                                       const EnvLookup& env = process_env);

// Keys `config get|set|list` accept, in display order.
const std::vector<std::string>& config_keys();
// Whether `key` holds a secret (api_key, llm_api_key).
bool is_secret_key(const std::string& key);

// The config file's contents (empty object when it does not exist). Throws invalid as above.
json read_config_file(const std::filesystem::path& path);
// Sets (or with an empty value, removes) `key` in the file, creating it and its directory;
// writes atomically with mode 0600. Throws invalid for an unknown key or bad value (nothing is
// written), unavailable when the file cannot be written.
void set_config_value(const std::filesystem::path& path, const std::string& key,
                      const std::string& value);

// Which face each domain uses under a Config: faces.hpp.

}  // namespace runagents::platform
