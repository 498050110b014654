#include "platform/serve/secret_routes.hpp"

#include <algorithm>

namespace runagents::platform::serve {

namespace {

using Req = httplib::Request;
using Res = httplib::Response;

json secret_to_wire(const local::SecretView& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"create_time_ms", s.create_time_ms},
          {"update_time_ms", s.update_time_ms}};
}

// The body's string field `key`. Throws invalid naming it when it is missing or not a string.
std::string required_string(const json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string())
    throw PlatformError(ErrorKind::invalid,
                        std::string("the body must be a JSON object with a string ") + key);
  return body[key].get<std::string>();
}

}  // namespace

void register_secret_routes(RestServer& server, std::shared_ptr<local::SecretStore> secrets) {
  auto s = std::move(secrets);
  const std::string named = "/v1/secrets/([A-Za-z0-9_.-]+)";
  server.post("/v1/secrets", [s](const Req& req, Res& res) {
    const json body = body_json(req);
    const std::string name = required_string(body, "name");
    reply_json(res, 200, secret_to_wire(s->create(name, required_string(body, "value"))));
  });
  server.get("/v1/secrets", [s](const Req& req, Res& res) {
    auto all = s->list();
    std::size_t limit = all.size();
    if (req.has_param("limit")) {
      try {
        limit = static_cast<std::size_t>(
            std::clamp(std::stol(req.get_param_value("limit")), 1L, 5000L));
      } catch (const std::exception&) {
        throw PlatformError(ErrorKind::invalid, "limit must be a number");
      }
    }
    json list = json::array();
    for (std::size_t i = 0; i < all.size() && i < limit; ++i)
      list.push_back(secret_to_wire(all[i]));
    reply_json(res, 200,
               {{"secrets", list}, {"has_more", all.size() > limit}, {"total_count", all.size()}});
  });
  server.get(named, [s](const Req& req, Res& res) {
    reply_json(res, 200, secret_to_wire(s->get(req.matches[1])));
  });
  server.post(named, [s](const Req& req, Res& res) {
    const json body = body_json(req);
    reply_json(res, 200, secret_to_wire(s->update(req.matches[1], required_string(body, "value"))));
  });
  server.post(named + "/delete", [s](const Req& req, Res& res) {
    reply_json(res, 200, secret_to_wire(s->remove(req.matches[1])));
  });
}

}  // namespace runagents::platform::serve
