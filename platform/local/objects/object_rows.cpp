#include "platform/local/objects/object_rows.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "platform/local/store/row_reader.hpp"

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;

constexpr const char* kObjectColumns =
    "id, name, content_type, state, create_time_ms, size_bytes, metadata, delete_after_time_ms, "
    "upload_token, download_key";

StoredObject object_from_row(const Row& r) {
  StoredObject o;
  ObjectView& v = o.view;
  RowReader(r).read(v.id, v.name, v.content_type, v.state, v.create_time_ms, v.size_bytes).skip();
  RowReader(r, 7).read(v.delete_after_time_ms, o.upload_token, o.download_key);
  json m = json_column_or(r, 6, json::object());
  if (m.is_object()) {
    for (auto& [k, value] : m.items())
      if (value.is_string()) v.metadata[k] = value.get<std::string>();
  }
  return o;
}

std::string metadata_text(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Escapes LIKE's wildcards so a filter matches them literally (ESCAPE '\').
std::string like_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

}  // namespace

std::string not_found_object(const std::string& id) {
  return "object " + id + " not found; GET /v1/objects lists the objects there are";
}

ObjectRows::ObjectRows(std::shared_ptr<Database> db) : db_(std::move(db)) {}

void ObjectRows::insert(const StoredObject& o) {
  const ObjectView& v = o.view;
  db_->execute(
      "INSERT INTO objects (id, name, content_type, state, create_time_ms, size_bytes, metadata, "
      "delete_after_time_ms, upload_token, download_key) VALUES "
      "(?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8, ?9)",
      {v.id, v.name, v.content_type, v.state, v.create_time_ms, metadata_text(v.metadata),
       v.delete_after_time_ms ? SqlValue(*v.delete_after_time_ms) : SqlValue(nullptr),
       o.upload_token, o.download_key});
}

StoredObject ObjectRows::get(const std::string& id) {
  auto rows =
      db_->query(std::string("SELECT ") + kObjectColumns + " FROM objects WHERE id=?1", {id});
  if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_object(id));
  return object_from_row(rows[0]);
}

ObjectListPage ObjectRows::list(const ObjectListRequest& req) {
  std::string where = " WHERE 1=1";
  std::vector<SqlValue> params;
  auto bind = [&](SqlValue v) {
    params.push_back(std::move(v));
    return "?" + std::to_string(params.size());
  };
  if (req.state.empty()) {
    where += std::string(" AND state<>'") + kObjectStateDeleted + "'";
  } else {
    where += " AND state=" + bind(req.state);
  }
  if (!req.content_type.empty()) where += " AND content_type=" + bind(req.content_type);
  // LIKE is case-insensitive for ASCII in SQLite.
  if (!req.name.empty()) where += " AND name LIKE " + bind(like_pattern(req.name)) + " ESCAPE '\\'";
  if (!req.search.empty()) {
    const std::string p = bind(like_pattern(req.search));
    where += " AND (id LIKE " + p + " ESCAPE '\\' OR name LIKE " + p + " ESCAPE '\\')";
  }

  ObjectListPage page;
  if (req.include_total_count) {
    auto rows = db_->query("SELECT COUNT(*) FROM objects" + where, params);
    page.total_count = rows.empty() ? 0 : rows[0].integer(0);
  }
  std::string sql = std::string("SELECT ") + kObjectColumns + " FROM objects" + where;
  // Newest first in the order the objects were made (rowid grows with every insert, whichever
  // process makes it; two objects made in the same millisecond keep their order).
  if (!req.starting_after.empty()) {
    auto after = db_->query("SELECT rowid FROM objects WHERE id=?1", {req.starting_after});
    if (after.empty()) {
      throw PlatformError(ErrorKind::not_found,
                          "starting_after: " + not_found_object(req.starting_after));
    }
    sql += " AND rowid < " + bind(after[0].integer(0));
  }
  const int limit = std::clamp(req.limit, 1, 5000);
  sql += " ORDER BY rowid DESC LIMIT " + std::to_string(limit + 1);
  for (const auto& r : db_->query(sql, params)) page.objects.push_back(object_from_row(r).view);
  if (page.objects.size() > static_cast<size_t>(limit)) {
    page.objects.pop_back();
    page.has_more = true;
  }
  return page;
}

ObjectView ObjectRows::commit_upload(const std::string& id, std::int64_t size,
                                     const std::function<void()>& place) {
  ObjectView out;
  db_->transaction([&] {
    StoredObject o = get(id);
    if (o.view.state != kObjectStateUploading) {
      throw PlatformError(ErrorKind::conflict,
                          "object " + id + " is " + o.view.state +
                              ", so its content can no longer be written; create a new object "
                              "for new content");
    }
    place();
    db_->execute("UPDATE objects SET size_bytes=?2 WHERE id=?1", {id, size});
    out = o.view;
    out.size_bytes = size;
  });
  return out;
}

ObjectView ObjectRows::complete(const std::string& id) {
  ObjectView out;
  db_->transaction([&] {
    StoredObject o = get(id);
    if (o.view.state != kObjectStateUploading) {
      throw PlatformError(ErrorKind::conflict, "object " + id + " is " + o.view.state +
                                                   "; only an UPLOADING object can be completed");
    }
    if (!o.view.size_bytes) {
      throw PlatformError(ErrorKind::conflict,
                          "object " + id +
                              " has no content yet; PUT the content to the upload_url that "
                              "creating it returned, then complete it");
    }
    db_->execute("UPDATE objects SET state=?2, upload_token='' WHERE id=?1",
                 {id, std::string(kObjectStateReadOnly)});
    out = o.view;
    out.state = kObjectStateReadOnly;
  });
  return out;
}

std::pair<ObjectView, bool> ObjectRows::mark_deleted(const std::string& id) {
  std::pair<ObjectView, bool> out;
  db_->transaction([&] {
    StoredObject o = get(id);
    out.first = o.view;
    out.second = o.view.state != kObjectStateDeleted;
    if (!out.second) return;
    db_->execute("UPDATE objects SET state=?2, upload_token='', download_key='' WHERE id=?1",
                 {id, std::string(kObjectStateDeleted)});
    out.first.state = kObjectStateDeleted;
  });
  return out;
}

std::vector<std::string> ObjectRows::expired(std::int64_t now_ms) {
  std::vector<std::string> ids;
  for (const auto& r :
       db_->query("SELECT id FROM objects WHERE delete_after_time_ms IS NOT NULL AND "
                  "delete_after_time_ms <= ?1 AND state<>?2",
                  {now_ms, std::string(kObjectStateDeleted)}))
    ids.push_back(r.text(0));
  return ids;
}

}  // namespace runagents::platform::local
