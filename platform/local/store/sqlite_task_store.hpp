// The durable TaskStore: the `tasks` table of the local platform's SQLite database
// (<data dir>/platform.db), so every server process on one data dir sees the same tasks.
//
// Each store holds its own connection (WAL, with Database's busy timeout, so a writer waits for
// another process instead of failing). update() runs in a BEGIN IMMEDIATE transaction, which
// makes read-change-write atomic across processes; every write is committed before the call
// returns. Thread-safe. Errors throw PlatformError (a std::runtime_error): unavailable when the
// database stays locked or cannot be opened, internal for an SQL error.
#pragma once

#include <filesystem>

#include "platform/local/store/database.hpp"
#include "server/tasks/task_store.hpp"

namespace runagents::platform::local {

class SqliteTaskStore : public mcp::TaskStore {
 public:
  // Opens (creating and migrating if needed) the database file, normally data_dir/platform.db;
  // its directory is created if missing and made private (prepare_data_dir). Throws
  // PlatformError(unavailable) naming the path when either cannot be done.
  explicit SqliteTaskStore(const std::filesystem::path& database_file);

  void create(const mcp::TaskRecord& record) override;
  std::optional<mcp::TaskRecord> get(const std::string& id) override;
  std::vector<mcp::TaskRecord> list(const std::string& principal, const std::string& after_id,
                                    size_t limit) override;
  bool update(const std::string& id, const std::function<bool(mcp::TaskRecord&)>& change) override;
  size_t purge_expired(std::int64_t now_ms) override;
  std::map<std::string, size_t> count_by_status() override;

 private:
  Database db_;
};

}  // namespace runagents::platform::local
