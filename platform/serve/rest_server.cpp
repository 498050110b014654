#include "platform/serve/rest_server.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "platform/common/server_guard.hpp"

namespace runagents::platform::serve {

int status_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_found:
      return 404;
    case ErrorKind::invalid:
      return 400;
    case ErrorKind::conflict:
      return 409;
    case ErrorKind::unauthorized:
      return 401;
    case ErrorKind::forbidden:
      return 403;
    case ErrorKind::unavailable:
      return 503;
    case ErrorKind::timeout:
      return 504;
    case ErrorKind::cancelled:
      return 499;
    case ErrorKind::limit_reached:
      return 429;
    case ErrorKind::internal:
      return 500;
  }
  return 500;
}

void reply_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, const PlatformError& e) {
  reply_json(res, status_for(e.kind()), json{{"error", e.what()}});
}

json body_json(const httplib::Request& req) {
  if (req.body.empty()) return nullptr;
  json parsed = json::parse(req.body, nullptr, false);
  if (parsed.is_discarded()) {
    throw PlatformError(ErrorKind::invalid, "the request body is not valid JSON");
  }
  return parsed;
}

int query_int(const httplib::Request& req, const char* name, int fallback) {
  if (!req.has_param(name)) return fallback;
  try {
    return std::stoi(req.get_param_value(name));
  } catch (const std::exception&) {
    throw PlatformError(ErrorKind::invalid, std::string(name) + " must be an integer");
  }
}

RestServer::RestServer(ServeOptions options)
    : options_(std::move(options)), http_(std::max<size_t>(options_.threads, 2)) {
  const size_t threads = std::max<size_t>(options_.threads, 2);
  http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  common::set_keep_alive(http_, 1000, 5);
  http_.set_payload_max_length(options_.max_body_bytes);
  http_.set_read_timeout(60, 0);
  http_.set_write_timeout(60, 0);

  common::ServerGuard guard;
  guard.allowed_origins = options_.allowed_origins;
  guard.auth_token = options_.auth_token;
  guard.accept_api_key_header = true;
  guard.open_path = "/healthz";
  guard.is_open_path = [routes = open_routes_](const std::string& path) {
    for (const auto& r : *routes)
      if (std::regex_match(path, r)) return true;
    return false;
  };
  guard.name = "platform serve";
  guard.realm = "runagents-mcp platform";
  guard.refuse = [](httplib::Response& res, int status) {
    reply_json(
        res, status,
        {{"error", status == 403 ? "Host or Origin is not allowed (only localhost by default; add "
                                   "--allowed-origin)"
                                 : "send Authorization: Bearer <token> (the server's --auth-token; "
                                   "for the RunAgents SDK set RUNAGENTS_API_KEY to it)"}});
  };
  common::install_guard(http_, std::move(guard));

  http_.Get("/healthz",
            [health = options_.health](const httplib::Request&, httplib::Response& res) {
              reply_json(res, 200, health ? health() : json{{"status", "ok"}});
            });

  http_.set_error_handler(
      [hint = options_.routes_hint](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404) {
          reply_json(res, 404,
                     {{"error", "no route for " + req.method + " " + req.path + "; " + hint}});
        } else if (res.status == 400) {
          reply_json(res, 400,
                     {{"error",
                       "the request could not be read; a POST needs a Content-Length header or a "
                       "body (with curl, add -d '')"}});
        } else if (res.status == 413) {
          reply_json(res, 413, {{"error", "the request body is too large"}});
        }
      });
  http_.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("platform serve handler failed: {}", what);
        reply_json(res, 500, {{"error", "internal error: " + what}});
      });
}

RestServer::~RestServer() {
  stop();
}

RestServer::Handler RestServer::guarded(Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const PlatformError& e) {
      reply_error(res, e);
    } catch (const json::exception& e) {
      reply_json(res, 400, {{"error", std::string("bad JSON field: ") + e.what()}});
    } catch (const std::exception& e) {
      spdlog::error("platform serve {} {} failed: {}", req.method, req.path, e.what());
      reply_json(res, 500, {{"error", std::string("internal error: ") + e.what()}});
    }
  };
}

void RestServer::get(const std::string& pattern, Handler handler) {
  http_.Get(pattern, guarded(std::move(handler)));
}
void RestServer::post(const std::string& pattern, Handler handler) {
  http_.Post(pattern, guarded(std::move(handler)));
}
void RestServer::put(const std::string& pattern, Handler handler) {
  http_.Put(pattern, guarded(std::move(handler)));
}
void RestServer::patch(const std::string& pattern, Handler handler) {
  http_.Patch(pattern, guarded(std::move(handler)));
}
void RestServer::del(const std::string& pattern, Handler handler) {
  http_.Delete(pattern, guarded(std::move(handler)));
}

void RestServer::put_stream(const std::string& pattern, StreamHandler handler) {
  http_.Put(pattern,
            [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& content_reader) {
              guarded([&](const httplib::Request& r, httplib::Response& s) {
                handler(r, s, content_reader);
              })(req, res);
            });
}

void RestServer::open_route(const std::string& pattern) {
  open_routes_->emplace_back(pattern);
}

int RestServer::bind() {
  int port = options_.port == 0
                 ? http_.bind_to_any_port(options_.host)
                 : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port <= 0) {
    throw PlatformError(ErrorKind::unavailable,
                        "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                            " (in use or not permitted); pick another with --port, or --port 0 "
                            "for any free port");
  }
  port_ = port;
  return port;
}

void RestServer::serve() {
  serving_ = true;
  if (!stopping_) http_.listen_after_bind();
  http_.join_stream_workers();
  serving_ = false;
}

std::unique_ptr<RestServer::StopLink> RestServer::stop_link() const {
  auto link = std::make_unique<StopLink>();
  link->cancel = std::make_shared<ExecCancel>();
  link->server = stop_signal_;
  link->handle = stop_signal_->on_cancel(
      [c = link->cancel, s = stop_signal_.get()] { c->cancel(s->reason()); });
  return link;
}

void RestServer::stop() {
  stop_signal_->cancel("server stopped");
  stopping_ = true;
  // serve() may have been entered without listening yet: wait until it listens, then stop it.
  while (serving_ && !http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (http_.is_running()) http_.stop();
  http_.signal_stop();
}

}  // namespace runagents::platform::serve
