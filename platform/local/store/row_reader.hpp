// Reading a result Row (database.hpp) into plain values: one RowReader call per row instead of one
// line per column, and the one way a JSON column is read. Used by every store of the local
// platform (agents, runs, tools, tasks, devboxes).
//
// A column read as a string is "" when NULL; as an integer (or bool) 0 when NULL; an optional is
// left as it was when NULL. A JSON column whose text does not parse (a row edited by hand, or
// NULL) reads as the fallback, never as an exception.
//
// Thread-safety: a RowReader reads one Row and is used by one thread; the functions are pure.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/store/database.hpp"

namespace runagents::platform::local {

// Reads the columns of one row in select order, starting at `first`.
//   RowReader(row).read(tool.name, tool.description, tool.port);
class RowReader {
 public:
  explicit RowReader(const Row& row, std::size_t first = 0) : row_(row), column_(first) {}

  // Reads the next columns into `fields`, one column each, by the field's type.
  template <typename... Fields>
  RowReader& read(Fields&... fields) {
    (read_one(fields), ...);
    return *this;
  }
  // Skips `n` columns.
  RowReader& skip(std::size_t n = 1) {
    column_ += n;
    return *this;
  }
  // The index of the next column to read.
  std::size_t column() const { return column_; }

 private:
  void read_one(std::string& out) { out = row_.text(column_++); }
  template <std::integral T>
  void read_one(T& out) {
    out = static_cast<T>(row_.integer(column_++));
  }
  template <std::integral T>
  void read_one(std::optional<T>& out) {
    if (!row_.is_null(column_)) out = static_cast<T>(row_.integer(column_));
    ++column_;
  }

  const Row& row_;
  std::size_t column_;
};

// The JSON text of `column`; a discarded value (is_discarded()) when it does not parse.
nlohmann::json json_column(const Row& row, std::size_t column);
// The JSON text of `column`, or `fallback` when it does not parse.
nlohmann::json json_column_or(const Row& row, std::size_t column, nlohmann::json fallback);

// One page of `sql` (a SELECT with its filters, `params` bound) newest first: the rows after
// `after` (the last item of the previous page) when given, at most `limit` of them read with
// `from_row` into `items`. Returns whether there are more (one row more is asked for).
template <typename T>
bool read_page(Database& db, std::string sql, std::vector<SqlValue> params, const T* after,
               int limit, T (*from_row)(const Row&), std::vector<T>& items) {
  if (after) {
    params.emplace_back(after->create_time_ms);
    params.emplace_back(after->id);
    const auto a = std::to_string(params.size() - 1), b = std::to_string(params.size());
    sql +=
        " AND (create_time_ms < ?" + a + " OR (create_time_ms = ?" + a + " AND id < ?" + b + "))";
  }
  sql += " ORDER BY create_time_ms DESC, id DESC LIMIT " + std::to_string(limit + 1);
  for (const auto& r : db.query(sql, params)) items.push_back(from_row(r));
  if (items.size() <= static_cast<size_t>(limit)) return false;
  items.pop_back();
  return true;
}

}  // namespace runagents::platform::local
