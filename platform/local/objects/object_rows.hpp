// The storage objects' rows: reading and writing the objects table (migration 7) of the platform
// database. State changes that must not interleave with another process's (an upload landing
// while another completes or deletes the object) run in one IMMEDIATE transaction, with the
// caller's file step inside it (see commit_upload). Nothing here touches content files except
// through that callback. Internal to platform/local.
//
// Errors are PlatformError: not_found (saying how to list objects) for an unknown id, conflict
// for a state that forbids the change, and the Database's errors otherwise.
//
// Thread-safety: safe for concurrent use from multiple threads and processes (the Database
// orders statements; each state change is one transaction).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/store/database.hpp"
#include "platform/objects.hpp"

namespace runagents::platform::local {

// An object as stored: the view plus its secrets.
struct StoredObject {
  ObjectView view;
  std::string upload_token;
  std::string download_key;
};

class ObjectRows {
 public:
  explicit ObjectRows(std::shared_ptr<Database> db);

  void insert(const StoredObject& o);
  // Throws not_found.
  StoredObject get(const std::string& id);
  ObjectListPage list(const ObjectListRequest& req);

  // In one transaction: checks the object is UPLOADING (conflict otherwise, not_found when it is
  // gone), runs `place` (which moves the uploaded file into place; if it throws, nothing
  // changes) and records `size`.
  ObjectView commit_upload(const std::string& id, std::int64_t size,
                           const std::function<void()>& place);
  // UPLOADING with content -> READ_ONLY. Throws not_found, conflict.
  ObjectView complete(const std::string& id);
  // -> DELETED (size kept, secrets cleared). Returns the view and whether it changed (false when
  // it was deleted already). Throws not_found.
  std::pair<ObjectView, bool> mark_deleted(const std::string& id);
  // The ids of objects not DELETED whose delete_after_time_ms is at or before `now_ms`.
  std::vector<std::string> expired(std::int64_t now_ms);

 private:
  std::shared_ptr<Database> db_;
};

// The "object ... not found" message, with where to list the objects.
std::string not_found_object(const std::string& id);

}  // namespace runagents::platform::local
