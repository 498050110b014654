#include "platform/remote/runloop/runloop_objects.hpp"

#include <algorithm>
#include <cstring>

#include "platform/http/base_url.hpp"
#include "platform/http/http_client.hpp"
#include "platform/wire/object_json.hpp"

namespace runagents::platform::remote {

namespace {

constexpr std::int64_t kMaxBytes = 256ll << 20;

// One request to a presigned URL (no API key), its 2xx answer or an error naming `what`.
HttpResponse presigned(const RunloopOptions& o, const std::string& url, HttpRequest req,
                       const std::string& what) {
  if (url.find("://") == std::string::npos)
    throw PlatformError(ErrorKind::invalid, "Runloop answered a URL that is not absolute: " + url);
  auto [base, target] = split_origin(url);
  req.path = target;  // with its query as it is: it carries the signature
  HttpAttempt a = attempt_plain(
      HttpClientOptions::plain(base, "Runloop storage", o.connect_timeout, o.long_timeout), req);
  if (!a.response) throw PlatformError(ErrorKind::unavailable, what + " failed: " + a.failure);
  if (a.response->status < 200 || a.response->status >= 300)
    throw PlatformError(ErrorKind::unavailable,
                        what + " failed: HTTP " + std::to_string(a.response->status),
                        a.response->status);
  return std::move(*a.response);
}

class StringReader final : public ObjectReader {
 public:
  explicit StringReader(std::string data) : data_(std::move(data)) {}
  std::int64_t size() const override { return static_cast<std::int64_t>(data_.size()); }
  std::size_t read_at(std::int64_t offset, char* out, std::size_t len) override {
    if (offset < 0 || static_cast<std::size_t>(offset) >= data_.size()) return 0;
    const std::size_t n = std::min(len, data_.size() - static_cast<std::size_t>(offset));
    std::memcpy(out, data_.data() + offset, n);
    return n;
  }

 private:
  std::string data_;
};

class RunloopObjects final : public ObjectService,
                             public std::enable_shared_from_this<RunloopObjects> {
 public:
  explicit RunloopObjects(RunloopOptions o)
      : options_(std::move(o)), http_(runloop_http_options(options_)) {}

  ObjectCreated create(const ObjectCreateRequest& req) override {
    json body = {{"name", req.name}, {"content_type", req.content_type}};
    if (!req.metadata.empty()) body["metadata"] = req.metadata;
    if (req.ttl_ms) body["ttl_ms"] = *req.ttl_ms;
    json v = http_.send_json(HttpRequest::post("/v1/objects", body));
    ObjectCreated made{object_from_wire(v), v.value("upload_url", "")};
    if (made.upload_token.empty())
      throw PlatformError(ErrorKind::internal,
                          "Runloop created object " + made.object.id + " without an upload_url");
    return made;
  }

  ObjectView get(const std::string& id) override {
    return object_from_wire(
        http_.send_json(HttpRequest::get("/v1/objects/" + encode_path_segment(id))));
  }

  ObjectListPage list(const ObjectListRequest& req) override {
    auto r = HttpRequest::get("/v1/objects");
    r.with_query("limit", std::to_string(std::clamp(req.limit, 1, 5000)));
    for (auto [name, value] : {std::pair{"starting_after", &req.starting_after},
                               {"content_type", &req.content_type},
                               {"name", &req.name},
                               {"search", &req.search},
                               {"state", &req.state}})
      if (!value->empty()) r.with_query(name, *value);
    json v = http_.send_json(r);
    ObjectListPage page;
    if (v.contains("objects") && v["objects"].is_array())
      for (const auto& o : v["objects"]) page.objects.push_back(object_from_wire(o));
    page.has_more = v.value("has_more", false);
    if (v.contains("total_count") && v["total_count"].is_number())
      page.total_count = v["total_count"].get<std::int64_t>();
    return page;
  }

  std::unique_ptr<ObjectUpload> begin_upload(const std::string& id,
                                             const std::string& upload_url) override {
    class Upload final : public ObjectUpload {
     public:
      Upload(std::shared_ptr<RunloopObjects> owner, std::string id, std::string url)
          : owner_(std::move(owner)), id_(std::move(id)), url_(std::move(url)) {}
      void write(std::string_view bytes) override {
        if (static_cast<std::int64_t>(data_.size() + bytes.size()) > kMaxBytes)
          throw PlatformError(ErrorKind::invalid,
                              "an upload to Runloop through this server holds at most " +
                                  std::to_string(kMaxBytes >> 20) +
                                  " MiB; upload bigger content with Runloop's SDK",
                              413);
        data_.append(bytes);
      }
      ObjectView commit() override {
        HttpRequest put = HttpRequest::make("PUT", "/");
        put.body = std::move(data_);
        put.content_type = "application/octet-stream";
        presigned(owner_->options_, url_, std::move(put), "uploading object " + id_);
        return owner_->get(id_);
      }

     private:
      std::shared_ptr<RunloopObjects> owner_;
      std::string id_, url_, data_;
    };
    return std::make_unique<Upload>(shared_from_this(), id, upload_url);
  }

  ObjectView complete(const std::string& id) override {
    return object_from_wire(http_.send_json(
        HttpRequest::post("/v1/objects/" + encode_path_segment(id) + "/complete", json::object())));
  }

  ObjectView remove(const std::string& id) override {
    return object_from_wire(http_.send_json(
        HttpRequest::post("/v1/objects/" + encode_path_segment(id) + "/delete", json::object())));
  }

  ObjectDownloadGrant grant_download(const std::string& id,
                                     std::int64_t duration_seconds) override {
    json v =
        http_.send_json(HttpRequest::get("/v1/objects/" + encode_path_segment(id) + "/download")
                            .with_query("duration_seconds", std::to_string(duration_seconds)));
    ObjectDownloadGrant g;
    g.signature = v.value("download_url", "");
    g.expires_ms = 0;
    return g;
  }

  std::unique_ptr<ObjectReader> open_download(const std::string& id,
                                              const ObjectDownloadGrant& grant) override {
    HttpResponse r =
        presigned(options_, grant.signature, HttpRequest::get("/"), "downloading object " + id);
    return std::make_unique<StringReader>(std::move(r.body));
  }

  std::unique_ptr<ObjectReader> open(const std::string& id) override {
    return open_download(id, grant_download(id, 600));
  }

  std::int64_t max_object_bytes() const override { return kMaxBytes; }

 private:
  RunloopOptions options_;
  HttpClient http_;
};

}  // namespace

std::shared_ptr<ObjectService> open_runloop_objects(const RunloopOptions& options) {
  return std::make_shared<RunloopObjects>(options);
}

}  // namespace runagents::platform::remote
