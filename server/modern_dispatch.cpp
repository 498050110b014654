// The 2026-07-28 ("modern") side of McpServer: era detection, the request envelope, discovery,
// the method table, result decoration (resultType, serverInfo, cache hints), multi round-trip
// results and subscriptions/listen.
#include <spdlog/spdlog.h>

#include "server/mcp_server.hpp"

namespace runagents::mcp {

namespace {

// Cache hints (SEP-2549). Lists of tools, prompts and templates are fixed for the life of the
// process; resources change (query artifacts come and go), so they are not cached. "private":
// they may differ by authorization.
constexpr int kStaticListTtlMs = 60000;

json with_cache(json result, int ttl_ms) {
  result["ttlMs"] = ttl_ms;
  result["cacheScope"] = "private";
  return result;
}

json versions_json() {
  json v = json::array();
  for (auto s : kAllVersions) v.push_back(std::string(s));
  return v;
}

}  // namespace

Era era_of(const Message& request, bool has_session, std::string_view version_header) {
  if (has_session) return Era::legacy;
  const bool has_meta = request.meta() != nullptr;
  if (!has_meta && (version_header.empty() || is_supported_version(version_header))) {
    return Era::legacy;
  }
  return Era::modern;
}

int http_status_for(const json& reply) {
  auto error = reply.find("error");
  if (error == reply.end() || !error->is_object()) return 200;
  int code = error->value("code", 0);
  switch (code) {
    case error_code::method_not_found:
      return 404;
    case error_code::header_mismatch:
    case error_code::missing_client_capability:
    case error_code::unsupported_protocol_version:
    case error_code::parse_error:
    case error_code::invalid_request:
      return 400;
    default:
      return 200;
  }
}

std::optional<RpcError> McpServer::envelope_error(const Message& request) const {
  const char* example =
      " (a 2026-07-28 request carries params._meta with io.modelcontextprotocol/protocolVersion "
      "and io.modelcontextprotocol/clientCapabilities; older clients send initialize first)";
  const json* meta_object = request.meta();
  if (!meta_object) {
    return RpcError(error_code::invalid_params, std::string("Missing params._meta") + example);
  }
  const json& meta = *meta_object;
  auto version = meta.find(meta_key::protocol_version);
  if (version == meta.end() || !version->is_string()) {
    return RpcError(error_code::invalid_params,
                    std::string("Missing _meta ") + meta_key::protocol_version + example);
  }
  auto caps = meta.find(meta_key::client_capabilities);
  if (caps == meta.end() || !caps->is_object()) {
    return RpcError(error_code::invalid_params,
                    std::string("Missing _meta ") + meta_key::client_capabilities +
                        " (an object; {} when the client declares nothing)");
  }
  if (auto info = meta.find(meta_key::client_info); info != meta.end() && !info->is_object()) {
    return RpcError(error_code::invalid_params,
                    std::string("_meta ") + meta_key::client_info + " must be an object");
  }
  const std::string v = version->get<std::string>();
  if (!is_modern_version(v)) {
    return RpcError(
        error_code::unsupported_protocol_version,
        "Unsupported protocol version '" + v + "'" +
            (is_supported_version(v) ? " for a request without a session: versions up to "
                                       "2025-11-25 start with initialize"
                                     : "") +
            "; supported: 2026-07-28 (stateless) and 2025-11-25, 2025-06-18, "
            "2025-03-26, 2024-11-05 (with initialize)",
        {{"supported", versions_json()}, {"requested", v}});
  }
  return std::nullopt;
}

std::string McpServer::state_binding(const Message& request) {
  const json& p = request.params;
  std::string name;
  if (p.is_object()) {
    if (p.contains("name") && p["name"].is_string()) name = p["name"];
    if (p.contains("uri") && p["uri"].is_string()) name = p["uri"];
  }
  return request.method + "\n" + name;
}

json McpServer::input_required(const Message& request, const InputRequired& needed) const {
  json result = {{"resultType", "input_required"}, {"inputRequests", needed.input_requests()}};
  if (!needed.state().is_null()) {
    result["requestState"] = state_codec_.seal(needed.state(), state_binding(request));
  }
  return result;
}

json McpServer::finish_modern(json result) const {
  if (!result.is_object()) result = json::object();
  if (!result.contains("resultType")) result["resultType"] = "complete";
  result["_meta"][meta_key::server_info] = server_info_meta_;
  return result;
}

json McpServer::discover() const {
  json result = {{"supportedVersions", versions_json()},
                 {"capabilities", capabilities(Era::modern)},
                 {"serverInfo", server_info()}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;
  return with_cache(std::move(result), kStaticListTtlMs);
}

json McpServer::dispatch_modern(const Message& request, RequestContext& ctx) {
  const std::string& method = request.method;
  static const json kNoParams = json::object();
  const json& params = request.params.is_object() ? request.params : kNoParams;
  auto not_found = [&](const std::string& why = {}) {
    return RpcError(error_code::method_not_found, "Method not found: " + method + why,
                    {{"method", method}});
  };

  if (method == "server/discover") return discover();
  if (method == "tools/list")
    return with_cache(tools_.list_page(params, page_size_), kStaticListTtlMs);
  if (method == "tools/call") return call_tool_request(params, ctx);
  if (method == "subscriptions/listen") return listen(params, ctx);
  if (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel") {
    if (!tasks_) throw not_found(" (this server runs no tasks)");
    return task_method(method, params, ctx);
  }
  if (method == "completion/complete") return completion(params);
  if (method == "resources/list" || method == "resources/templates/list" ||
      method == "resources/read") {
    if (resources_.empty()) throw not_found(" (this server has no resources)");
    if (method == "resources/list") return with_cache(resources_.list_page(params, page_size_), 0);
    if (method == "resources/templates/list") {
      return with_cache(resources_.templates_page(params, page_size_), kStaticListTtlMs);
    }
    const std::string& uri = required_string(params, "uri", method);
    try {
      return with_cache(resources_.read(uri), 0);
    } catch (const RpcError& e) {
      // 2026-07-28 (SEP-2164): an unknown resource is invalid params, with the uri in data.
      if (e.code() != error_code::resource_not_found) throw;
      throw RpcError(error_code::invalid_params, e.what(), {{"uri", uri}});
    }
  }
  if (method == "prompts/list" || method == "prompts/get") {
    if (prompts_.empty()) throw not_found(" (this server has no prompts)");
    if (method == "prompts/list")
      return with_cache(prompts_.list_page(params, page_size_), kStaticListTtlMs);
    return prompts_.get(params, &ctx);
  }
  // initialize, ping, logging/setLevel, resources/(un)subscribe, tasks/result, tasks/list and
  // anything unknown: not part of the stateless protocol.
  throw not_found();
}

json McpServer::listen(const json& params, RequestContext& ctx) {
  SubscriptionFilter filter = SubscriptionFilter::parse(params.value("notifications", json()));
  if (!filter.task_ids.empty() && !ctx.client_has(kTasksExtension)) {
    throw tasks_extension_missing("notifications.taskIds");
  }
  const json id = ctx.request_id();
  ctx.outbound().send(Subscriptions::tagged("notifications/subscriptions/acknowledged",
                                            {{"notifications", filter.to_json()}}, id));
  int handle = subscriptions_.add(id, filter, &ctx.outbound());
  while (ctx.sleep_for(std::chrono::seconds(3600))) {
  }
  subscriptions_.remove(handle);
  return {{"_meta", {{meta_key::subscription_id, id}}}};
}

}  // namespace runagents::mcp
