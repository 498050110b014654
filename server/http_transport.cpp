#include "server/http_transport.hpp"

#include <httplib.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "platform/common/random_hex.hpp"
#include "platform/common/server_guard.hpp"
#include "platform/common/shutdown_signal.hpp"
#include "server/connection_threads.hpp"
#include "server/http_transport_impl.hpp"
#include "server/server_sockets.hpp"

namespace runagents::mcp {

namespace {

std::string random_session_id() {
  return common::strict_random_hex(16, "no randomness for session id");
}

}  // namespace

std::shared_ptr<HttpSession> HttpTransport::Impl::find(const std::string& id) {
  std::lock_guard lock(mu);
  auto it = sessions.find(id);
  return it == sessions.end() ? nullptr : it->second;
}

std::shared_ptr<HttpSession> HttpTransport::Impl::make_session() {
  auto hs = std::make_shared<HttpSession>();
  hs->core = std::make_shared<Session>(random_session_id());
  hs->standalone = std::make_shared<EventStream>(0, 256);
  hs->core->set_unsolicited_channel(hs->standalone);
  return hs;
}

void HttpTransport::Impl::end_session(const std::shared_ptr<HttpSession>& hs, const char* why) {
  {
    std::lock_guard lock(mu);
    sessions.erase(hs->core->id());
  }
  spdlog::info("session {} ended ({})", hs->core->id(), why);
  server.remove_session(*hs->core);
  hs->core->close();
  hs->close_all();
}

void HttpTransport::Impl::expire_idle_sessions() {
  std::unique_lock lock(mu);
  while (!stopping) {
    auto interval = std::clamp<std::chrono::milliseconds>(opts.session_idle_timeout / 4,
                                                          std::chrono::milliseconds(200),
                                                          std::chrono::milliseconds(30000));
    janitor_cv.wait_for(lock, interval);
    if (stopping) break;
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<HttpSession>> expired;
    for (auto& [id, hs] : sessions) {
      bool busy = hs->core->in_flight() > 0;
      {
        std::lock_guard l(hs->mu);
        busy = busy || hs->standalone_attached;
      }
      if (!busy && now - hs->core->last_activity() > opts.session_idle_timeout) {
        expired.push_back(hs);
      }
    }
    lock.unlock();
    for (auto& hs : expired) end_session(hs, "idle timeout");
    lock.lock();
  }
}

HttpTransport::HttpTransport(McpServer& server, HttpOptions options)
    : impl_(std::make_unique<Impl>(server, std::move(options))) {
  auto& http = impl_->http;
  Impl* self = impl_.get();
  http.new_task_queue = [self] {
    return new ConnectionThreads(self->opts.max_connections, self->connections);
  };
  common::set_keep_alive(http, 1000000, 30);
  http.set_payload_max_length(impl_->opts.limits.max_message_bytes);

  common::ServerGuard guard;
  guard.allowed_origins = impl_->opts.allowed_origins;
  guard.auth_token = impl_->opts.auth_token;
  guard.realm = "runagents-mcp";
  guard.refuse = [](httplib::Response& res, int status) {
    if (status == 403) {
      Impl::send_error(res, 403, -32000,
                       "Forbidden: Host or Origin is not allowed (only localhost by default; add "
                       "--allowed-origin)");
    } else {
      Impl::send_error(
          res, 401, -32000,
          "Unauthorized: send Authorization: Bearer <token> (the server's --auth-token "
          "or RUNAGENTS_MCP_TOKEN)");
    }
  };
  const auto guard_check = common::guard_handler(std::move(guard));
  http.set_pre_routing_handler(guard_check);

  const std::string path = impl_->opts.path;
  const httplib::Server::Handler post = [self](const httplib::Request& q, httplib::Response& r) {
    self->handle_post(q, r);
  };
  http.Post(path, post);
  http.Get(path,
           [self](const httplib::Request& q, httplib::Response& r) { self->handle_get(q, r); });
  http.Delete(
      path, [self](const httplib::Request& q, httplib::Response& r) { self->handle_delete(q, r); });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "GET, POST, DELETE");
    Impl::send_error(res, 405, -32000, "Method Not Allowed: use POST, GET or DELETE");
  };
  impl_->install_resource_metadata();
  impl_->install_metrics();
  http.Put(path, not_allowed);
  http.Patch(path, not_allowed);
  http.Options(path, not_allowed);

  const httplib::Server::Handler on_error = [self](const httplib::Request& req,
                                                   httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      Impl::send_error(res, 413, -32000,
                       "Payload Too Large: the body exceeds " +
                           std::to_string(self->opts.limits.max_message_bytes) +
                           " bytes (raise it with --max-message-bytes)");
    } else if (res.status == 404) {
      Impl::send_error(res, 404, -32000,
                       "Not Found: " + req.path + "; the MCP endpoint is " + self->opts.path);
    }
  };
  http.set_error_handler(on_error);
  const httplib::Server::ExceptionHandler on_exception =
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("HTTP handler failed: {}", what);
        Impl::send_error(res, 500, error_code::internal_error, "Internal error: " + what);
      };
  http.set_exception_handler(on_exception);
  // A client's JSON-RPC POSTs, nearly every request, skip cpp-httplib's parser when plain.
  http.set_fast_post({path, guard_check, post, on_error, on_exception});
}

HttpTransport::~HttpTransport() {
  stop();
  if (impl_->janitor.joinable()) impl_->janitor.join();
  if (impl_->signal_watcher.joinable()) impl_->signal_watcher.join();
}

int HttpTransport::bind() {
  int port = impl_->opts.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(impl_->opts.host);
  } else if (!impl_->http.bind_to_port(impl_->opts.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error("cannot listen on " + impl_->opts.host + ":" +
                             std::to_string(impl_->opts.port) +
                             " (is another server using the port? choose one with --port)");
  }
  raise_listen_backlog(port);
  impl_->port = port;
  return port;
}

void HttpTransport::serve() {
  common::shutdown_signal::install();
  impl_->janitor = std::thread([self = impl_.get()] { self->expire_idle_sessions(); });
  // Watches for a termination signal, and once stopping, keeps telling cpp-httplib to stop until
  // serve() returns: a stop() that lands before the listen loop has started would be lost.
  impl_->signal_watcher = std::thread([this] {
    pollfd pfd{common::shutdown_signal::fd(), POLLIN, 0};
    while (!impl_->serve_returned) {
      if (!impl_->stopping && ::poll(&pfd, 1, 50) > 0) {
        spdlog::info("termination signal received; shutting down");
        stop();
      }
      if (impl_->stopping) {
        impl_->http.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  if (!impl_->stopping && !common::shutdown_signal::requested()) impl_->http.listen_after_bind();
  impl_->serve_returned = true;
}

void HttpTransport::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->janitor_cv.notify_all();
  std::vector<std::shared_ptr<HttpSession>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [_, hs] : impl_->sessions) all.push_back(hs);
  }
  for (auto& hs : all) {
    hs->core->cancel_all("the server is shutting down");
    hs->close_all();
  }
  impl_->http.signal_stop();
  impl_->http.stop();
  // Connections idle between keep-alive requests would wait out their keep-alive timeout (30 s).
  if (impl_->port > 0) end_reads_on_accepted(impl_->port);
  impl_->pool.drain(std::chrono::milliseconds(900));
}

bool HttpTransport::wait_connections(std::chrono::milliseconds timeout) {
  return ConnectionThreads::wait_idle(*impl_->connections, timeout);
}

size_t HttpTransport::session_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sessions.size();
}

}  // namespace runagents::mcp
