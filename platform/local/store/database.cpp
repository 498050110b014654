#include "platform/local/store/database.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "platform/error.hpp"

namespace runagents::platform::local {

// Defined in schema.cpp: migration N (1-based) is element N-1.
const std::vector<std::string>& schema_migrations();

namespace {

constexpr int kBusyTimeoutMs = 10000;

std::string sqlite_message(sqlite3* db) {
  return db ? sqlite3_errmsg(db) : "out of memory";
}

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    throw PlatformError(ErrorKind::unavailable,
                        what + ": the local database stayed locked by another process for " +
                            std::to_string(kBusyTimeoutMs / 1000) + " s; retry");
  throw PlatformError(ErrorKind::internal, what + ": " + sqlite_message(db));
}

// Before SQLite's first use in the process: no memory statistics (they take a global mutex on
// every allocation, which connection threads queued on under load).
void configure_sqlite() {
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
}

// Opens a connection to `path` with `flags` (no mutex of SQLite's: each connection is used by one
// thread at a time), the busy timeout and extended result codes set. Null, with `error` set, when
// it cannot be opened.
sqlite3* open_connection(const std::filesystem::path& path, int flags, std::string& error) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    error = sqlite_message(db);
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

}  // namespace

std::string Row::text(std::size_t column) const {
  const auto& v = values_.at(column);
  if (auto s = std::get_if<std::string>(&v)) return *s;
  if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto d = std::get_if<double>(&v)) return std::to_string(*d);
  return {};
}

std::int64_t Row::integer(std::size_t column) const {
  const auto& v = values_.at(column);
  if (auto i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

bool Row::is_null(std::size_t column) const {
  return std::holds_alternative<std::nullptr_t>(values_.at(column));
}

int latest_schema_version() {
  return static_cast<int>(schema_migrations().size());
}

Database::Database(const std::filesystem::path& path) : path_(path) {
  configure_sqlite();
  std::string message;
  main_.db = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, message);
  if (!main_.db) {
    throw PlatformError(ErrorKind::unavailable, "cannot open the local database " + path.string() +
                                                    ": " + message +
                                                    "; check the data dir (--data-dir, "
                                                    "RUNAGENTS_DATA_DIR) is writable");
  }
  try {
    // journal_mode=WAL needs a moment of exclusive access the first time; retry while another
    // process is creating the same database.
    for (int attempt = 0;; ++attempt) {
      try {
        query("PRAGMA journal_mode=WAL");
        break;
      } catch (const PlatformError&) {
        if (attempt >= 50) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    execute("PRAGMA foreign_keys=ON");
    execute("PRAGMA synchronous=NORMAL");
    migrate();
  } catch (...) {
    main_.close();
    throw;
  }
}

Database::~Database() {
  for (std::size_t i = 0; i < reader_count_; ++i) readers_[i]->connection.close();
  main_.close();
}

void Database::Connection::close() {
  for (auto& [sql, stmt] : statements) sqlite3_finalize(stmt);
  statements.clear();
  if (db) sqlite3_close(db);
  db = nullptr;
}

std::vector<Row> Database::run(const std::string& sql, const std::vector<SqlValue>& params,
                               int* changes) {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    if (!changes && sql.starts_with("SELECT ")) {
      std::unique_lock<std::mutex> reader_lock;
      if (Reader* reader = free_reader(reader_lock))
        return reader->connection.run(sql, params, nullptr);
    }
    lock.lock();
  }
  return main_.run(sql, params, changes);
}

Database::Reader* Database::free_reader(std::unique_lock<std::mutex>& lock) {
  auto lock_open_one = [&]() -> Reader* {
    for (std::size_t i = 0; i < reader_count_.load(std::memory_order_acquire); ++i) {
      lock = std::unique_lock(readers_[i]->mu, std::try_to_lock);
      if (lock.owns_lock()) return readers_[i].get();
    }
    return nullptr;
  };
  if (Reader* r = lock_open_one()) return r;
  std::lock_guard open_lock(readers_mu_);
  const std::size_t count = reader_count_.load(std::memory_order_relaxed);
  if (count >= kMaxReaders) return nullptr;
  std::string ignored;
  sqlite3* db = open_connection(path_, SQLITE_OPEN_READONLY, ignored);
  if (!db) return nullptr;  // the main connection serves it
  auto reader = std::make_unique<Reader>();
  reader->connection.db = db;
  lock = std::unique_lock(reader->mu);
  readers_[count] = std::move(reader);
  reader_count_.store(count + 1, std::memory_order_release);
  return readers_[count].get();
}

std::vector<Row> Database::Connection::run(const std::string& sql,
                                           const std::vector<SqlValue>& params, int* changes) {
  sqlite3_stmt* stmt = nullptr;
  int rc = SQLITE_OK;
  bool cached = false;
  if (auto it = statements.find(sql); it != statements.end()) {
    stmt = it->second;
    cached = true;
  } else {
    rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "SQL error in '" + sql.substr(0, 60) + "'");
    if (stmt && statements.size() < kMaxStatements) {
      statements.emplace(sql, stmt);
      cached = true;
    }
  }
  // On every way out: a cached statement is reset and unbound for its next use, another finalized.
  struct Release {
    sqlite3_stmt* stmt;
    bool cached;
    ~Release() {
      if (!cached) {
        sqlite3_finalize(stmt);
        return;
      }
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
  } release{stmt, cached};
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    const auto& p = params[i];
    if (auto s = std::get_if<std::string>(&p)) {
      rc = sqlite3_bind_text(stmt, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else if (auto n = std::get_if<std::int64_t>(&p)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (auto d = std::get_if<double>(&p)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) fail(db, rc, "cannot bind parameter " + std::to_string(index));
  }
  std::vector<Row> rows;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    int n = sqlite3_column_count(stmt);
    std::vector<SqlValue> values;
    values.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(std::int64_t{sqlite3_column_int64(stmt, c)});
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_NULL:
          values.emplace_back(nullptr);
          break;
        default: {
          auto text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(std::string(text ? text : "",
                                          static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        }
      }
    }
    rows.emplace_back(std::move(values));
  }
  if (rc != SQLITE_DONE) fail(db, rc, "SQL error in '" + sql.substr(0, 60) + "'");
  if (changes) *changes = sqlite3_changes(db);
  return rows;
}

std::vector<Row> Database::query(const std::string& sql, const std::vector<SqlValue>& params) {
  return run(sql, params, nullptr);
}

int Database::execute(const std::string& sql, const std::vector<SqlValue>& params) {
  int changes = 0;
  run(sql, params, &changes);
  return changes;
}

void Database::transaction(const std::function<void()>& body) {
  std::lock_guard lock(mu_);
  execute("BEGIN IMMEDIATE");
  try {
    body();
    execute("COMMIT");
  } catch (...) {
    sqlite3_exec(main_.db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

int Database::schema_version() {
  auto rows = query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return static_cast<int>(rows.at(0).integer(0));
}

void Database::migrate() {
  execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT "
      "NOT NULL)");
  const auto& migrations = schema_migrations();
  transaction([&] {
    int current = schema_version();
    if (current > static_cast<int>(migrations.size()))
      throw PlatformError(ErrorKind::conflict,
                          "the local database " + path_.string() + " has schema version " +
                              std::to_string(current) + ", newer than this build understands (" +
                              std::to_string(migrations.size()) +
                              "); upgrade runagents-mcp or use another --data-dir");
    for (int v = current + 1; v <= static_cast<int>(migrations.size()); ++v) {
      char* error = nullptr;
      int rc = sqlite3_exec(main_.db, migrations[static_cast<std::size_t>(v - 1)].c_str(), nullptr,
                            nullptr, &error);
      if (rc != SQLITE_OK) {
        std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw PlatformError(ErrorKind::unavailable, "migrating the local database " +
                                                        path_.string() + " to version " +
                                                        std::to_string(v) + " failed: " + message);
      }
      execute(
          "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, "
          "strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
          {std::int64_t{v}});
    }
  });
}

}  // namespace runagents::platform::local
