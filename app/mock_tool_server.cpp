#include "app/mock_tool_server.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace runagents::cli {

namespace {

using platform::json;

json received_body(const httplib::Request& req) {
  if (req.body.empty()) return nullptr;
  json parsed = json::parse(req.body, nullptr, false);
  return parsed.is_discarded() ? json(req.body) : parsed;
}

void log_call(const httplib::Request& req) {
  std::string body = req.body.substr(0, 200);
  std::fprintf(stderr, "mock tool: %s %s%s%s\n", req.method.c_str(), req.path.c_str(),
               body.empty() ? "" : " ", body.c_str());
  std::fflush(stderr);
}

}  // namespace

MockToolServer::MockToolServer(int port) {
  platform::serve::ServeOptions o;
  o.port = port;
  o.threads = 4;
  o.routes_hint = "the mock tool server answers every path";
  server_ = std::make_unique<platform::serve::RestServer>(o);
  auto write = [](const httplib::Request& req, httplib::Response& res) {
    log_call(req);
    const std::string tool = req.path.substr(1, req.path.find('/', 1) - 1);
    platform::serve::reply_json(res, 200,
                                {{"method", req.method},
                                 {"path", req.path},
                                 {"received", received_body(req)},
                                 {"mock", true},
                                 {"result", "mock result of " + tool}});
  };
  server_->post("/.*", write);
  server_->put("/.*", write);
  server_->get("/.*", [](const httplib::Request& req, httplib::Response& res) {
    log_call(req);
    platform::serve::reply_json(res, 200,
                                {{"method", req.method}, {"path", req.path}, {"mock", true}});
  });
  server_->del("/.*", [](const httplib::Request& req, httplib::Response& res) {
    log_call(req);
    platform::serve::reply_json(res, 200, {{"deleted", true}});
  });
  port_ = server_->bind();
  thread_ = std::thread([this] { server_->serve(); });
}

MockToolServer::~MockToolServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace runagents::cli
