#include "server/tasks/task_wire.hpp"

#include "platform/common/clip.hpp"

namespace runagents::mcp {

namespace {

json ttl_value(const TaskRecord& r) {
  return r.ttl_ms ? json(*r.ttl_ms) : json(nullptr);
}

}  // namespace

json detailed_task(const TaskRecord& r) {
  json t = {{"taskId", r.id},
            {"status", to_string(r.status)},
            {"createdAt", iso8601(r.created_ms)},
            {"lastUpdatedAt", iso8601(r.updated_ms)},
            {"ttlMs", ttl_value(r)},
            {"pollIntervalMs", r.poll_interval_ms}};
  if (!r.status_message.empty()) t["statusMessage"] = r.status_message;
  switch (r.status) {
    case TaskStatus::completed:
      t["result"] = r.result.is_object() ? r.result : json::object();
      break;
    case TaskStatus::failed:
      // A failed modern task always carries an error; a legacy one failed by an isError result
      // carries none of its own, so its text becomes one.
      t["error"] =
          r.error.is_object()
              ? r.error
              : json{{"code", error_code::internal_error},
                     {"message", r.status_message.empty() ? "the task failed" : r.status_message}};
      break;
    case TaskStatus::input_required:
      t["inputRequests"] = r.input_requests.is_object() ? r.input_requests : json::object();
      break;
    default:
      break;
  }
  return t;
}

json modern_get_result(const TaskRecord& r) {
  json t = detailed_task(r);
  t["resultType"] = "complete";
  return t;
}

json modern_create_result(const TaskRecord& r) {
  return {{"resultType", "task"},
          {"taskId", r.id},
          {"status", to_string(r.status)},
          {"createdAt", iso8601(r.created_ms)},
          {"lastUpdatedAt", iso8601(r.updated_ms)},
          {"ttlMs", ttl_value(r)},
          {"pollIntervalMs", r.poll_interval_ms}};
}

json legacy_task(const TaskRecord& r) {
  json t = {{"taskId", r.id},
            {"status", to_string(r.status)},
            {"createdAt", iso8601(r.created_ms)},
            {"lastUpdatedAt", iso8601(r.updated_ms)},
            {"ttl", ttl_value(r)},
            {"pollInterval", r.poll_interval_ms}};
  if (!r.status_message.empty()) t["statusMessage"] = r.status_message;
  return t;
}

json legacy_create_result(const TaskRecord& r) {
  return {{"task", legacy_task(r)}};
}

std::string result_text(const json& result, size_t max_chars) {
  std::string text;
  auto content = result.find("content");
  if (content != result.end() && content->is_array()) {
    for (const auto& item : *content) {
      if (!item.is_object() || item.value("type", "") != "text") continue;
      auto t = item.find("text");
      if (t == item.end() || !t->is_string()) continue;
      if (!text.empty()) text += "\n";
      text += t->get<std::string>();
    }
  }
  return common::clip_head(text, max_chars, "…");
}

const json& input_responses_param(const json& params) {
  auto responses = params.find("inputResponses");
  if (responses == params.end() || !responses->is_object())
    throw RpcError(error_code::invalid_params,
                   "inputResponses must be an object mapping input request keys to responses");
  return *responses;
}

}  // namespace runagents::mcp
