// The local secret store (Runloop's /v1/secrets): named values a devbox receives as environment
// variables (DevboxCreateRequest::secrets in platform/devboxes.hpp), which are then hidden as
// "[REDACTED]" in everything the server returns for that devbox.
//
// One file, <data_dir>/secrets.json, mode 0600 in the 0700 data dir, replaced whole on each change
// (written to a temporary file, then renamed) under an exclusive flock of <data_dir>/secrets.lock,
// so several processes sharing a data dir (the MCP server, `platform serve`, `secret set`) see
// each change whole. A value leaves this class only through resolve() and values(); views,
// errors and logs never carry one.
//
// Secrets are made by people, never by a model: `runagents-mcp secret set NAME` (value on stdin)
// and the /v1/secrets paths of `platform serve`. No MCP tool takes a value.
//
// Thread-safety: safe for concurrent use from multiple threads and processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace runagents::platform::local {

// A secret as shown: everything but its value (Runloop's SecretView).
struct SecretView {
  std::string id;  // "sec_..."
  std::string name;
  std::int64_t create_time_ms = 0;
  std::int64_t update_time_ms = 0;
};

// Throws PlatformError(invalid) unless `name` is 1..128 characters of letters, digits and _ . -
// starting with a letter or _.
void check_secret_name(const std::string& name);
// Throws PlatformError(invalid) unless `value` is 4 bytes to 64 KiB on one line without NUL (a
// shorter one would mask ordinary text wherever it appears; a multi-line one could not be found
// in output that arrives line by line). The message never contains the value.
void check_secret_value(const std::string& value);

class SecretStore {
 public:
  // Opens the store of `data_dir` (created 0700 if missing). Nothing is read until first use.
  explicit SecretStore(std::filesystem::path data_dir);

  // Throws invalid (name or value), conflict when the name exists (update it instead).
  SecretView create(const std::string& name, const std::string& value);
  // Replaces the value. Throws invalid (value), not_found.
  SecretView update(const std::string& name, const std::string& value);
  // create or update; `created` says which.
  SecretView set(const std::string& name, const std::string& value, bool* created = nullptr);
  // Throws not_found "secret NAME not found; ..." (how to create it).
  SecretView get(const std::string& name);
  // Every secret, by name.
  std::vector<SecretView> list();
  // Deletes it and returns what it was. Throws not_found.
  SecretView remove(const std::string& name);

  // The values for `env_to_name` (environment variable -> secret name), as variable -> value.
  // Throws not_found naming the first secret that does not exist and how to create it.
  std::map<std::string, std::string> resolve(const std::map<std::string, std::string>& env_to_name);
  // The values of those of `names` that exist (for redaction: a deleted secret is skipped).
  std::vector<std::string> values(const std::vector<std::string>& names);

  // <data_dir>/secrets.json.
  const std::filesystem::path& file() const { return file_; }

  // Thrown when a secret is not found: "secret NAME not found; create it with ...".
  static std::string not_found_message(const std::string& name);

 private:
  struct Entry {
    SecretView view;
    std::string value;
  };
  using Entries = std::map<std::string, Entry>;

  // The file's entries as they are now (read again when its size or mtime changed). Call with
  // mu_ held.
  const Entries& current();
  // Runs `change` on the entries under the exclusive file lock, then writes them back; returns
  // what `change` returns.
  template <typename Fn>
  auto modify(Fn&& change);

  std::filesystem::path dir_;
  std::filesystem::path file_;
  std::filesystem::path lock_file_;
  std::mutex mu_;
  Entries cache_;
  std::int64_t cache_mtime_ns_ = -1;
  std::uintmax_t cache_size_ = 0;
  std::uintmax_t cache_ino_ = 0;
};

}  // namespace runagents::platform::local
