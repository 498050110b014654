// The local platform's SQLite database: one file under the data dir, shared by every server
// process that uses the same data dir. Within one process there is one Database per data dir,
// shared by the local platform's services and the local devboxes: open it with
// open_platform_database() (data_dir.hpp), not with the constructor.
//
// WAL mode lets readers and one writer work at once across processes; a busy timeout makes a
// writer wait for another process's transaction instead of failing. Writes that must be atomic
// run in transaction(), which begins IMMEDIATE (takes the write lock up front, so two processes
// never both read-then-write the same rows). The schema is created and upgraded by versioned
// migrations recorded in the schema_migrations table; opening a database that a newer build
// migrated further fails with an error that says so.
//
// Thread-safety: a Database is safe for concurrent use from multiple threads. Statements run one
// at a time on its main connection, and a transaction holds that connection (its mutex) for its
// thread until it ends, so the process's other writers wait for it rather than for SQLite's busy
// timeout. A SELECT that finds the main connection busy (another thread's statement or
// transaction) runs on a read-only connection instead, opened when first needed (at most
// kMaxReaders): it sees what was committed when it started, as WAL readers do, and does not wait
// for the other thread (under load, connection threads queued on the one mutex). A process
// that never reads from two threads at once opens none. Other processes are ordered by SQLite's
// locks (WAL, busy timeout, IMMEDIATE transactions).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace runagents::platform::local {

// A value bound to or read from a statement column.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

// One result row, columns in select order.
class Row {
 public:
  explicit Row(std::vector<SqlValue> values) : values_(std::move(values)) {}
  // The column as text ("" for NULL) or integer (0 for NULL).
  std::string text(std::size_t column) const;
  std::int64_t integer(std::size_t column) const;
  bool is_null(std::size_t column) const;

 private:
  std::vector<SqlValue> values_;
};

class Database {
 public:
  // Opens (creating if needed) `path`, sets WAL and the busy timeout, and applies pending
  // migrations. Throws PlatformError: unavailable when the file cannot be opened or the
  // migrations fail (message names the file), conflict when the schema is newer than this build.
  explicit Database(const std::filesystem::path& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one statement with `params` bound to ?1, ?2... and returns its rows.
  // Throws PlatformError(internal) for an SQL error, (unavailable) when the database stayed
  // locked past the busy timeout.
  std::vector<Row> query(const std::string& sql, const std::vector<SqlValue>& params = {});
  // query() for statements without rows; returns the number of rows changed.
  int execute(const std::string& sql, const std::vector<SqlValue>& params = {});

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back and rethrows if it throws.
  // `body` may call query/execute (on this thread) but not transaction() again.
  void transaction(const std::function<void()>& body);

  int schema_version();
  const std::filesystem::path& path() const { return path_; }

 private:
  // One SQLite connection and its prepared statements; used by one thread at a time.
  struct Connection {
    sqlite3* db = nullptr;
    // Each SQL text is prepared once (up to kMaxStatements texts) and reset after every use,
    // which also ends its read snapshot. Parsing the SQL was about a quarter of a list_tools
    // call.
    std::unordered_map<std::string, sqlite3_stmt*> statements;
    std::vector<Row> run(const std::string& sql, const std::vector<SqlValue>& params, int* changes);
    // Finalizes the cached statements and closes the connection.
    void close();
  };
  struct Reader {
    std::mutex mu;
    Connection connection;
  };
  static constexpr std::size_t kMaxStatements = 256;
  static constexpr std::size_t kMaxReaders = 3;

  void migrate();
  std::vector<Row> run(const std::string& sql, const std::vector<SqlValue>& params, int* changes);
  // A free reader, locked through `lock`; opens one when all are busy and fewer than
  // kMaxReaders are open. Null when none can be had (the caller waits for the main connection).
  Reader* free_reader(std::unique_lock<std::mutex>& lock);

  std::filesystem::path path_;
  Connection main_;
  std::recursive_mutex mu_;  // guards main_; held across a transaction by its thread
  std::mutex readers_mu_;    // guards opening readers
  std::array<std::unique_ptr<Reader>, kMaxReaders> readers_;
  std::atomic<std::size_t> reader_count_{0};  // readers_[0, count) are open
};

// The schema version this build writes.
int latest_schema_version();

}  // namespace runagents::platform::local
