#include "platform/local/agents/egress.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>

#include "platform/http/http_client.hpp"
#include "platform/local/agents/model_gateway.hpp"
#include "platform/local/agents/policy.hpp"
#include "platform/local/services/tool_catalog.hpp"
#include "platform/local/store/agent_store.hpp"
#include "platform/local/store/identifiers.hpp"
#include "platform/local/store/run_store.hpp"

namespace runagents::platform::local {

namespace {

constexpr std::size_t kEventPreview = 2000;

// A result for the event timeline: the JSON itself when small, else a preview.
json preview(const json& value) {
  std::string text = value.dump();
  if (text.size() <= kEventPreview) return value;
  return text.substr(0, kEventPreview) + "... [" + std::to_string(text.size()) + " bytes]";
}

json parse_body(const std::string& body) {
  if (body.empty()) return nullptr;
  json j = json::parse(body, nullptr, false);
  return j.is_discarded() ? json(body) : j;
}

bool is_echo_tool(const Tool& tool) {
  return tool.base_url == kEchoToolBaseUrl;
}

// Sends the call to the tool's real endpoint (the sandbox has no network; the platform does).
// `stopped` ends the call at once (the egress is stopping: the run was cancelled or ended).
std::pair<int, json> forward(const Tool& tool, const std::string& method, const std::string& path,
                             const std::string& body, const std::string& content_type,
                             const std::function<bool()>& stopped) {
  const bool known = method == "GET" || method == "DELETE" || method == "PUT" ||
                     method == "PATCH" || method == "HEAD" || method == "OPTIONS";
  HttpRequest request = HttpRequest::make(known ? method : "POST", path);
  if (method != "GET" && method != "HEAD" && method != "OPTIONS") {
    request.body = body;
    request.content_type = content_type.empty() ? "application/json" : content_type;
  }
  request.with_cancel(stopped);
  const HttpAttempt res =
      attempt_plain(HttpClientOptions::plain(tool.base_url, "tool " + tool.name,
                                             std::chrono::seconds(10), std::chrono::seconds(60)),
                    request);
  if (!res.response)
    return {502,
            {{"error",
              "tool " + tool.name + " at " + tool.base_url + " is unreachable: " + res.failure}}};
  json answer = parse_body(res.response->body);
  if (!answer.is_object() && !answer.is_array()) answer = {{"raw", res.response->body}};
  return {res.response->status, answer};
}

}  // namespace

json echo_answer(const std::string& tool, const std::string& method, const std::string& path,
                 const json& payload) {
  return {
      {"echo", true}, {"tool", tool}, {"method", method}, {"path", path}, {"received", payload}};
}

Egress::Egress(std::shared_ptr<LocalState> state, EgressScope scope,
               std::filesystem::path socket_path)
    : state_(std::move(state)),
      scope_(std::move(scope)),
      socket_path_(std::move(socket_path)),
      server_(std::make_unique<httplib::Server>()) {
  auto& svr = *server_;
  svr.set_address_family(AF_UNIX);
  svr.set_payload_max_length(16 << 20);
  svr.set_read_timeout(300, 0);
  svr.set_write_timeout(300, 0);

  auto tool_handler = [this](const httplib::Request& req, httplib::Response& res) {
    std::string path =
        req.matches.size() > 2 && req.matches[2].matched ? req.matches[2].str() : "/";
    Answer answer;
    try {
      answer = call_tool(req.method, req.matches[1].str(), path, req.body,
                         req.get_header_value("Content-Type"));
    } catch (const std::exception& e) {
      answer = {500, {{"error", e.what()}}};
    }
    res.status = answer.status;
    res.set_content(answer.body.dump(), "application/json");
  };
  const char* tool_pattern = R"(/tools/([a-z0-9-]+)(/.*)?)";
  svr.Get(tool_pattern, tool_handler);
  svr.Post(tool_pattern, tool_handler);
  svr.Put(tool_pattern, tool_handler);
  svr.Patch(tool_pattern, tool_handler);
  svr.Delete(tool_pattern, tool_handler);
  svr.Options(tool_pattern, tool_handler);

  svr.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    json request = json::parse(req.body, nullptr, false);
    try {
      if (request.is_discarded())
        throw PlatformError(ErrorKind::invalid, "the chat request body is not JSON");
      res.set_content(
          chat_completion(request, {state_->options.llm_base_url, state_->options.llm_api_key},
                          [this] { return stopping_.load(); })
              .dump(),
          "application/json");
    } catch (const PlatformError& e) {
      res.status = e.kind() == ErrorKind::invalid ? 400 : 502;
      res.set_content(json{{"error", e.what()}}.dump(), "application/json");
    }
  });

  svr.Post("/runtime/result", [this](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      res.status = 400;
      res.set_content(R"({"error":"the result must be a JSON object"})", "application/json");
      return;
    }
    std::lock_guard lock(mu_);
    result_ = std::move(body);
    res.set_content(R"({"ok":true})", "application/json");
  });

  ::unlink(socket_path_.c_str());
  if (!svr.bind_to_port(socket_path_.string(), 80))
    throw PlatformError(ErrorKind::unavailable,
                        "cannot listen on the egress socket " + socket_path_.string());
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

Egress::~Egress() {
  stop();
}

void Egress::stop() {
  // Calls in flight (a tool forward of up to 60 s, a model call of up to 120 s) end first, so the
  // server's workers, which stop() waits for, are free within the client's cancel poll.
  stopping_ = true;
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  ::unlink(socket_path_.c_str());
}

std::optional<json> Egress::result() const {
  std::lock_guard lock(mu_);
  return result_;
}

Egress::Answer Egress::call_tool(const std::string& method, const std::string& tool_name,
                                 const std::string& path, const std::string& body,
                                 const std::string& content_type) {
  Database& db = *state_->db;
  const json payload = parse_body(body);
  auto tool = find_tool(db, tool_name);
  if (!tool) {
    std::string error = "tool '" + tool_name +
                        "' is not registered on the platform; register it with create_tool and "
                        "list it in the agent's required_tools";
    db.transaction([&] {
      append_event(db, scope_.run_id, "TOOL_REQUEST", scope_.agent,
                   {{"tool", tool_name}, {"tool_method", method}, {"path", path}});
      append_event(db, scope_.run_id, "TOOL_RESPONSE", "platform",
                   {{"tool", tool_name}, {"status_code", 404}, {"error", error}});
    });
    return {404, {{"error", error}, {"tool", tool_name}}};
  }

  const ToolCall call{tool->name, tool->base_url + path, method};
  HeldCall held{
      scope_.ns,
      scope_.agent,
      scope_.user,
      tool->name,
      scope_.run_id,
      method,
      path,
      sha256_hex(json{{"tool", tool->name}, {"method", method}, {"path", path}, {"body", payload}}
                     .dump())};
  Answer hold;
  bool proceed = false;
  db.transaction([&] {
    auto decision =
        evaluate_policy(bound_policies(db, scope_.ns, scope_.agent), scope_.required_tools, call);
    json request_data = {{"tool", tool->name},
                         {"tool_method", method},
                         {"tool_url", call.url},
                         {"path", path},
                         {"payload_hash", held.payload_hash},
                         {"policy", to_string(decision.permission)},
                         {"reason", decision.reason}};
    if (decision.permission == Permission::approval_required) {
      if (auto grant = use_grant(db, held)) {
        request_data["approved_by_request"] = *grant;
        decision.permission = Permission::allow;
      }
    }
    append_event(db, scope_.run_id, "TOOL_REQUEST", scope_.agent, request_data);
    if (decision.permission == Permission::deny) {
      append_event(db, scope_.run_id, "TOOL_RESPONSE", "platform",
                   {{"tool", tool->name}, {"status_code", 403}, {"error", decision.reason}});
      hold = {403, {{"code", "POLICY_DENIED"}, {"error", decision.reason}, {"tool", tool->name}}};
      return;
    }
    if (decision.permission == Permission::approval_required) {
      AccessRequest req = pending_request_for(db, held);
      set_run_status(db, scope_.run_id, "PAUSED_APPROVAL", req.action_id);
      append_event(db, scope_.run_id, "APPROVAL_REQUIRED", "platform",
                   {{"request_id", req.id},
                    {"action_id", req.action_id},
                    {"tool", tool->name},
                    {"tool_method", method},
                    {"tool_url", call.url},
                    {"payload_hash", held.payload_hash},
                    {"reason", decision.reason}});
      paused_ = true;
      hold = {403,
              {{"code", "APPROVAL_REQUIRED"},
               {"action_id", req.action_id},
               {"request_id", req.id},
               {"run_id", scope_.run_id},
               {"tool", tool->name},
               {"message", "Tool '" + tool->name + "' requires approval (" + decision.reason +
                               "); access request " + req.id + " awaits a decision"}}};
      return;
    }
    proceed = true;
  });
  if (!proceed) return hold;

  Answer answer;
  if (is_echo_tool(*tool)) {
    answer = {200, echo_answer(tool->name, method, path, payload)};
  } else {
    auto [status, result] =
        forward(*tool, method, path, body, content_type, [this] { return stopping_.load(); });
    answer = {status, result};
  }
  db.transaction([&] {
    json data = {{"tool", tool->name}, {"status_code", answer.status}};
    data[answer.status >= 400 ? "error" : "result"] = preview(answer.body);
    append_event(db, scope_.run_id, "TOOL_RESPONSE", tool->name, data);
  });
  return answer;
}

}  // namespace runagents::platform::local
