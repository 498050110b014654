// Storage objects: named blobs a user uploads once and reads many times (files and archives to
// mount into devboxes, build contexts), in Runloop's shapes (`/v1/objects`).
//
// ObjectService is the one interface behind the `/v1/objects` routes of `platform serve`
// (platform/serve/object_routes.hpp). Its implementation here is the local one
// (platform/local/objects/local_object_service.hpp): metadata in the platform's SQLite database,
// content in files under the data dir. The value types mirror Runloop's ObjectView and
// ObjectListView, so the routes map them one to one.
//
// Lifecycle, as Runloop's: create (UPLOADING, with a secret upload token) -> content written
// (any number of times while UPLOADING; the last complete write wins) -> complete (READ_ONLY:
// content fixed, size known) -> delete (DELETED: the content is gone, the row stays so a get
// says what happened). An object whose ttl passed is deleted the next time the service looks.
// ERROR is Runloop's state for an upload that failed on its side; the local store never sets it
// (a failed write changes nothing), but lists filter on it as Runloop's do.
//
// Errors: every method throws PlatformError (platform/error.hpp): not_found for an unknown object
// (the message says how to list them); conflict when the object's state forbids the call
// (complete twice, write after complete, read before complete: the message gives the state and
// what to do); forbidden for a wrong upload token or a download URL whose signature does not
// match (with http_status 410 when it expired); invalid for bad arguments (naming the field), or
// with http_status 413 for content past the size cap; unavailable when the data dir cannot be
// written. A method that throws has changed nothing, unless its comment says otherwise.
//
// Thread-safety: implementations are safe for concurrent use from multiple threads, and the local
// one from several processes sharing a data dir. An ObjectUpload is used by one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/error.hpp"

namespace runagents::platform {

// The content types Runloop names (ObjectCreateParams.content_type).
inline constexpr const char* kObjectContentTypes[] = {"unspecified", "text", "binary",
                                                      "gzip",        "tar",  "tgz"};
// The states Runloop names (ObjectView.state).
inline constexpr const char* kObjectStateUploading = "UPLOADING";
inline constexpr const char* kObjectStateReadOnly = "READ_ONLY";
inline constexpr const char* kObjectStateDeleted = "DELETED";
inline constexpr const char* kObjectStateError = "ERROR";

// Runloop's ObjectView (without upload_url, which the routes build from the upload token).
struct ObjectView {
  std::string id;  // "obj_" + 24 hex digits
  std::string name;
  std::string content_type;  // one of kObjectContentTypes
  std::string state;         // UPLOADING | READ_ONLY | DELETED | ERROR
  std::int64_t create_time_ms = 0;
  std::optional<std::int64_t> size_bytes;  // unset until content was written
  std::map<std::string, std::string> metadata;
  std::optional<std::int64_t> delete_after_time_ms;  // create time + ttl_ms, when one was given
};

struct ObjectCreateRequest {
  std::string name;          // required, non-empty
  std::string content_type;  // required, one of kObjectContentTypes
  std::map<std::string, std::string> metadata;
  std::optional<std::int64_t> ttl_ms;  // > 0 when set
};

struct ObjectCreated {
  ObjectView object;
  // The secret that lets content be written while the object is UPLOADING (the upload URL
  // carries it). Only create() returns it.
  std::string upload_token;
};

// Runloop's ObjectListParams: a cursor by id, newest first.
struct ObjectListRequest {
  int limit = 20;              // 1..5000
  std::string starting_after;  // the id of the last object of the previous page; "" = first
  std::string content_type;    // "" = any
  std::string name;            // "" = any; else a case-insensitive substring of the name
  std::string search;          // "" = any; else a substring of the id or the name
  std::string state;           // "" = every state but DELETED; else exactly this state
  bool include_total_count = true;
};

struct ObjectListPage {
  std::vector<ObjectView> objects;
  bool has_more = false;
  std::optional<std::int64_t> total_count;  // objects matching the filters, over every page
};

// A download URL's credential: the object may be read until `expires_ms` by whoever shows
// `signature` (an HMAC of the id and the expiry under the object's own key).
struct ObjectDownloadGrant {
  std::int64_t expires_ms = 0;
  std::string signature;
};

// Content being written to an UPLOADING object: bytes go to a file of their own as they come,
// never held whole in memory. Nothing is visible until commit(); destroying an upload that was
// not committed throws its bytes away and changes nothing. Used by one thread.
class ObjectUpload {
 public:
  virtual ~ObjectUpload() = default;
  // Appends bytes. Throws PlatformError(invalid, http_status 413) once the content passes the
  // service's size cap, and (unavailable) when the disk refuses them.
  virtual void write(std::string_view bytes) = 0;
  // Makes the written bytes the object's content (replacing an earlier upload) and sets its
  // size. Throws conflict when the object left UPLOADING meanwhile (completed or deleted; the
  // bytes are thrown away).
  virtual ObjectView commit() = 0;
};

// Content of a READ_ONLY object, open for reading; the bytes stay readable even when the object
// is deleted meanwhile. Used by one thread.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual std::int64_t size() const = 0;
  // Copies up to `len` bytes from `offset` into `out`; returns how many (0 at the end). Throws
  // PlatformError(unavailable) when the file cannot be read.
  virtual std::size_t read_at(std::int64_t offset, char* out, std::size_t len) = 0;
};

class ObjectService {
 public:
  virtual ~ObjectService() = default;

  // Creates an UPLOADING object. Throws invalid (naming the field) for a missing name, an
  // unknown content_type or a ttl_ms that is not positive.
  virtual ObjectCreated create(const ObjectCreateRequest& req) = 0;
  // The object, in any state (a deleted one says DELETED). Throws not_found.
  virtual ObjectView get(const std::string& id) = 0;
  // Throws invalid for a limit out of range, an unknown content_type or state filter, or a
  // starting_after that names no object.
  virtual ObjectListPage list(const ObjectListRequest& req) = 0;

  // Starts writing content. Throws not_found; forbidden when `upload_token` is not the object's;
  // conflict when it is not UPLOADING.
  virtual std::unique_ptr<ObjectUpload> begin_upload(const std::string& id,
                                                     const std::string& upload_token) = 0;
  // UPLOADING -> READ_ONLY. Throws not_found; conflict when it is not UPLOADING (completed
  // already, deleted) or no content was written yet.
  virtual ObjectView complete(const std::string& id) = 0;
  // -> DELETED, and its content is removed. Deleting a deleted object answers it again. Throws
  // not_found.
  virtual ObjectView remove(const std::string& id) = 0;

  // A grant to read a READ_ONLY object for `duration_seconds` (1..604800) from now. Throws
  // not_found; conflict when it is not READ_ONLY; invalid for a duration out of range.
  virtual ObjectDownloadGrant grant_download(const std::string& id,
                                             std::int64_t duration_seconds) = 0;
  // Opens the content of a READ_ONLY object for a download grant. Throws not_found (or for a
  // deleted object: not_found saying so); forbidden when the signature does not match, and
  // forbidden with http_status 410 when the grant expired (the message says to ask for a new
  // URL).
  virtual std::unique_ptr<ObjectReader> open_download(const std::string& id,
                                                      const ObjectDownloadGrant& grant) = 0;
  // Opens the content of a READ_ONLY object for the platform's own use (devbox mounts). Throws
  // not_found; conflict when it is not READ_ONLY.
  virtual std::unique_ptr<ObjectReader> open(const std::string& id) = 0;

  // The most bytes one object may hold.
  virtual std::int64_t max_object_bytes() const = 0;

  // Convenience: writes `content` as one upload and commits it.
  ObjectView upload(const std::string& id, const std::string& upload_token,
                    std::string_view content) {
    auto u = begin_upload(id, upload_token);
    u->write(content);
    return u->commit();
  }
};

// Forwards every call to target(), as DevboxServiceWrapper does (lazy opening: open/lazy.hpp).
class ObjectServiceWrapper : public ObjectService {
 public:
  using Interface = ObjectService;
  explicit ObjectServiceWrapper(std::shared_ptr<ObjectService> t) : target_(std::move(t)) {}

  ObjectCreated create(const ObjectCreateRequest& req) override { return target().create(req); }
  ObjectView get(const std::string& id) override { return target().get(id); }
  ObjectListPage list(const ObjectListRequest& req) override { return target().list(req); }
  std::unique_ptr<ObjectUpload> begin_upload(const std::string& id,
                                             const std::string& upload_token) override {
    return target().begin_upload(id, upload_token);
  }
  ObjectView complete(const std::string& id) override { return target().complete(id); }
  ObjectView remove(const std::string& id) override { return target().remove(id); }
  ObjectDownloadGrant grant_download(const std::string& id,
                                     std::int64_t duration_seconds) override {
    return target().grant_download(id, duration_seconds);
  }
  std::unique_ptr<ObjectReader> open_download(const std::string& id,
                                              const ObjectDownloadGrant& grant) override {
    return target().open_download(id, grant);
  }
  std::unique_ptr<ObjectReader> open(const std::string& id) override { return target().open(id); }
  std::int64_t max_object_bytes() const override {
    return const_cast<ObjectServiceWrapper*>(this)->target().max_object_bytes();
  }

 protected:
  ObjectServiceWrapper() = default;
  virtual ObjectService& target() { return *target_; }

 private:
  std::shared_ptr<ObjectService> target_;
};

// A file or directory of this machine made a READ_ONLY object named `name`: a file as it is
// (content type tar, tgz or gzip by its extension, else text when it is valid UTF-8, else
// binary), a directory as a tgz of its tree (paths relative to it; symlinks stored as links,
// never followed; sockets, fifos and devices left out). The caller has checked that the path may
// be read. Nothing is left behind on failure (the object is deleted). Throws PlatformError:
// invalid for a path that is neither (or past the store's size cap, 413), unavailable when it
// cannot be read, and as the service does.
ObjectView upload_host_path(ObjectService& objects, const std::filesystem::path& path,
                            const std::string& name);

}  // namespace runagents::platform
