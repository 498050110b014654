#include "server/stdio_transport.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "platform/common/shutdown_signal.hpp"
#include "server/line_writer.hpp"
#include "server/request_limits.hpp"
#include "server/worker_pool.hpp"

namespace runagents::mcp {

namespace {

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

int run_stdio(McpServer& server, const StdioOptions& options) {
  common::shutdown_signal::install();
  auto writer = std::make_shared<LineWriter>(options.out_fd, options.writer);
  auto session = std::make_shared<Session>("stdio");
  session->set_unsolicited_channel(writer);
  server.add_session(session);
  WorkerPool pool;
  ConcurrencyLimit calls(options.max_concurrent_calls);

  auto on_line = [&](const std::string& line) {
    if (blank(line)) return;
    ParseOutcome parsed = parse_message(line, options.limits);
    if (parsed.error_reply) {
      spdlog::warn("rejected input: {}",
                   (*parsed.error_reply)["error"]["message"].get<std::string>());
      writer->send(*parsed.error_reply);
      return;
    }
    if (!parsed.message) return;
    if (parsed.message->kind != Message::Kind::request) {
      server.handle_notification(*parsed.message, *session);
      return;
    }
    // Per request: a client that initialized speaks the legacy era; a request with _meta and no
    // initialize before it is a 2026-07-28 one.
    Era era = era_of(*parsed.message, session->initialized(), "");
    if (parsed.message->method == "initialize" && era == Era::legacy) {
      // Inline, so that requests piped right behind it (scripts do) see an initialized session.
      if (auto reply = server.handle_request(*parsed.message, *session, *writer)) {
        writer->send(*reply);
      }
      return;
    }
    std::shared_ptr<void> call_slot;
    if (parsed.message->method == "tools/call" && !(call_slot = calls.try_acquire())) {
      // The model reads this and can wait for a call to finish.
      json busy = {{"content", json::array({{{"type", "text"},
                                             {"text", std::to_string(calls.max()) +
                                                          " tool calls are running, the server's "
                                                          "maximum (--max-concurrent-calls); call "
                                                          "again when one finishes"}}})},
                   {"isError", true}};
      if (era == Era::modern) busy = server.finish_modern(std::move(busy));
      writer->send(make_result(parsed.message->id, std::move(busy)));
      return;
    }
    if (server.answers_at_once(*parsed.message, era)) {
      // A quick local read: answered here, without waking a worker (issue 15's stdio hand-off).
      if (auto reply =
              server.handle_request(*parsed.message, *session, *writer, era, std::move(call_slot)))
        writer->send(*reply);
      return;
    }
    pool.submit(
        [&server, session, writer, era, call_slot, msg = std::move(*parsed.message)]() mutable {
          // The slot goes with the call, and with the task it may start.
          if (auto reply = server.handle_request(msg, *session, *writer, era, std::move(call_slot)))
            writer->send(*reply);
        });
  };
  auto on_oversized = [&](size_t size) {
    writer->send(make_error(nullptr, error_code::invalid_request,
                            "Message of " + std::to_string(size) + " bytes exceeds the limit of " +
                                std::to_string(options.limits.max_message_bytes) +
                                " bytes (raise it with --max-message-bytes)",
                            {{"limit", options.limits.max_message_bytes}, {"size", size}}));
  };

  bool eof = false;
  LineSplitter splitter(options.limits.max_message_bytes);
  std::vector<char> buf(64 * 1024);
  pollfd fds[2] = {{options.in_fd, POLLIN, 0}, {common::shutdown_signal::fd(), POLLIN, 0}};
  for (;;) {
    // Wakes every 250 ms to notice a writer that gave up on a client that stopped reading.
    int ready = ::poll(fds, 2, 250);
    if (writer->stalled()) break;  // the writer logged why
    if (ready < 0) {
      if (errno == EINTR) continue;
      spdlog::error("poll failed: {}", std::strerror(errno));
      break;
    }
    if (fds[1].revents) {
      spdlog::info("termination signal received; shutting down");
      break;
    }
    if (!fds[0].revents) continue;
    ssize_t n = ::read(options.in_fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      splitter.finish(on_line, on_oversized);
      spdlog::debug("stdin closed; shutting down");
      eof = true;
      break;
    }
    splitter.feed(buf.data(), static_cast<size_t>(n), on_line, on_oversized);
  }

  // On EOF, requests that finish quickly still get their answers (a script piping a session
  // reads them after closing its end); whatever runs longer is cancelled. A signal cancels at once.
  bool idle = eof && pool.drain(std::chrono::milliseconds(400));
  if (!idle) {
    session->cancel_all("the server is shutting down");
    idle = pool.drain(std::chrono::milliseconds(500));
  }
  server.remove_session(*session);
  if (!idle) {
    // A handler ignored cancellation; do not wait for it (the client expects a prompt exit).
    spdlog::warn("in-flight work did not stop within 0.5 s of cancellation; exiting anyway");
    std::fflush(stderr);
    std::_Exit(0);
  }
  return writer->stalled() ? 1 : 0;
}

}  // namespace runagents::mcp
