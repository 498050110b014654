#include "server/http_transport.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "platform/common/server_guard.hpp"
#include "platform/common/shutdown_signal.hpp"
#include "server/event_stream.hpp"
#include "server/http_headers.hpp"
#include "server/worker_pool.hpp"

namespace runagents::mcp {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// ---------------------------------------------------------------------------------------------
// One thread per connection, capped. cpp-httplib's default pool has 8 threads that keep-alive
// connections and open SSE streams hold, so further clients would wait; here a connection never
// waits for another while fewer than `max` are open.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max) : state_(std::make_shared<State>()), max_(max) {}

  void enqueue(std::function<void()> fn) override {
    std::lock_guard lock(state_->mu);
    if (state_->active >= max_) {
      state_->waiting.push_back(std::move(fn));
      return;
    }
    start(std::move(fn));
  }

  void shutdown() override {
    std::unique_lock lock(state_->mu);
    state_->waiting.clear();
    // Connections notice shutdown within a poll interval; do not hang the process on one that
    // does not.
    state_->cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return state_->active == 0; });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
    std::deque<std::function<void()>> waiting;
  };

  // Called with state_->mu held.
  void start(std::function<void()> fn) {
    ++state_->active;
    std::thread([state = state_, fn = std::move(fn)]() mutable {
      for (;;) {
        fn();
        std::lock_guard lock(state->mu);
        if (state->waiting.empty()) {
          --state->active;
          state->cv.notify_all();
          return;
        }
        fn = std::move(state->waiting.front());
        state->waiting.pop_front();
      }
    }).detach();
  }

  std::shared_ptr<State> state_;
  size_t max_;
};

std::string random_session_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("no randomness for session id");
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 15]);
  }
  return id;
}

bool header_lists(const std::string& header, const char* type) {
  return lower(header).find(type) != std::string::npos;
}

void send_error(httplib::Response& res, int status, int code, const std::string& message,
                const json& id = nullptr) {
  res.status = status;
  res.set_content(serialize(make_error(id, code, message)), "application/json");
}

// What the HTTP layer keeps per session, beside the protocol Session.
struct HttpSession {
  std::shared_ptr<Session> core;
  std::mutex mu;
  std::map<long long, std::shared_ptr<EventStream>> streams;  // recent, for Last-Event-ID
  std::shared_ptr<EventStream> standalone;                    // stream id 0
  bool standalone_attached = false;
  long long standalone_delivered = 0;
  long long next_stream = 1;

  std::shared_ptr<EventStream> new_stream() {
    std::lock_guard lock(mu);
    auto s = std::make_shared<EventStream>(next_stream++);
    streams[s->id()] = s;
    while (streams.size() > 64) streams.erase(streams.begin());  // oldest first
    return s;
  }
  std::shared_ptr<EventStream> find_stream(long long id) {
    std::lock_guard lock(mu);
    if (id == 0) return standalone;
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second;
  }
  void close_all() {
    std::lock_guard lock(mu);
    for (auto& [_, s] : streams) s->close();
    standalone->close();
  }
};

}  // namespace

struct HttpTransport::Impl {
  McpServer& server;
  HttpOptions opts;
  httplib::Server http;
  WorkerPool pool;
  std::atomic<bool> stopping{false};
  std::atomic<bool> serve_returned{false};
  mutable std::mutex mu;
  std::condition_variable janitor_cv;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions;
  std::thread janitor;
  std::thread signal_watcher;

  Impl(McpServer& s, HttpOptions o) : server(s), opts(std::move(o)) {}

  std::shared_ptr<HttpSession> find(const std::string& id) {
    std::lock_guard lock(mu);
    auto it = sessions.find(id);
    return it == sessions.end() ? nullptr : it->second;
  }

  std::shared_ptr<HttpSession> make_session() {
    auto hs = std::make_shared<HttpSession>();
    hs->core = std::make_shared<Session>(random_session_id());
    hs->standalone = std::make_shared<EventStream>(0, 256);
    hs->core->set_unsolicited_channel(hs->standalone);
    return hs;
  }

  void end_session(const std::shared_ptr<HttpSession>& hs, const char* why) {
    {
      std::lock_guard lock(mu);
      sessions.erase(hs->core->id());
    }
    spdlog::info("session {} ended ({})", hs->core->id(), why);
    server.remove_session(*hs->core);
    hs->core->close();
    hs->close_all();
  }

  // Resolves the session named by Mcp-Session-Id, or answers 400/404 and returns nullptr.
  std::shared_ptr<HttpSession> require_session(const httplib::Request& req,
                                               httplib::Response& res) {
    std::string sid = req.get_header_value("Mcp-Session-Id");
    if (sid.empty()) {
      send_error(res, 400, -32000,
                 "Bad Request: Mcp-Session-Id header is required (send initialize first to get "
                 "one)");
      return nullptr;
    }
    auto hs = find(sid);
    if (!hs) {
      send_error(res, 404, -32001,
                 "Session not found: it ended or expired; send initialize to start a new one");
      return nullptr;
    }
    return hs;
  }

  bool check_protocol_header(const httplib::Request& req, httplib::Response& res) {
    std::string v = req.get_header_value("MCP-Protocol-Version");
    if (v.empty() || is_supported_version(v)) return true;
    std::string supported;
    for (auto s : kSupportedVersions) supported += (supported.empty() ? "" : ", ") + std::string(s);
    send_error(
        res, 400, -32000,
        "Bad Request: unsupported MCP-Protocol-Version '" + v + "' (supported: " + supported + ")");
    return false;
  }

  bool priming_enabled(const Session& s) const {
    // Priming events (an id with empty data) arrived in 2025-11-25; older clients may try to
    // parse the empty data as JSON.
    return s.protocol_version() >= "2025-11-25";
  }

  // Streams `stream` from after `after_seq` as SSE until its final event, close or shutdown.
  // `hs` is null for a modern request, whose stream has no event ids and whose closing by the
  // client cancels the request (`request_session`).
  void stream_sse(httplib::Response& res, const std::shared_ptr<HttpSession>& hs,
                  std::shared_ptr<EventStream> stream, long long after_seq, bool prime,
                  std::function<void(long long last_seq)> on_release,
                  std::shared_ptr<Session> request_session = nullptr) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    struct State {
      long long last;
      bool primed;
      std::chrono::steady_clock::time_point last_write;
    };
    auto state =
        std::make_shared<State>(State{after_seq, !prime, std::chrono::steady_clock::now()});
    auto keep_alive = opts.keep_alive_interval;
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, hs, stream, state, keep_alive, request_session](size_t, httplib::DataSink& sink) {
          if (!state->primed) {
            state->primed = true;
            std::string priming =
                hs ? "id: " + stream->event_id(state->last) + "\nretry: 1000\ndata: \n\n"
                   : std::string(kSseKeepAlive);
            return sink.write(priming.data(), priming.size());
          }
          // 2026-07-28: closing the response stream cancels the request (in the releaser below,
          // which runs however the stream ends).
          if (request_session && !sink.is_writable()) return false;
          auto ev =
              stream->next(state->last, std::min(keep_alive, std::chrono::milliseconds(1000)));
          if (!ev) {
            if (stream->closed() || stopping) {
              sink.done();
              return true;
            }
            if (hs) hs->core->touch();
            // A comment now and then lets a dead client show up as a failed write.
            auto now = std::chrono::steady_clock::now();
            if (now - state->last_write >= keep_alive) {
              state->last_write = now;
              return sink.write(kSseKeepAlive.data(), kSseKeepAlive.size());
            }
            return true;
          }
          state->last = ev->seq;
          state->last_write = std::chrono::steady_clock::now();
          std::string text = format_sse_event(hs ? stream->event_id(ev->seq) : "", ev->data);
          if (!sink.write(text.data(), text.size())) return false;
          if (ev->final) sink.done();
          return true;
        },
        [state, stream, request_session, on_release = std::move(on_release)](bool) {
          // The connection is gone or the stream ended; a modern request still running was
          // abandoned by its client.
          if (request_session && !stream->finished()) {
            request_session->cancel_all("the client closed the response stream");
          }
          if (on_release) on_release(state->last);
        });
  }

  void handle_post(const httplib::Request& req, httplib::Response& res) {
    std::string content_type = req.get_header_value("Content-Type");
    if (!header_lists(content_type, "application/json")) {
      send_error(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
      return;
    }
    std::string accept = req.get_header_value("Accept");
    if (!accept.empty() && !header_lists(accept, "*/*") &&
        !(header_lists(accept, "application/json") && header_lists(accept, "text/event-stream"))) {
      send_error(res, 406, -32000,
                 "Not Acceptable: Accept must include both application/json and "
                 "text/event-stream");
      return;
    }
    ParseOutcome parsed = parse_message(req.body, opts.limits);
    if (parsed.error_reply) {
      res.status = 400;
      res.set_content(serialize(*parsed.error_reply), "application/json");
      return;
    }
    if (!parsed.message) {
      res.status = 202;
      return;
    }
    Message msg = std::move(*parsed.message);
    if (msg.kind != Message::Kind::response &&
        era_of(msg, req.has_header("Mcp-Session-Id"),
               req.get_header_value("MCP-Protocol-Version")) == Era::modern) {
      handle_modern_post(req, res, std::move(msg));
      return;
    }
    const bool is_initialize = msg.kind == Message::Kind::request && msg.method == "initialize";

    std::shared_ptr<HttpSession> hs;
    bool fresh = false;
    if (is_initialize && !req.has_header("Mcp-Session-Id")) {
      hs = make_session();
      fresh = true;
    } else {
      hs = require_session(req, res);
      if (!hs || !check_protocol_header(req, res)) return;
    }

    if (msg.kind != Message::Kind::request) {
      server.handle_notification(msg, *hs->core);
      res.status = 202;
      return;
    }

    if (!fresh && server.answers_without_messages(msg)) {
      // Nothing can precede the response: answer on this connection's thread, as plain JSON.
      // Should a handler send something after all, it goes to the session's GET stream.
      auto reply = server.handle_request(msg, *hs->core, *hs->standalone);
      res.set_header("Mcp-Session-Id", hs->core->id());
      if (!reply) {
        res.status = 202;  // cancelled: the spec says no response is sent
        return;
      }
      res.set_content(serialize(*reply), "application/json");
      return;
    }

    // The first event decides the answer: the response alone is plain JSON; anything before it
    // turns the answer into an SSE stream. A call that may run long starts its stream within a
    // second, so clients that time out on the first byte keep waiting.
    auto stream = hs->new_stream();
    const bool long_call = !fresh && server.may_run_long(msg);
    auto first =
        start_on_pool(std::move(msg), hs->core, stream, Era::legacy,
                      long_call ? std::optional(std::chrono::milliseconds(1000)) : std::nullopt);
    if (!first && long_call && !stream->closed() && !stopping) {
      res.set_header("Mcp-Session-Id", hs->core->id());
      stream_sse(res, hs, stream, 0, true, nullptr);
      return;
    }
    if (!first) {
      res.status = 202;  // cancelled: the spec says no response is sent
      return;
    }
    if (fresh) {
      json reply = json::parse(first->data, nullptr, false);
      if (reply.contains("result")) {
        {
          std::lock_guard lock(mu);
          sessions[hs->core->id()] = hs;
        }
        server.add_session(hs->core);
        spdlog::info("session {} started ({})", hs->core->id(), hs->core->protocol_version());
      }
    }
    res.set_header("Mcp-Session-Id", hs->core->id());
    if (first->final) {
      res.set_content(first->data, "application/json");
      return;
    }
    stream_sse(res, hs, stream, 0, priming_enabled(*hs->core), nullptr);
  }

  // Runs `msg` on the worker pool with `stream` as its channel and waits for its first event.
  // nullopt when the stream closed first (cancelled, shutting down), or when `patience` passed
  // without one (unset: wait as long as it takes). `status`, when given, receives the HTTP status
  // the reply maps to (modern era) before the reply is queued.
  std::optional<EventStream::Event> start_on_pool(
      Message msg, std::shared_ptr<Session> session, std::shared_ptr<EventStream> stream, Era era,
      std::optional<std::chrono::milliseconds> patience,
      std::shared_ptr<std::atomic<int>> status = nullptr) {
    pool.submit([this, session, stream, era, status, msg = std::move(msg)] {
      auto reply = server.handle_request(msg, *session, *stream, era);
      if (reply) {
        if (status) status->store(http_status_for(*reply));
        stream->finish(*reply);
      } else {
        stream->close();
      }
    });
    std::optional<EventStream::Event> first;
    auto started = std::chrono::steady_clock::now();
    while (!(first = stream->next(0, std::chrono::milliseconds(100)))) {
      if (stream->closed() || stopping) break;
      if (patience && std::chrono::steady_clock::now() - started >= *patience) break;
    }
    return first;
  }

  // A 2026-07-28 request: no session; envelope, headers and version checked; the answer is JSON
  // or a per-request event stream whose closing cancels the request.
  void handle_modern_post(const httplib::Request& req, httplib::Response& res, Message msg) {
    if (msg.kind != Message::Kind::request) {
      res.status = 202;  // notifications need no answer (cancellation is closing the stream)
      return;
    }
    // Every rejection here is a client error: 400 unless the code maps to another 4xx.
    auto reject = [&](int code, const std::string& message, const json& data = nullptr) {
      json reply = make_error(msg.id, code, message, data);
      int status = http_status_for(reply);
      res.status = status == 200 ? 400 : status;
      res.set_content(serialize(reply), "application/json");
    };
    // _meta errors come before header errors, and an unsupported version after them.
    auto envelope = server.envelope_error(msg);
    if (envelope && envelope->code() != error_code::unsupported_protocol_version) {
      return reject(envelope->code(), envelope->what(), envelope->data());
    }
    auto mismatch = header_mismatch(
        msg,
        [&](const std::string& name) -> std::optional<std::string> {
          if (!req.has_header(name.c_str())) return std::nullopt;
          return req.get_header_value(name.c_str());
        },
        server.called_tool(msg));
    if (mismatch) return reject(error_code::header_mismatch, "Header mismatch: " + *mismatch);
    if (envelope) return reject(envelope->code(), envelope->what(), envelope->data());

    auto session = std::make_shared<Session>("");
    if (server.answers_without_messages(msg, Era::modern)) {
      NullOutbound sink;
      auto reply = server.handle_request(msg, *session, sink, Era::modern);
      if (!reply) {
        res.status = 202;
        return;
      }
      res.status = http_status_for(*reply);
      res.set_content(serialize(*reply), "application/json");
      return;
    }

    // Wait up to a second for the first event. A call still quiet by then gets its event
    // stream at once: clients that time out on the first byte keep waiting, and from then on a
    // closed connection is noticed (and cancels the call) within a second.
    auto stream = std::make_shared<EventStream>(0, 256);
    auto status = std::make_shared<std::atomic<int>>(200);
    auto first = start_on_pool(std::move(msg), session, stream, Era::modern,
                               std::chrono::milliseconds(1000), status);
    if (first && first->final) {
      res.status = status->load();
      res.set_content(first->data, "application/json");
      return;
    }
    if (!first && (stream->closed() || stopping)) {
      session->cancel_all("the server is shutting down");
      res.status = 503;
      return;
    }
    // Events came first (or the call runs long): an event stream; its first event is re-read.
    stream_sse(res, nullptr, stream, 0, !first, nullptr, session);
  }

  // GET and DELETE from a 2026-07-28 client (no session, a modern version header): 405.
  static bool refuse_modern(const httplib::Request& req, httplib::Response& res,
                            const std::string& why) {
    if (req.has_header("Mcp-Session-Id") ||
        !is_modern_version(req.get_header_value("MCP-Protocol-Version"))) {
      return false;
    }
    res.set_header("Allow", "POST");
    send_error(res, 405, -32000, "Method Not Allowed: " + why);
    return true;
  }

  void handle_get(const httplib::Request& req, httplib::Response& res) {
    std::string accept = req.get_header_value("Accept");
    if (!header_lists(accept, "text/event-stream") && !header_lists(accept, "*/*")) {
      send_error(res, 406, -32000, "Not Acceptable: Accept must include text/event-stream");
      return;
    }
    if (refuse_modern(req, res, "2026-07-28 has no GET stream; use POST subscriptions/listen")) {
      return;
    }
    auto hs = require_session(req, res);
    if (!hs || !check_protocol_header(req, res)) return;

    std::string last_id = req.get_header_value("Last-Event-ID");
    if (!last_id.empty()) {
      auto parsed = parse_event_id(last_id);
      auto stream = parsed ? hs->find_stream(parsed->first) : nullptr;
      if (stream && parsed->first != 0) {
        spdlog::debug("session {} resumes stream {} after {}", hs->core->id(), parsed->first,
                      parsed->second);
        stream_sse(res, hs, stream, parsed->second, false, nullptr);
        return;
      }
    }
    long long after = 0;
    {
      std::lock_guard lock(hs->mu);
      if (hs->standalone_attached) {
        send_error(res, 409, -32000,
                   "Conflict: this session already has an open GET stream; only one is allowed");
        return;
      }
      hs->standalone_attached = true;
      after = hs->standalone_delivered;
      if (auto parsed = parse_event_id(last_id); parsed && parsed->first == 0)
        after = parsed->second;
    }
    std::weak_ptr<HttpSession> weak = hs;
    auto stream = hs->standalone;
    res.set_header("Mcp-Session-Id", hs->core->id());
    stream_sse(res, hs, stream, after, priming_enabled(*hs->core), [weak](long long last_seq) {
      if (auto s = weak.lock()) {
        std::lock_guard lock(s->mu);
        s->standalone_attached = false;
        s->standalone_delivered = std::max(s->standalone_delivered, last_seq);
      }
    });
  }

  void handle_delete(const httplib::Request& req, httplib::Response& res) {
    if (refuse_modern(req, res, "2026-07-28 has no sessions to end")) return;
    auto hs = require_session(req, res);
    if (!hs) return;
    end_session(hs, "DELETE");
    res.status = 200;
  }

  void expire_idle_sessions() {
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
};

namespace {

// Debian's cpp-httplib 0.11.4 is a compiled library that listens with a backlog of 5 (its
// CPPHTTPLIB_LISTEN_BACKLOG macro cannot be changed from here), so a burst of new clients waits
// for TCP retries. It does not expose its socket either: find our listening socket by its port and
// call listen() again, which on Linux just raises the backlog.
void raise_listen_backlog(int port) {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int bound = 0;
    if (addr.ss_family == AF_INET) {
      bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
}

}  // namespace

HttpTransport::HttpTransport(McpServer& server, HttpOptions options)
    : impl_(std::make_unique<Impl>(server, std::move(options))) {
  auto& http = impl_->http;
  Impl* self = impl_.get();
  const size_t max_connections = impl_->opts.max_connections;
  http.new_task_queue = [max_connections] { return new ConnectionThreads(max_connections); };
  common::set_keep_alive(http, 1000000, 30);
  http.set_payload_max_length(impl_->opts.limits.max_message_bytes);

  common::ServerGuard guard;
  guard.allowed_origins = impl_->opts.allowed_origins;
  guard.auth_token = impl_->opts.auth_token;
  guard.realm = "runagents-mcp";
  guard.refuse = [](httplib::Response& res, int status) {
    if (status == 403) {
      send_error(res, 403, -32000,
                 "Forbidden: Host or Origin is not allowed (only localhost by default; add "
                 "--allowed-origin)");
    } else {
      send_error(res, 401, -32000,
                 "Unauthorized: send Authorization: Bearer <token> (the server's --auth-token "
                 "or RUNAGENTS_MCP_TOKEN)");
    }
  };
  common::install_guard(http, std::move(guard));

  const std::string path = impl_->opts.path;
  http.Post(path,
            [self](const httplib::Request& q, httplib::Response& r) { self->handle_post(q, r); });
  http.Get(path,
           [self](const httplib::Request& q, httplib::Response& r) { self->handle_get(q, r); });
  http.Delete(
      path, [self](const httplib::Request& q, httplib::Response& r) { self->handle_delete(q, r); });
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "GET, POST, DELETE");
    send_error(res, 405, -32000, "Method Not Allowed: use POST, GET or DELETE");
  };
  http.Put(path, not_allowed);
  http.Patch(path, not_allowed);
  http.Options(path, not_allowed);

  http.set_error_handler([self](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) {
      send_error(res, 413, -32000,
                 "Payload Too Large: the body exceeds " +
                     std::to_string(self->opts.limits.max_message_bytes) +
                     " bytes (raise it with --max-message-bytes)");
    } else if (res.status == 404) {
      send_error(res, 404, -32000,
                 "Not Found: " + req.path + "; the MCP endpoint is " + self->opts.path);
    }
  });
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        spdlog::error("HTTP handler failed: {}", what);
        send_error(res, 500, error_code::internal_error, "Internal error: " + what);
      });
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
  impl_->http.stop();
  impl_->pool.drain(std::chrono::milliseconds(900));
}

size_t HttpTransport::session_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->sessions.size();
}

}  // namespace runagents::mcp
