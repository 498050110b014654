#include "platform/serve/object_routes.hpp"

#include <charconv>
#include <optional>

#include "platform/wire/object_json.hpp"

namespace runagents::platform::serve {

namespace {

constexpr std::int64_t kDefaultDownloadSeconds = 3600;  // Runloop's default
constexpr size_t kDownloadChunk = 64 * 1024;

std::optional<std::int64_t> parse_object_int(const std::string& text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::int64_t object_int_param(const httplib::Request& req, const char* name,
                              std::int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  auto v = parse_object_int(req.get_param_value(name));
  if (!v) throw PlatformError(ErrorKind::invalid, std::string(name) + " must be an integer");
  return *v;
}

// How the client reached this server: the base of the URLs handed back to it.
std::string object_base_url(const httplib::Request& req, const RestServer& server) {
  std::string host = req.get_header_value("Host");
  if (host.empty()) host = "127.0.0.1:" + std::to_string(server.port());
  return "http://" + host;
}

// Answers the errors that carry a status of their own (413 too large, 410 expired); the rest go
// to RestServer's answer by kind.
template <typename Body>
void with_object_errors(httplib::Response& res, Body body) {
  try {
    body();
  } catch (const PlatformError& e) {
    if (e.http_status() == 413 || e.http_status() == 410) {
      reply_json(res, e.http_status(), json{{"error", e.what()}});
      return;
    }
    throw;
  }
}

void upload_object_content(ObjectService& objects, const httplib::Request& req,
                           httplib::Response& res, const httplib::ContentReader& content_reader) {
  const std::string id = req.matches[1];
  std::optional<PlatformError> failure;
  std::unique_ptr<ObjectUpload> upload;
  try {
    upload = objects.begin_upload(id, req.get_param_value("token"));
    const std::string length = req.get_header_value("Content-Length");
    if (!length.empty()) {
      auto n = parse_object_int(length);
      if (n && *n > objects.max_object_bytes()) {
        throw PlatformError(ErrorKind::invalid,
                            "the content (" + length + " bytes) is larger than the " +
                                std::to_string(objects.max_object_bytes()) +
                                "-byte limit for one object (platform serve --max-object-bytes); "
                                "split it, or compress it and upload a tgz",
                            413);
      }
    }
  } catch (const PlatformError& e) {
    failure = e;
  }
  // A refused upload still reads a body of declared length (bounded by the server's body limit)
  // so the connection stays in step for its next request; one without a length stops at once.
  const bool declared = req.has_header("Content-Length");
  const bool read = content_reader([&](const char* data, size_t len) {
    if (failure) return declared;
    try {
      upload->write(std::string_view(data, len));
      return true;
    } catch (const PlatformError& e) {
      failure = e;
      return declared;
    }
  });
  if (failure) throw *failure;
  if (!read) {
    if (res.status == 413) {
      throw PlatformError(ErrorKind::invalid,
                          "the content is larger than this server's request body limit", 413);
    }
    throw PlatformError(ErrorKind::invalid,
                        "the upload body could not be read to its end (the connection closed "
                        "early?); PUT it again");
  }
  reply_json(res, 200, object_to_wire(upload->commit()));
}

void download_content(ObjectService& objects, const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1];
  ObjectDownloadGrant grant;
  auto expires = parse_object_int(req.get_param_value("expires_ms"));
  grant.signature = req.get_param_value("signature");
  if (!expires || grant.signature.empty()) {
    throw PlatformError(ErrorKind::forbidden,
                        "this download URL is incomplete (expires_ms and signature); ask GET "
                        "/v1/objects/" +
                            id + "/download for one");
  }
  grant.expires_ms = *expires;
  std::shared_ptr<ObjectReader> reader = objects.open_download(id, grant);
  const std::string type = objects.get(id).content_type == "text" ? "text/plain; charset=utf-8"
                                                                  : "application/octet-stream";
  res.status = 200;
  if (reader->size() == 0) {
    res.set_content("", type);
    return;
  }
  res.set_content_provider(
      static_cast<size_t>(reader->size()), type,
      [reader](size_t offset, size_t length, httplib::DataSink& sink) {
        std::string buf(std::min(length, kDownloadChunk), '\0');
        try {
          const size_t n =
              reader->read_at(static_cast<std::int64_t>(offset), buf.data(), buf.size());
          if (n == 0) return false;
          return sink.write(buf.data(), n);
        } catch (const std::exception&) {
          return false;  // the connection ends short; the client sees a truncated body
        }
      });
}

}  // namespace

void register_object_routes(RestServer& server, std::shared_ptr<ObjectService> objects) {
  const std::string id = R"(/v1/objects/([^/]+))";
  server.open_route(id + "/upload");
  server.open_route(id + "/content");

  server.post("/v1/objects",
              [objects, &server](const httplib::Request& req, httplib::Response& res) {
                ObjectCreated created = objects->create(object_create_from_wire(body_json(req)));
                json view = object_to_wire(created.object);
                view["upload_url"] = object_base_url(req, server) + "/v1/objects/" +
                                     created.object.id + "/upload?token=" + created.upload_token;
                reply_json(res, 200, view);
              });

  server.get("/v1/objects", [objects](const httplib::Request& req, httplib::Response& res) {
    ObjectListRequest r;
    r.limit =
        static_cast<int>(std::clamp<std::int64_t>(object_int_param(req, "limit", 20), -1, 100000));
    r.starting_after = req.get_param_value("starting_after");
    r.content_type = req.get_param_value("content_type");
    r.name = req.get_param_value("name");
    r.search = req.get_param_value("search");
    r.state = req.get_param_value("state");
    r.include_total_count = req.get_param_value("include_total_count") != "false";
    reply_json(res, 200, object_page_to_wire(objects->list(r)));
  });

  server.get("/v1/objects/list_public", [](const httplib::Request& req, httplib::Response& res) {
    json out = {{"objects", json::array()}, {"has_more", false}};
    if (req.get_param_value("include_total_count") != "false") out["total_count"] = 0;
    reply_json(res, 200, out);
  });

  server.get(id, [objects](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200, object_to_wire(objects->get(req.matches[1])));
  });

  server.post(id + "/complete", [objects](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200, object_to_wire(objects->complete(req.matches[1])));
  });

  server.post(id + "/delete", [objects](const httplib::Request& req, httplib::Response& res) {
    reply_json(res, 200, object_to_wire(objects->remove(req.matches[1])));
  });

  server.get(
      id + "/download", [objects, &server](const httplib::Request& req, httplib::Response& res) {
        const std::string oid = req.matches[1];
        ObjectDownloadGrant g = objects->grant_download(
            oid, object_int_param(req, "duration_seconds", kDefaultDownloadSeconds));
        reply_json(res, 200,
                   {{"download_url", object_base_url(req, server) + "/v1/objects/" + oid +
                                         "/content?expires_ms=" + std::to_string(g.expires_ms) +
                                         "&signature=" + g.signature}});
      });

  server.put_stream(id + "/upload", [objects](const httplib::Request& req, httplib::Response& res,
                                              const httplib::ContentReader& content_reader) {
    with_object_errors(res, [&] { upload_object_content(*objects, req, res, content_reader); });
  });

  server.get(id + "/content", [objects](const httplib::Request& req, httplib::Response& res) {
    with_object_errors(res, [&] { download_content(*objects, req, res); });
  });
}

}  // namespace runagents::platform::serve
