// Which secrets each local devbox was created with (DevboxCreateRequest::secrets): environment
// variable -> secret name, kept as <data_dir>/devbox_secrets/<id>.json (names only, mode 0600).
// It outlives the devbox's directory, because a shut down devbox's executions and logs are still
// shown, and still redacted. The values come from the SecretStore at each use, so a sandbox
// reopened after a restart gets the secrets' current values. Internal to platform/local.
//
// Thread-safety: safe for concurrent use from multiple threads and processes.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "platform/local/secrets/secret_store.hpp"

namespace runagents::platform::local {

// Throws PlatformError(invalid) naming `field` unless `name` is an environment variable name
// (environment_variables and secrets of a create request).
void check_variable_name(const char* field, const std::string& name);

class DevboxSecrets {
 public:
  explicit DevboxSecrets(const std::filesystem::path& data_dir);

  // The values of a create request's secrets, as variable -> value. Throws invalid for a bad
  // variable or secret name, not_found for a secret that does not exist.
  std::map<std::string, std::string> resolve(const std::map<std::string, std::string>& env_to_name);
  // Records the devbox's mapping (nothing when it is empty). Throws unavailable when it cannot be
  // written.
  void record(const std::string& devbox_id, const std::map<std::string, std::string>& env_to_name);
  // The devbox's secrets as variable -> value, for its sandbox. Throws conflict naming a secret
  // that was deleted since the devbox was created (and how to set it again).
  std::map<std::string, std::string> environment(const std::string& devbox_id);
  // The values to hide in what the devbox shows: those of its secrets that still exist.
  std::vector<std::string> values(const std::string& devbox_id);

  SecretStore& store() { return store_; }

 private:
  std::map<std::string, std::string> mapping(const std::string& devbox_id);

  SecretStore store_;
  std::filesystem::path dir_;  // <data_dir>/devbox_secrets
  std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> mappings_;  // found ones only
};

}  // namespace runagents::platform::local
