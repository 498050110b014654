#include "platform/serve/blueprint_routes.hpp"

#include "platform/wire/blueprint_json.hpp"

namespace runagents::platform::serve {

namespace {

using Req = httplib::Request;
using Res = httplib::Response;

}  // namespace

void register_blueprint_routes(RestServer& server, std::shared_ptr<DevboxService> devboxes) {
  auto d = std::move(devboxes);
  server.post("/v1/blueprints", [d](const Req& req, Res& res) {
    reply_json(
        res, 200,
        blueprint_to_wire(d->create_blueprint(blueprint_parameters_from_wire(body_json(req)))));
  });
  server.post("/v1/blueprints/preview", [](const Req& req, Res& res) {
    BlueprintParameters p = blueprint_parameters_from_wire(body_json(req));
    reply_json(res, 200, {{"dockerfile", p.dockerfile}});
  });
  server.get("/v1/blueprints", [d](const Req& req, Res& res) {
    BlueprintListRequest r;
    r.limit = query_int(req, "limit", 20);
    r.starting_after = req.get_param_value("starting_after");
    r.name = req.get_param_value("name");
    r.status = req.get_param_value("status");
    reply_json(res, 200, blueprint_page_to_wire(d->list_blueprints(r)));
  });
  server.get("/v1/blueprints/list_public", [](const Req&, Res& res) {
    reply_json(res, 200, {{"blueprints", json::array()}, {"has_more", false}});
  });
  const std::string id = "/v1/blueprints/([A-Za-z0-9_-]+)";
  server.get(id, [d](const Req& req, Res& res) {
    reply_json(res, 200, blueprint_to_wire(d->get_blueprint(req.matches[1])));
  });
  server.get(id + "/logs", [d](const Req& req, Res& res) {
    reply_json(res, 200, blueprint_logs_to_wire(req.matches[1], d->blueprint_logs(req.matches[1])));
  });
  server.post(id + "/delete", [d](const Req& req, Res& res) {
    d->delete_blueprint(req.matches[1]);
    reply_json(res, 200, json::object());
  });
}

}  // namespace runagents::platform::serve
