#include "server/http_transport_impl.hpp"

namespace runagents::mcp {

std::optional<EventStream::Event> HttpTransport::Impl::start_on_pool(
    Message msg, std::shared_ptr<Session> session, std::shared_ptr<EventStream> stream, Era era,
    std::optional<std::chrono::milliseconds> patience, std::shared_ptr<std::atomic<int>> status,
    std::shared_ptr<void> hold) {
  pool.submit([this, session, stream, era, status, hold, msg = std::move(msg)]() mutable {
    auto reply = run_request(msg, *session, *stream, era, std::move(hold));
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

void HttpTransport::Impl::stream_sse(httplib::Response& res, const std::shared_ptr<HttpSession>& hs,
                                     std::shared_ptr<EventStream> stream, long long after_seq,
                                     bool prime, std::function<void(long long last_seq)> on_release,
                                     std::shared_ptr<Session> request_session) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  struct State {
    long long last;
    bool primed;
    std::chrono::steady_clock::time_point last_write;
  };
  auto state = std::make_shared<State>(State{after_seq, !prime, std::chrono::steady_clock::now()});
  auto keep_alive = opts.keep_alive_interval;
  // Counted as open (metrics) until cpp-httplib lets go of the provider.
  auto open = opts.metrics ? std::make_shared<Metrics::StreamHold>(*opts.metrics) : nullptr;
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, hs, stream, state, keep_alive, request_session, open](size_t,
                                                                   httplib::DataSink& sink) {
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
        auto ev = stream->next(state->last, std::min(keep_alive, std::chrono::milliseconds(1000)));
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

bool HttpTransport::Impl::priming_enabled(const Session& s) const {
  // Priming events (an id with empty data) arrived in 2025-11-25; older clients may try to
  // parse the empty data as JSON.
  return s.protocol_version() >= "2025-11-25";
}

}  // namespace runagents::mcp
