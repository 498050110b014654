#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/http_transport_impl.hpp"

namespace runagents::mcp {

bool HttpTransport::Impl::header_lists(std::string_view header, const char* type) {
  return common::contains_ignoring_case(header, type);
}

void HttpTransport::Impl::send_error(httplib::Response& res, int status, int code,
                                     const std::string& message, const json& id) {
  res.status = status;
  res.set_content(serialize(make_error(id, code, message)), "application/json");
}

std::shared_ptr<HttpSession> HttpTransport::Impl::require_session(const httplib::Request& req,
                                                                  httplib::Response& res) {
  std::string sid(common::header_value(req.headers, "Mcp-Session-Id"));
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

bool HttpTransport::Impl::check_protocol_header(const httplib::Request& req,
                                                httplib::Response& res) {
  std::string v(common::header_value(req.headers, "MCP-Protocol-Version"));
  if (v.empty() || is_supported_version(v)) return true;
  std::string supported;
  for (auto s : kSupportedVersions) supported += (supported.empty() ? "" : ", ") + std::string(s);
  send_error(
      res, 400, -32000,
      "Bad Request: unsupported MCP-Protocol-Version '" + v + "' (supported: " + supported + ")");
  return false;
}

namespace {

// Counts a POST into the metrics, by method and HTTP status, when it is answered.
struct CountedPost {
  Metrics& metrics;
  const httplib::Response& res;
  std::string method;  // "" until the body parsed as a message
  ~CountedPost() { metrics.count_request(method, res.status < 0 ? 200 : res.status); }
};

}  // namespace

void HttpTransport::Impl::handle_post(const httplib::Request& req, httplib::Response& res) {
  std::optional<CountedPost> counted;
  if (opts.metrics) counted.emplace(CountedPost{*opts.metrics, res, ""});
  auto grant = authorize(req, res);
  if (!grant) return;
  if (!header_lists(common::header_value(req.headers, "Content-Type"), "application/json")) {
    send_error(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
    return;
  }
  const std::string_view accept = common::header_value(req.headers, "Accept");
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
  if (counted) counted->method = msg.kind == Message::Kind::response ? "response" : msg.method;
  if (!permit(*grant, msg, res)) return;
  std::shared_ptr<void> call_slot;
  if (!admit(req, res, *grant, msg, call_slot)) return;
  if (msg.kind != Message::Kind::response &&
      era_of(msg, common::has_header(req.headers, "Mcp-Session-Id"),
             common::header_value(req.headers, "MCP-Protocol-Version")) == Era::modern) {
    handle_modern_post(req, res, std::move(msg), std::move(call_slot));
    return;
  }
  const bool is_initialize = msg.kind == Message::Kind::request && msg.method == "initialize";

  std::shared_ptr<HttpSession> hs;
  bool fresh = false;
  if (is_initialize && !common::has_header(req.headers, "Mcp-Session-Id")) {
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
    auto reply = run_request(msg, *hs->core, *hs->standalone, Era::legacy, std::move(call_slot));
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
                    long_call ? std::optional(std::chrono::milliseconds(1000)) : std::nullopt,
                    nullptr, std::move(call_slot));
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

bool HttpTransport::Impl::refuse_modern(const httplib::Request& req, httplib::Response& res,
                                        const std::string& why) {
  if (common::has_header(req.headers, "Mcp-Session-Id") ||
      !is_modern_version(common::header_value(req.headers, "MCP-Protocol-Version"))) {
    return false;
  }
  res.set_header("Allow", "POST");
  send_error(res, 405, -32000, "Method Not Allowed: " + why);
  return true;
}

void HttpTransport::Impl::handle_get(const httplib::Request& req, httplib::Response& res) {
  if (!authorize(req, res)) return;
  const std::string_view accept = common::header_value(req.headers, "Accept");
  if (!header_lists(accept, "text/event-stream") && !header_lists(accept, "*/*")) {
    send_error(res, 406, -32000, "Not Acceptable: Accept must include text/event-stream");
    return;
  }
  if (refuse_modern(req, res, "2026-07-28 has no GET stream; use POST subscriptions/listen")) {
    return;
  }
  auto hs = require_session(req, res);
  if (!hs || !check_protocol_header(req, res)) return;

  std::string last_id(common::header_value(req.headers, "Last-Event-ID"));
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
    if (auto parsed = parse_event_id(last_id); parsed && parsed->first == 0) after = parsed->second;
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

void HttpTransport::Impl::handle_delete(const httplib::Request& req, httplib::Response& res) {
  if (!authorize(req, res)) return;
  if (refuse_modern(req, res, "2026-07-28 has no sessions to end")) return;
  auto hs = require_session(req, res);
  if (!hs) return;
  end_session(hs, "DELETE");
  res.status = 200;
}

}  // namespace runagents::mcp
