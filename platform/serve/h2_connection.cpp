#include "platform/serve/h2_connection.hpp"

#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>

#include "platform/serve/h2_exchange.hpp"

namespace runagents::platform::serve {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kMaxConcurrentStreams = 100;
constexpr size_t kMaxRunningExchanges = 2 * kMaxConcurrentStreams;  // reset ones included
constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr int32_t kStreamWindow = 1 << 20;       // per stream, for uploads
constexpr int32_t kConnectionWindow = 16 << 20;  // the whole connection
constexpr size_t kSendChunk = 64 * 1024;
// After the server stops, how long answers still being sent may take before the connection is
// dropped (a client that does not read would otherwise hold stop() for the write timeout).
constexpr auto kStopGrace = std::chrono::seconds(2);

std::string_view view(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// Request line parts go into HTTP/1.1 text: nghttp2 has checked their characters already, this
// makes sure no space or control character could split the line.
bool request_line_safe(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; });
}

class H2Connection {
 public:
  H2Connection(int sock, const H2ConnectionOptions& options) : sock_(sock), o_(options) {}
  ~H2Connection() {
    if (session_) nghttp2_session_del(session_);
  }
  H2Connection(const H2Connection&) = delete;
  H2Connection& operator=(const H2Connection&) = delete;

  void run(std::string received, std::optional<H2cUpgrade> upgrade);

 private:
  bool start(std::optional<H2cUpgrade>& upgrade);
  void loop();
  bool receive();        // socket -> session; false when the connection is over
  bool send();           // session -> socket; false on a write error
  void apply_updates();  // workers' news -> HEADERS, resumed DATA, resets
  void dispatch(const std::shared_ptr<H2Stream>& s);
  void begin_stop();
  // Resets a stream answered before its request body ended, once enough of it was dropped.
  void refuse_rest(H2Stream& s);
  void finish();  // ends every stream and waits for the workers
  std::shared_ptr<H2Stream> find(int32_t id) const;

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                       void* self);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_data_chunk_recv(nghttp2_session*, uint8_t flags, int32_t stream_id,
                                const uint8_t* data, size_t len, void* self);
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self);
  static ssize_t read_body(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source* source, void* self);

  const int sock_;
  const H2ConnectionOptions& o_;
  const std::shared_ptr<H2Link> link_ = std::make_shared<H2Link>();
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;
  std::string out_;  // frames nghttp2 produced that the socket has not taken yet
  size_t out_offset_ = 0;
  bool stopping_ = false;
  Clock::time_point last_activity_ = Clock::now();
  Clock::time_point last_write_ = Clock::now();
  Clock::time_point stop_deadline_ = Clock::time_point::max();
};

void H2Connection::run(std::string received, std::optional<H2cUpgrade> upgrade) {
  const int flags = ::fcntl(sock_, F_GETFL, 0);
  if (flags < 0 || ::fcntl(sock_, F_SETFL, flags | O_NONBLOCK) < 0 || link_->wake_fd < 0) return;
  if (!start(upgrade)) return;
  if (!received.empty() &&
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(received.data()),
                               received.size()) < 0) {
    send();
    finish();
    return;
  }
  loop();
  finish();
}

bool H2Connection::start(std::optional<H2cUpgrade>& upgrade) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  const int rv = nghttp2_session_server_new(&session_, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxHeaderBytes},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow) != 0)
    return false;

  if (upgrade) {
    const auto& payload = upgrade->settings;
    if (nghttp2_session_upgrade2(session_, reinterpret_cast<const uint8_t*>(payload.data()),
                                 payload.size(), upgrade->head.method == "HEAD", nullptr) != 0)
      return false;
    auto s = std::make_shared<H2Stream>(1);
    s->method = upgrade->head.method;
    s->path = upgrade->head.target;
    auto host = upgrade->head.headers.find("Host");
    if (host != upgrade->head.headers.end()) s->authority = host->second;
    s->headers = std::move(upgrade->head.headers);
    s->body = std::move(upgrade->body);
    s->body_bytes = s->body.size();
    s->request_ended = true;
    streams_[1] = s;
    dispatch(s);
  }
  return true;
}

void H2Connection::loop() {
  for (;;) {
    apply_updates();
    if (!send()) return;
    const bool unsent = out_offset_ < out_.size();
    if (!unsent && !nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))
      return;  // GOAWAY exchanged and every stream closed

    size_t running;
    bool blocked = false;  // a response has bytes that flow control holds back
    {
      std::lock_guard lock(link_->mu);
      running = link_->running;
      for (const auto& [id, s] : streams_)
        blocked = blocked || (s->submitted && !s->deferred && s->pending() > 0);
    }
    // A peer that stops reading is dropped after the write timeout, as over HTTP/1.1; one that
    // sends nothing while no answer is being worked on (also one that never finishes a request
    // body) gets GOAWAY after the idle timeout.
    const auto now = Clock::now();
    auto deadline = Clock::time_point::max();
    if (unsent || blocked)
      deadline = last_write_ + o_.write_timeout;
    else if (running == 0)
      deadline = last_activity_ + o_.idle_timeout;
    deadline = std::min(deadline, stop_deadline_);
    int timeout_ms = -1;
    if (deadline != Clock::time_point::max())
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));

    pollfd fds[3] = {{sock_, static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0},
                     {link_->wake_fd, POLLIN, 0},
                     {o_.stop_fd, POLLIN, 0}};
    const nfds_t nfds = stopping_ || o_.stop_fd < 0 ? 2 : 3;
    const int n = ::poll(fds, nfds, timeout_ms);
    if (n < 0 && errno != EINTR) return;
    if (n == 0 && Clock::now() >= deadline) {
      if (stopping_ || unsent || blocked) return;  // stop grace over, or the peer stopped reading
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);  // idle: GOAWAY, close
      send();
      return;
    }
    if (n <= 0) continue;
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] ssize_t r = ::read(link_->wake_fd, &count, sizeof(count));
    }
    if (nfds == 3 && (fds[2].revents & POLLIN)) begin_stop();
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !receive()) {
      send();  // a GOAWAY nghttp2 queued for a protocol error
      return;
    }
  }
}

bool H2Connection::receive() {
  char buf[16384];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(sock_, buf, sizeof(buf), 0);
    if (n > 0) {
      last_activity_ = Clock::now();
      const ssize_t used =
          nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n);
      if (used < 0) {
        spdlog::debug("platform serve: HTTP/2 connection ended: {}",
                      nghttp2_strerror(static_cast<int>(used)));
        return false;
      }
      continue;
    }
    if (n == 0) return false;  // the peer closed
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
  return true;
}

bool H2Connection::send() {
  for (;;) {
    if (out_offset_ == out_.size()) {
      out_.clear();
      out_offset_ = 0;
      while (out_.size() < kSendChunk) {
        const uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) return false;
        if (n == 0) break;
        out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (out_.empty()) return true;
    }
    const ssize_t n =
        ::send(sock_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    out_offset_ += static_cast<size_t>(n);
    last_write_ = Clock::now();
  }
}

void H2Connection::apply_updates() {
  std::vector<int32_t> ids;
  {
    std::lock_guard lock(link_->mu);
    ids.swap(link_->updated);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (int32_t id : ids) {
    auto s = find(id);
    if (!s) continue;  // closed meanwhile
    if (s->submitted) {
      if (s->deferred) {
        s->deferred = false;
        nghttp2_session_resume_data(session_, id);
      }
      continue;
    }
    std::optional<std::pair<int, HeaderFields>> head;
    bool finished, empty;
    {
      std::lock_guard lock(link_->mu);
      head = std::move(s->head);
      finished = s->finished;
      empty = s->pending() == 0 && !s->broken;
    }
    if (!head) {
      if (finished)
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
      continue;
    }
    const std::string status = std::to_string(head->first);
    std::vector<nghttp2_nv> nva;
    nva.reserve(head->second.size() + 1);
    auto nv = [](const std::string& name, const std::string& value) {
      return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                        reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                        value.size(), NGHTTP2_NV_FLAG_NONE};
    };
    static const std::string kStatus = ":status";
    nva.push_back(nv(kStatus, status));
    for (const auto& [name, value] : head->second) nva.push_back(nv(name, value));
    nghttp2_data_provider body{};
    body.source.ptr = s.get();
    body.read_callback = read_body;
    // nghttp2 copies the header fields.
    nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                            finished && empty ? nullptr : &body);
    s->submitted = true;
  }
}

void H2Connection::dispatch(const std::shared_ptr<H2Stream>& s) {
  s->dispatched = true;
  if (s->authority.empty()) {
    auto host = s->headers.find("Host");
    if (host != s->headers.end()) s->authority = host->second;
  }
  if (!request_line_safe(s->method) || !request_line_safe(s->path) ||
      !request_line_safe(s->authority)) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_PROTOCOL_ERROR);
    return;
  }
  {
    std::lock_guard lock(link_->mu);
    // Streams the peer reset still hold their workers until the handler returns; a peer that
    // keeps opening and resetting streams is refused rather than queued without end.
    if (link_->running >= kMaxRunningExchanges) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_REFUSED_STREAM);
      return;
    }
    link_->running++;
  }
  auto task = [link = link_, s, sock = sock_, serve = o_.serve_exchange] {
    H2Exchange exchange(link, s, sock);
    bool closed;
    {
      std::lock_guard lock(link->mu);
      closed = s->closed;
    }
    if (!closed) {
      try {
        serve(exchange);
      } catch (const std::exception& e) {
        spdlog::error("platform serve: HTTP/2 stream {} failed: {}", s->id, e.what());
      }
    }
    exchange.finish();
  };
  try {
    o_.run_on_worker(std::move(task));
  } catch (const std::exception& e) {
    spdlog::error("platform serve: cannot start HTTP/2 stream {}: {}", s->id, e.what());
    {
      std::lock_guard lock(link_->mu);
      link_->running--;
    }
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_REFUSED_STREAM);
  }
}

void H2Connection::begin_stop() {
  stopping_ = true;
  stop_deadline_ = Clock::now() + kStopGrace;
  {
    std::lock_guard lock(link_->mu);
    link_->stopping = true;
  }
  link_->cv.notify_all();
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

void H2Connection::finish() {
  std::unique_lock lock(link_->mu);
  link_->stopping = true;
  for (auto& [id, s] : streams_) s->closed = true;
  link_->cv.notify_all();
  link_->cv.wait(lock, [this] { return link_->running == 0; });
}

std::shared_ptr<H2Stream> H2Connection::find(int32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second;
}

int H2Connection::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
    c->streams_[frame->hd.stream_id] = std::make_shared<H2Stream>(frame->hd.stream_id);
  return 0;
}

int H2Connection::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                            size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                            void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;  // trailers are dropped
  auto s = c->find(frame->hd.stream_id);
  if (!s) return 0;
  s->header_bytes += namelen + valuelen + 32;  // as SETTINGS_MAX_HEADER_LIST_SIZE counts
  if (s->header_bytes > kMaxHeaderBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const std::string_view n = view(name, namelen), v = view(value, valuelen);
  if (n == ":method")
    s->method = v;
  else if (n == ":path")
    s->path = v;
  else if (n == ":authority")
    s->authority = v;
  else if (!n.empty() && n[0] != ':')
    s->headers.emplace(std::string(n), std::string(v));
  return 0;
}

int H2Connection::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto s = c->find(frame->hd.stream_id);
  if (!s || s->dispatched) {
    if (s && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) s->request_ended = true;
    return 0;
  }
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    // A declared length past the limit is answered (413) before the body comes.
    auto length = s->headers.find("Content-Length");
    size_t declared = 0;
    if (length != s->headers.end()) {
      const std::string& v = length->second;
      std::from_chars(v.data(), v.data() + v.size(), declared);
    }
    if (declared > c->o_.max_body_bytes) {
      s->body_too_large = true;
      s->body_bytes = declared;
    }
  }
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) s->request_ended = true;
  if (s->request_ended || s->body_too_large) c->dispatch(s);
  return 0;
}

int H2Connection::on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t stream_id,
                                     const uint8_t* data, size_t len, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  auto s = c->find(stream_id);
  if (!s) return 0;
  if (s->dispatched) {  // the rest of a body past the limit: dropped (nghttp2 credits the window)
    s->discarded += len;
    if (s->answered && s->discarded > c->o_.max_body_bytes) c->refuse_rest(*s);
    return 0;
  }
  s->body_bytes += len;
  if (s->body_bytes > c->o_.max_body_bytes) {
    s->body_too_large = true;
    std::string().swap(s->body);
    c->dispatch(s);
    return 0;
  }
  s->body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int H2Connection::on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
      !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return 0;
  // The whole answer went out before the request ended (413). As cpp-httplib does over
  // HTTP/1.1, the rest of the body is read and dropped, so clients that finish sending before
  // they read (curl) see the answer; past another payload limit of it, the stream is reset
  // (RST_STREAM NO_ERROR, RFC 9113 8.1).
  auto s = c->find(frame->hd.stream_id);
  if (s && !s->request_ended) {
    s->answered = true;
    if (s->discarded > c->o_.max_body_bytes) c->refuse_rest(*s);
  }
  return 0;
}

void H2Connection::refuse_rest(H2Stream& s) {
  if (!s.reset_sent) nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_NO_ERROR);
  s.reset_sent = true;
}

int H2Connection::on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  auto it = c->streams_.find(stream_id);
  if (it == c->streams_.end()) return 0;
  {
    std::lock_guard lock(c->link_->mu);
    it->second->closed = true;
  }
  c->link_->cv.notify_all();
  c->streams_.erase(it);
  c->last_activity_ = Clock::now();
  return 0;
}

ssize_t H2Connection::read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* flags, nghttp2_data_source* source, void* self) {
  auto* c = static_cast<H2Connection*>(self);
  auto* s = static_cast<H2Stream*>(source->ptr);
  std::lock_guard lock(c->link_->mu);
  const size_t n = std::min(length, s->pending());
  if (n > 0) {
    std::memcpy(buf, s->out.data() + s->out_offset, n);
    s->out_offset += n;
    if (s->pending() == 0) {
      s->out.clear();
      s->out_offset = 0;
    }
    c->link_->cv.notify_all();  // room for the worker
  }
  if (s->pending() == 0 && s->finished) {
    if (!s->broken)
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    else if (n == 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // RST_STREAM: cut short
  } else if (n == 0) {
    s->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

}  // namespace

void serve_h2_connection(int sock, std::string received, std::optional<H2cUpgrade> upgrade,
                         const H2ConnectionOptions& options) {
  H2Connection connection(sock, options);
  connection.run(std::move(received), std::move(upgrade));
}

}  // namespace runagents::platform::serve
