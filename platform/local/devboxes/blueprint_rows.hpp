// The local blueprints' rows: the blueprints and blueprint_logs tables (migration 8) of the
// platform database, beside the devboxes' (devbox_rows.hpp). Nothing here builds or copies a
// home; that is devbox_blueprints.cpp. Internal to platform/local/devboxes.
//
// Errors are PlatformError: not_found (saying how to list blueprints) for an unknown blueprint,
// conflict for a state that forbids the change, and the Database's errors otherwise.
//
// Thread-safety: safe for concurrent use from multiple threads and processes (the Database
// orders statements; each state change that checks first is one transaction).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "platform/devboxes.hpp"
#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

// The "blueprint ... not found" message, with where to list the blueprints.
std::string not_found_blueprint(const std::string& what);

// Build log lines kept per blueprint; past it one line says the rest was left out.
inline constexpr int kBlueprintLogLines = 5000;

class BlueprintRows {
 public:
  BlueprintRows(std::shared_ptr<Database> db, std::string owner);

  // Records a new blueprint built by this process (its parameters without code mount tokens).
  void insert(const Blueprint& bp);
  // Throws not_found.
  Blueprint get(const std::string& id);
  BlueprintPage list(const BlueprintListRequest& req);
  // The latest build_complete blueprint named `name` that is not deleted; nullopt when none.
  std::optional<Blueprint> latest_built(const std::string& name);
  // Sets status (and failure_reason, and the finish time when it is build_complete or failed).
  void set_status(const std::string& id, const std::string& status,
                  const std::string& failure_reason = {});
  // The ENV values devboxes from the blueprint get.
  void set_environment(const std::string& id, const std::map<std::string, std::string>& env);
  std::map<std::string, std::string> environment(const std::string& id);

  // Appends a build log line (up to kBlueprintLogLines).
  void log(const std::string& id, const std::string& level, const std::string& message);
  std::vector<BlueprintLog> logs(const std::string& id);

  // In one transaction: refuses (conflict, naming why) while the blueprint builds or a devbox
  // provisions from it, else runs `remove_files` (which moves its home out of the way; if it
  // throws nothing changes) and sets state deleted. Returns false when it was deleted already.
  bool mark_deleted(const std::string& id, const std::function<void()>& remove_files);

  // Fails the builds whose server stopped before they ended (a log line says so).
  void fail_orphaned_builds();

 private:
  std::shared_ptr<Database> db_;
  const std::string owner_;
  // Lines logged per blueprint, counted once from the table and then kept here, so that a build
  // printing thousands of lines does not count its log again for each one.
  std::mutex log_mu_;
  std::map<std::string, std::int64_t> log_lines_;
};

}  // namespace runagents::platform::local
