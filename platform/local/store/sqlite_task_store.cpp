#include "platform/local/store/sqlite_task_store.hpp"

#include "platform/error.hpp"

namespace runagents::platform::local {

using mcp::json;
using mcp::TaskRecord;

namespace {

constexpr const char* kColumns =
    "id, era, tool, owner, principal, status, status_message, created_ms, updated_ms, ttl_ms, "
    "poll_interval_ms, result, error, input_requests, input_responses, cancel_requested";

// A JSON column; a value that does not parse (written by hand?) reads as null, not as a crash.
json parse_column(const Row& row, std::size_t column) {
  return json::parse(row.text(column), nullptr, /*allow_exceptions=*/false);
}

TaskRecord from_row(const Row& row) {
  TaskRecord r;
  r.id = row.text(0);
  r.era = row.text(1);
  r.tool = row.text(2);
  r.owner = row.text(3);
  r.principal = row.text(4);
  r.status = mcp::parse_task_status(row.text(5)).value_or(mcp::TaskStatus::failed);
  r.status_message = row.text(6);
  r.created_ms = row.integer(7);
  r.updated_ms = row.integer(8);
  if (!row.is_null(9)) r.ttl_ms = row.integer(9);
  r.poll_interval_ms = row.integer(10);
  r.result = parse_column(row, 11);
  r.error = parse_column(row, 12);
  r.input_requests = parse_column(row, 13);
  r.input_responses = parse_column(row, 14);
  r.cancel_requested = row.integer(15) != 0;
  if (r.result.is_discarded()) r.result = nullptr;
  if (r.error.is_discarded()) r.error = nullptr;
  if (r.input_requests.is_discarded()) r.input_requests = nullptr;
  if (r.input_responses.is_discarded()) r.input_responses = nullptr;
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

SqliteTaskStore::SqliteTaskStore(const std::filesystem::path& database_file) : db_(database_file) {}

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

}  // namespace runagents::platform::local
