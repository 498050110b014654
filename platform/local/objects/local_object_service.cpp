#include "platform/local/objects/local_object_service.hpp"

#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "platform/common/random_hex.hpp"
#include "platform/common/server_guard.hpp"
#include "platform/local/objects/object_files.hpp"
#include "platform/local/objects/object_rows.hpp"
#include "platform/local/store/data_dir.hpp"

namespace runagents::platform::local {

namespace {

constexpr std::int64_t kMaxDownloadSeconds = 7 * 24 * 3600;

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// HMAC-SHA256 of "<id>\n<expires_ms>" under the object's download key, as hex.
std::string download_signature(const std::string& key, const std::string& id,
                               std::int64_t expires_ms) {
  const std::string message = id + "\n" + std::to_string(expires_ms);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len)) {
    throw PlatformError(ErrorKind::internal, "cannot sign the download URL (OpenSSL HMAC failed)");
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

bool known_content_type(const std::string& t) {
  return std::any_of(std::begin(kObjectContentTypes), std::end(kObjectContentTypes),
                     [&](const char* k) { return t == k; });
}

std::string content_types_list() {
  std::string out;
  for (const char* t : kObjectContentTypes) out += std::string(out.empty() ? "" : ", ") + t;
  return out;
}

class LocalUpload : public ObjectUpload {
 public:
  LocalUpload(std::string id, std::unique_ptr<UploadFile> file, std::shared_ptr<ObjectRows> rows)
      : id_(std::move(id)), file_(std::move(file)), rows_(std::move(rows)) {}

  void write(std::string_view bytes) override { file_->write(bytes); }
  ObjectView commit() override {
    return rows_->commit_upload(id_, file_->size(), [&] { file_->place(); });
  }

 private:
  std::string id_;
  std::unique_ptr<UploadFile> file_;
  std::shared_ptr<ObjectRows> rows_;
};

class LocalObjectService : public ObjectService {
 public:
  LocalObjectService(std::shared_ptr<Database> db, const LocalObjectOptions& o)
      : rows_(std::make_shared<ObjectRows>(std::move(db))),
        files_(o.data_dir),
        max_bytes_(o.max_object_bytes) {}

  ObjectCreated create(const ObjectCreateRequest& req) override {
    sweep_expired();
    if (req.name.empty())
      throw PlatformError(ErrorKind::invalid, "name is required: a name for the object");
    if (!known_content_type(req.content_type)) {
      throw PlatformError(ErrorKind::invalid, "content_type '" + req.content_type +
                                                  "' is not one of " + content_types_list());
    }
    if (req.ttl_ms && *req.ttl_ms <= 0)
      throw PlatformError(ErrorKind::invalid, "ttl_ms must be a positive number of milliseconds");
    StoredObject o;
    o.view.id = "obj_" + common::random_hex(12);
    o.view.name = req.name;
    o.view.content_type = req.content_type;
    o.view.state = kObjectStateUploading;
    o.view.create_time_ms = now_millis();
    o.view.metadata = req.metadata;
    if (req.ttl_ms) o.view.delete_after_time_ms = o.view.create_time_ms + *req.ttl_ms;
    o.upload_token = common::strict_random_hex(24, "cannot make an upload token");
    o.download_key = common::strict_random_hex(32, "cannot make a download key");
    rows_->insert(o);
    return {o.view, o.upload_token};
  }

  ObjectView get(const std::string& id) override {
    sweep_expired();
    return rows_->get(id).view;
  }

  ObjectListPage list(const ObjectListRequest& req) override {
    if (req.limit < 1 || req.limit > 5000)
      throw PlatformError(ErrorKind::invalid, "limit must be between 1 and 5000");
    if (!req.content_type.empty() && !known_content_type(req.content_type)) {
      throw PlatformError(ErrorKind::invalid, "content_type '" + req.content_type +
                                                  "' is not one of " + content_types_list());
    }
    if (!req.state.empty() && req.state != kObjectStateUploading &&
        req.state != kObjectStateReadOnly && req.state != kObjectStateDeleted &&
        req.state != kObjectStateError) {
      throw PlatformError(ErrorKind::invalid, "state '" + req.state +
                                                  "' is not one of UPLOADING, READ_ONLY, "
                                                  "DELETED, ERROR");
    }
    sweep_expired();
    return rows_->list(req);
  }

  std::unique_ptr<ObjectUpload> begin_upload(const std::string& id,
                                             const std::string& upload_token) override {
    sweep_expired();
    StoredObject o = rows_->get(id);
    if (o.view.state != kObjectStateUploading) {
      throw PlatformError(ErrorKind::conflict,
                          "object " + id + " is " + o.view.state +
                              ", so its content can no longer be written; create a new object "
                              "for new content");
    }
    if (upload_token.empty() || !common::equal_secret(upload_token, o.upload_token)) {
      throw PlatformError(ErrorKind::forbidden,
                          "the upload token does not match object " + id +
                              "; use the upload_url that creating the object returned");
    }
    return std::make_unique<LocalUpload>(id, files_.begin(id, max_bytes_), rows_);
  }

  ObjectView complete(const std::string& id) override {
    sweep_expired();
    return rows_->complete(id);
  }

  ObjectView remove(const std::string& id) override {
    // The file goes even when the row said DELETED already: an earlier removal may have failed.
    ObjectView view = rows_->mark_deleted(id).first;
    files_.remove(id);
    return view;
  }

  ObjectDownloadGrant grant_download(const std::string& id,
                                     std::int64_t duration_seconds) override {
    sweep_expired();
    if (duration_seconds < 1 || duration_seconds > kMaxDownloadSeconds) {
      throw PlatformError(ErrorKind::invalid, "duration_seconds must be between 1 and " +
                                                  std::to_string(kMaxDownloadSeconds) +
                                                  " (7 days)");
    }
    StoredObject o = rows_->get(id);
    require_read_only(o);
    ObjectDownloadGrant g;
    g.expires_ms = now_millis() + duration_seconds * 1000;
    g.signature = download_signature(o.download_key, id, g.expires_ms);
    return g;
  }

  std::unique_ptr<ObjectReader> open_download(const std::string& id,
                                              const ObjectDownloadGrant& grant) override {
    sweep_expired();
    StoredObject o = rows_->get(id);
    if (o.view.state == kObjectStateDeleted)
      throw PlatformError(ErrorKind::not_found, "object " + id + " was deleted");
    if (o.download_key.empty() || grant.signature.empty() ||
        !common::equal_secret(grant.signature,
                              download_signature(o.download_key, id, grant.expires_ms))) {
      throw PlatformError(ErrorKind::forbidden,
                          "the download URL's signature does not match object " + id +
                              "; ask GET /v1/objects/" + id + "/download for a URL");
    }
    if (now_millis() > grant.expires_ms) {
      throw PlatformError(ErrorKind::forbidden,
                          "this download URL for object " + id +
                              " has expired; ask GET /v1/objects/" + id +
                              "/download?duration_seconds=N for a new one",
                          410);
    }
    require_read_only(o);
    return files_.open(id);
  }

  std::unique_ptr<ObjectReader> open(const std::string& id) override {
    StoredObject o = rows_->get(id);
    require_read_only(o);
    return files_.open(id);
  }

  std::int64_t max_object_bytes() const override { return max_bytes_; }

 private:
  static void require_read_only(const StoredObject& o) {
    if (o.view.state != kObjectStateReadOnly) {
      throw PlatformError(ErrorKind::conflict,
                          "object " + o.view.id + " is " + o.view.state +
                              "; only a READ_ONLY object can be read (complete it after its "
                              "upload)");
    }
  }

  // Objects whose ttl passed are deleted when the service next looks (any process may do it;
  // deleting twice is harmless).
  void sweep_expired() {
    for (const std::string& id : rows_->expired(now_millis())) {
      try {
        remove(id);
      } catch (const PlatformError& e) {
        // The row is DELETED by now (or the database was busy: the next sweep tries); a file that
        // could not be removed stays until the object is deleted again.
        spdlog::warn("storage object {} passed its ttl but could not be removed: {}", id, e.what());
      }
    }
  }

  std::shared_ptr<ObjectRows> rows_;
  ObjectFiles files_;
  const std::int64_t max_bytes_;
};

}  // namespace

std::shared_ptr<ObjectService> open_local_objects(const LocalObjectOptions& options) {
  if (options.max_object_bytes < 1)
    throw PlatformError(ErrorKind::invalid, "max_object_bytes must be at least 1");
  return std::make_shared<LocalObjectService>(open_platform_database(options.data_dir), options);
}

}  // namespace runagents::platform::local
