// Limits and metrics of the MCP HTTP endpoint (server/request_limits.hpp, server/metrics.hpp).
#include <algorithm>
#include <cmath>
#include <string>

#include "server/http_transport_impl.hpp"

namespace runagents::mcp {

bool HttpTransport::Impl::admit(const httplib::Request& req, httplib::Response& res,
                                const AuthGrant& grant, const Message& msg,
                                std::shared_ptr<void>& call_slot) {
  const RequestLimits& limits = opts.request_limits;
  const auto too_many = [&res](std::chrono::milliseconds retry_after, const std::string& message,
                               const json& id) {
    const long long seconds = std::max<long long>(1, (retry_after.count() + 999) / 1000);
    res.set_header("Retry-After", std::to_string(seconds));
    send_error(res, 429, -32000, "Too Many Requests: " + message, id);
  };
  const json id = msg.kind == Message::Kind::request ? msg.id : json(nullptr);
  if (limits.requests_per_second > 0) {
    // Per client: the token's subject in OAuth mode, else the peer's address.
    const std::string client =
        grant.subject.empty() ? "addr:" + req.remote_addr : "sub:" + grant.subject;
    if (auto wait = rate.take(client)) {
      too_many(*wait,
               "this client sent more than " +
                   std::to_string(std::lround(limits.requests_per_second)) +
                   " requests a second (the server's --rate-limit); retry after the time in "
                   "Retry-After",
               id);
      return false;
    }
  }
  if (msg.kind != Message::Kind::request) return true;
  if (limits.max_sessions > 0 && msg.method == "initialize" &&
      !common::has_header(req.headers, "Mcp-Session-Id")) {
    size_t open = 0;
    {
      std::lock_guard lock(mu);
      open = sessions.size();
    }
    if (open >= limits.max_sessions) {
      too_many(std::chrono::seconds(10),
               "the server has its maximum of " + std::to_string(limits.max_sessions) +
                   " sessions open (--max-sessions); end an unused one with DELETE, or retry "
                   "later",
               id);
      return false;
    }
  }
  if (msg.method == "tools/call") {
    call_slot = calls.try_acquire();
    if (!call_slot) {
      too_many(std::chrono::seconds(1),
               std::to_string(calls.max()) +
                   " tool calls are running, the server's maximum (--max-concurrent-calls); "
                   "retry when one finishes",
               id);
      return false;
    }
  }
  return true;
}

std::optional<json> HttpTransport::Impl::run_request(const Message& msg, Session& session,
                                                     Outbound& out, Era era,
                                                     std::shared_ptr<void> call_slot) {
  if (!opts.metrics || msg.method != "tools/call") {
    return server.handle_request(msg, session, out, era, std::move(call_slot));
  }
  // Only registered tools get a label: a client cannot grow the label set.
  const ToolDefinition* tool = server.called_tool(msg);
  const auto started = std::chrono::steady_clock::now();
  auto reply = server.handle_request(msg, session, out, era, std::move(call_slot));
  if (tool) opts.metrics->observe_tool_call(tool->name, std::chrono::steady_clock::now() - started);
  return reply;
}

void HttpTransport::Impl::install_metrics() {
  if (!opts.metrics) return;
  opts.metrics->add_family(
      {"runagents_mcp_sessions_open", "Legacy HTTP sessions open.", "gauge", [this] {
         std::lock_guard lock(mu);
         return std::vector<std::pair<std::string, double>>{
             {"", static_cast<double>(sessions.size())}};
       }});
  opts.metrics->add_family(
      {"runagents_mcp_tool_calls_running",
       "tools/call requests running (a call that became a task: until its work ends).", "gauge",
       [this] {
         return std::vector<std::pair<std::string, double>>{
             {"", static_cast<double>(calls.in_use())}};
       }});
  http.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    if (!authorize(req, res)) return;
    res.set_content(opts.metrics->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace runagents::mcp
