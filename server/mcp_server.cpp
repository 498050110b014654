#include "server/mcp_server.hpp"

#include <spdlog/spdlog.h>

#include "server/heartbeats.hpp"
#include "server/method_names.hpp"
#include "server/pagination.hpp"
#include "server/tasks/remote_tasks.hpp"

namespace runagents::mcp {

McpServer::McpServer(ServerInfo info)
    : info_(std::move(info)),
      server_info_meta_({{"name", info_.name}, {"version", info_.version}}),
      page_size_(kDefaultPageSize),
      heartbeats_(std::make_unique<Heartbeats>()) {}

McpServer::~McpServer() = default;

void McpServer::set_state_key(std::string key) {
  state_codec_ = RequestStateCodec(std::move(key));
}

json McpServer::server_info() const {
  json info = server_info_meta_;
  if (!info_.title.empty()) info["title"] = info_.title;
  return info;
}

json McpServer::capabilities(Era era) const {
  json caps = {{"tools", {{"listChanged", false}}}, {"logging", json::object()}};
  if (!resources_.empty()) caps["resources"] = {{"subscribe", true}, {"listChanged", false}};
  if (!prompts_.empty()) caps["prompts"] = {{"listChanged", false}};
  if (completion_) caps["completions"] = json::object();
  if (tasks_) {
    // The two eras announce tasks differently and must not mix (ext-tasks SEP-2663).
    if (era == Era::modern) {
      caps["extensions"] = {{kTasksExtension, json::object()}};
    } else {
      // No tasks.list: tasks are not bound to a requester yet, and the spec says a server that
      // cannot tell requesters apart should not offer the list (tasks/list still answers).
      caps["tasks"] = {{"cancel", json::object()},
                       {"requests", {{"tools", {{"call", json::object()}}}}}};
    }
  }
  return caps;
}

json McpServer::initialize(const json& params, Session& session) {
  if (session.initialized()) {
    throw RpcError(error_code::invalid_request,
                   "Invalid Request: the session is already initialized; start a new session to "
                   "initialize again");
  }
  auto version = params.find("protocolVersion");
  if (version == params.end() || !version->is_string()) {
    throw RpcError(error_code::invalid_params,
                   "initialize needs params.protocolVersion (a string such as \"2025-11-25\")");
  }
  std::string negotiated = negotiate_version(version->get<std::string>());
  session.set_initialized(negotiated, params.value("capabilities", json::object()),
                          params.value("clientInfo", json::object()));
  json result = {{"protocolVersion", negotiated},
                 {"capabilities", capabilities(Era::legacy)},
                 {"serverInfo", server_info()}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;
  return result;
}

namespace {

bool known_method(const std::string& method, bool tasks) {
  for (std::string_view m : kDispatchedMethods) {
    if (method == m) return true;
  }
  if (!tasks) return false;
  for (std::string_view m : kTaskMethods) {
    if (method == m) return true;
  }
  return false;
}

json progress_token_of(const json* meta) {
  if (!meta) return nullptr;
  auto token = meta->find("progressToken");
  if (token != meta->end() && (token->is_string() || token->is_number_integer())) return *token;
  return nullptr;
}

}  // namespace

json McpServer::completion(const json& params) const {
  if (!completion_) {
    throw RpcError(error_code::method_not_found,
                   "Method not found: completion/complete (this server offers no completions)");
  }
  if (!params.contains("ref") || !params["ref"].is_object() || !params.contains("argument") ||
      !params["argument"].is_object()) {
    throw RpcError(error_code::invalid_params,
                   "completion/complete needs params.ref and params.argument (objects)");
  }
  return {{"completion", completion_(params["ref"], params["argument"],
                                     params.value("context", json::object()))}};
}

json McpServer::dispatch(const Message& request, Session& session, RequestContext& ctx) {
  const std::string& method = request.method;
  static const json kNoParams = json::object();
  const json& params = request.params.is_object() ? request.params : kNoParams;

  if (method == "initialize") return initialize(params, session);
  if (method == "ping") return json::object();
  if (!known_method(method, tasks_ != nullptr)) {
    throw RpcError(error_code::method_not_found, "Method not found: " + method,
                   {{"method", method}});
  }
  if (!session.initialized()) {
    throw RpcError(error_code::invalid_request,
                   "Server not initialized: send initialize (then notifications/initialized) "
                   "before " +
                       method);
  }

  if (method == "tools/list") return tools_.list_page(params, page_size_, tasks_ != nullptr);
  if (method == "tools/call") return call_tool_request(params, ctx);
  if (method.rfind("tasks/", 0) == 0) return task_method(method, params, ctx);
  if (method == "logging/setLevel") {
    const std::string& name = required_string(params, "level", "logging/setLevel");
    auto level = parse_log_level(name);
    if (!level) {
      throw RpcError(
          error_code::invalid_params,
          "Unknown log level '" + name +
              "'; use debug, info, notice, warning, error, critical, alert or emergency");
    }
    session.set_log_level(*level);
    return json::object();
  }
  if (method.rfind("resources/", 0) == 0) {
    if (resources_.empty()) {
      throw RpcError(error_code::method_not_found,
                     "Method not found: " + method + " (this server has no resources)");
    }
    if (method == "resources/list") return resources_.list_page(params, page_size_);
    if (method == "resources/templates/list") return resources_.templates_page(params, page_size_);
    const std::string& uri = required_string(params, "uri", method);
    if (method == "resources/read") return resources_.read(uri);
    if (method == "resources/subscribe") {
      session.subscribe(uri);
    } else {
      session.unsubscribe(uri);
    }
    return json::object();
  }
  if (method.rfind("prompts/", 0) == 0) {
    if (prompts_.empty()) {
      throw RpcError(error_code::method_not_found,
                     "Method not found: " + method + " (this server has no prompts)");
    }
    if (method == "prompts/list") return prompts_.list_page(params, page_size_);
    return prompts_.get(params, &ctx);
  }
  return completion(params);
}

std::optional<json> McpServer::handle_request(const Message& request, Session& session,
                                              Outbound& out, Era era, std::shared_ptr<void> hold) {
  session.touch();
  auto cancellation = session.begin_request(request.id);
  if (!cancellation) {
    return make_error(request.id, error_code::invalid_request,
                      "Invalid Request: a request with this id is already in progress");
  }
  json reply;
  try {
    if (era == Era::modern) {
      if (auto error = envelope_error(request)) throw *error;
    }
    RequestContext ctx(session, out, request.id, envelope_for(request, session, era), cancellation);
    ctx.set_hold(std::move(hold));
    auto beat = heartbeats_->watch(ctx);
    try {
      if (era == Era::modern) {
        reply = make_result(request.id, finish_modern(dispatch_modern(request, ctx)));
      } else {
        reply = make_result(request.id, dispatch(request, session, ctx));
      }
    } catch (const InputRequired& needed) {
      if (era != Era::modern)
        throw std::runtime_error("a legacy request cannot end input_required");
      reply = make_result(request.id, finish_modern(input_required(request, needed)));
    }
  } catch (const RpcError& e) {
    reply = make_error(request.id, e.code(), e.what(), e.data());
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", request.method, e.what());
    reply = make_error(request.id, error_code::internal_error,
                       std::string("Internal error: ") + e.what());
  }
  session.end_request(request.id);
  if (cancellation->cancelled() && request.method != "initialize") {
    spdlog::debug("{} {} cancelled; no response sent", request.method, request.id.dump());
    return std::nullopt;
  }
  return reply;
}

RequestEnvelope McpServer::envelope_for(const Message& request, Session& session, Era era) const {
  RequestEnvelope e;
  e.era = era;
  e.progress_token = progress_token_of(request.meta());
  if (era == Era::legacy) {
    e.protocol_version = session.protocol_version();
    return e;
  }
  const json& params = request.params;
  const json& meta = *request.meta();  // envelope_error() has checked it
  e.protocol_version = meta[meta_key::protocol_version].get<std::string>();
  const json& caps = meta[meta_key::client_capabilities];
  e.client_capabilities = request.shared_meta
                              ? std::shared_ptr<const json>(request.shared_meta, &caps)  // no copy
                              : std::make_shared<const json>(caps);
  if (auto level = meta.find(meta_key::log_level); level != meta.end()) {
    auto parsed = level->is_string() ? parse_log_level(level->get<std::string>()) : std::nullopt;
    if (!parsed) {
      throw RpcError(error_code::invalid_params,
                     std::string("_meta ") + meta_key::log_level +
                         " must be one of debug, info, notice, warning, error, critical, alert, "
                         "emergency");
    }
    e.log_level = parsed;
  }
  if (auto answers = params.find("inputResponses");
      answers != params.end() && !answers->is_null()) {
    if (!answers->is_object()) {
      throw RpcError(error_code::invalid_params,
                     "inputResponses must be an object mapping each inputRequests key to the "
                     "client's answer");
    }
    e.input_responses = *answers;
  }
  if (auto state = params.find("requestState"); state != params.end() && !state->is_null()) {
    if (!state->is_string()) {
      throw RpcError(error_code::invalid_params, "requestState must be the string the server sent");
    }
    e.request_state = state_codec_.open(state->get<std::string>(), state_binding(request));
  }
  return e;
}

bool McpServer::answers_without_messages(const Message& request, Era era) const {
  // Only tool and prompt handlers send anything early, and modern listen streams.
  if (request.method == "subscriptions/listen") return false;
  if (request.method != "tools/call" && request.method != "prompts/get") return true;
  if (!request.params.is_object()) return true;  // rejected before any handler runs
  const json* meta = request.meta();
  if (meta && (meta->contains("progressToken") ||
               (era == Era::modern && meta->contains(meta_key::log_level)))) {
    return false;
  }
  if (request.method == "prompts/get") return era == Era::modern;  // modern prompts cannot ask
  const ToolDefinition* tool = called_tool(request);
  return !tool || tool->quiet;
}

bool McpServer::answers_at_once(const Message& request, Era era) const {
  if (request.method == "ping" || request.method == "tools/list" ||
      request.method == "prompts/list")
    return true;
  if (request.method != "tools/call" || !answers_without_messages(request, era)) return false;
  if (request.params.contains("task")) return false;  // a task request may wait on its store
  const ToolDefinition* tool = called_tool(request);
  return tool && tool->quiet && tool->annotations.read_only && !tool->annotations.open_world &&
         !tool->long_running && !tool->prepare;
}

const ToolDefinition* McpServer::called_tool(const Message& request) const {
  if (request.method != "tools/call" || !request.params.is_object()) return nullptr;
  auto name = request.params.find("name");
  if (name == request.params.end() || !name->is_string()) return nullptr;
  return tools_.find(name->get<std::string>());
}

bool McpServer::may_run_long(const Message& request) const {
  if (request.method == "subscriptions/listen") return true;
  const ToolDefinition* tool = called_tool(request);
  return tool && tool->long_running;
}

void McpServer::handle_notification(const Message& message, Session& session) {
  session.touch();
  if (message.kind == Message::Kind::response) {
    if (!session.resolve(message)) {
      spdlog::debug("response for unknown request id {} ignored", message.id.dump());
    }
    return;
  }
  if (message.method == "notifications/cancelled") {
    if (!message.params.is_object() || !message.params.contains("requestId")) return;
    const json& id = message.params["requestId"];
    const json& why = message.params.contains("reason") ? message.params["reason"] : json();
    std::string reason = why.is_string() ? why.get<std::string>() : "cancelled by the client";
    if (session.cancel_request(id, reason)) {
      spdlog::info("request {} cancelled: {}", id.dump(), reason);
    }
    return;
  }
  // notifications/initialized, notifications/roots/list_changed and unknown notifications need
  // no action; the spec says unknown notifications are ignored.
}

void McpServer::add_session(const std::shared_ptr<Session>& session) {
  std::lock_guard lock(sessions_mu_);
  sessions_.push_back(session);
}

void McpServer::remove_session(const Session& session) {
  std::lock_guard lock(sessions_mu_);
  std::erase_if(sessions_, [&](const std::weak_ptr<Session>& w) {
    auto s = w.lock();
    return !s || s.get() == &session;
  });
}

void McpServer::notify_list_changed(const std::string& kind) {
  subscriptions_.list_changed(kind);
}

void McpServer::notify_resource_updated(const std::string& uri) {
  subscriptions_.resource_updated(uri);
  std::vector<std::shared_ptr<Session>> targets;
  {
    std::lock_guard lock(sessions_mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock(); s && s->subscribed(uri)) targets.push_back(std::move(s));
    }
  }
  for (auto& s : targets) {
    s->send_unsolicited(make_notification("notifications/resources/updated", {{"uri", uri}}));
  }
}

}  // namespace runagents::mcp
