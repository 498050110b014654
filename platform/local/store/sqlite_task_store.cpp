#include "platform/local/store/sqlite_task_store.hpp"

#include "platform/error.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform/local/store/row_reader.hpp"

namespace runagents::platform::local {

using mcp::json;
using mcp::TaskRecord;

namespace {

constexpr const char* kColumns =
    "id, era, tool, owner, principal, status, status_message, created_ms, updated_ms, ttl_ms, "
    "poll_interval_ms, result, error, input_requests, input_responses, cancel_requested";

TaskRecord from_row(const Row& row) {
  TaskRecord r;
  RowReader(row).read(r.id, r.era, r.tool, r.owner, r.principal);
  r.status = mcp::parse_task_status(row.text(5)).value_or(mcp::TaskStatus::failed);
  RowReader(row, 6).read(r.status_message, r.created_ms, r.updated_ms, r.ttl_ms,
                         r.poll_interval_ms);
  // A JSON column that does not parse (written by hand?) reads as null, not as a crash.
  r.result = json_column_or(row, 11, nullptr);
  r.error = json_column_or(row, 12, nullptr);
  r.input_requests = json_column_or(row, 13, nullptr);
  r.input_responses = json_column_or(row, 14, nullptr);
  RowReader(row, 15).read(r.cancel_requested);
  return r;
}

SqlValue optional_integer(const std::optional<std::int64_t>& v) {
  if (v) return *v;
  return nullptr;
}

// The values of kColumns plus expires_ms, in that order (?1..?17).
std::vector<SqlValue> to_values(const TaskRecord& r) {
  std::optional<std::int64_t> expires;
  if (r.ttl_ms) expires = r.created_ms + *r.ttl_ms;
  return {r.id,
          r.era,
          r.tool,
          r.owner,
          r.principal,
          std::string(mcp::to_string(r.status)),
          r.status_message,
          r.created_ms,
          r.updated_ms,
          optional_integer(r.ttl_ms),
          r.poll_interval_ms,
          r.result.dump(-1, ' ', false, json::error_handler_t::replace),
          r.error.dump(-1, ' ', false, json::error_handler_t::replace),
          r.input_requests.dump(-1, ' ', false, json::error_handler_t::replace),
          r.input_responses.dump(-1, ' ', false, json::error_handler_t::replace),
          std::int64_t{r.cancel_requested ? 1 : 0},
          optional_integer(expires)};
}

}  // namespace

namespace {

// The database file, once its directory (the data dir) exists and is private.
const std::filesystem::path& in_prepared_dir(const std::filesystem::path& database_file) {
  prepare_data_dir(database_file.parent_path());
  return database_file;
}

}  // namespace

SqliteTaskStore::SqliteTaskStore(const std::filesystem::path& database_file)
    : db_(in_prepared_dir(database_file)) {}

void SqliteTaskStore::create(const TaskRecord& record) {
  db_.execute(std::string("INSERT INTO tasks (") + kColumns +
                  ", expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                  "?14, ?15, ?16, ?17)",
              to_values(record));
}

std::optional<TaskRecord> SqliteTaskStore::get(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM tasks WHERE id = ?1", {id});
  if (rows.empty()) return std::nullopt;
  return from_row(rows.front());
}

std::vector<TaskRecord> SqliteTaskStore::list(const std::string& principal,
                                              const std::string& after_id, size_t limit) {
  std::string sql =
      std::string("SELECT ") + kColumns + " FROM tasks WHERE (principal = ?1 OR principal = '')";
  std::vector<SqlValue> params = {principal, static_cast<std::int64_t>(limit)};
  if (!after_id.empty()) {
    // Row values: everything strictly older than the anchor in (created_ms, id) order; an
    // unknown anchor yields NULL and so no rows.
    sql += " AND (created_ms, id) < (SELECT created_ms, id FROM tasks WHERE id = ?3)";
    params.emplace_back(after_id);
  }
  sql += " ORDER BY created_ms DESC, id DESC LIMIT ?2";
  std::vector<TaskRecord> records;
  for (const auto& row : db_.query(sql, params)) records.push_back(from_row(row));
  return records;
}

bool SqliteTaskStore::update(const std::string& id,
                             const std::function<bool(TaskRecord&)>& change) {
  bool written = false;
  db_.transaction([&] {
    auto rows = db_.query(std::string("SELECT ") + kColumns + " FROM tasks WHERE id = ?1", {id});
    if (rows.empty()) return;
    TaskRecord record = from_row(rows.front());
    if (!change(record)) return;
    record.id = id;  // the key is not the change's to move
    db_.execute(
        "UPDATE tasks SET era = ?2, tool = ?3, owner = ?4, principal = ?5, status = ?6, "
        "status_message = ?7, created_ms = ?8, updated_ms = ?9, ttl_ms = ?10, "
        "poll_interval_ms = ?11, result = ?12, error = ?13, input_requests = ?14, "
        "input_responses = ?15, cancel_requested = ?16, expires_ms = ?17 WHERE id = ?1",
        to_values(record));
    written = true;
  });
  return written;
}

size_t SqliteTaskStore::purge_expired(std::int64_t now_ms) {
  return static_cast<size_t>(
      db_.execute("DELETE FROM tasks WHERE expires_ms IS NOT NULL AND expires_ms <= ?1", {now_ms}));
}

std::map<std::string, size_t> SqliteTaskStore::count_by_status() {
  std::map<std::string, size_t> counts;
  for (const auto& row : db_.query("SELECT status, COUNT(*) FROM tasks GROUP BY status")) {
    counts[row.text(0)] = static_cast<size_t>(row.integer(1));
  }
  return counts;
}

}  // namespace runagents::platform::local
