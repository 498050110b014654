#include "server/tasks/remote_tasks.hpp"

#include "server/tasks/task_wire.hpp"

namespace runagents::mcp {

namespace {

constexpr const char* kPrefix = "rt.";
constexpr const char* kBind = "remote-task";

}  // namespace

struct RemoteTasks::Opened {
  TaskRecord record;  // id, era, tool, created_ms, ttl_ms, poll_interval_ms
  json handle;
  const RemoteTaskOps* ops = nullptr;
};

RemoteTasks::RemoteTasks(const RequestStateCodec& codec, OpsLookup lookup, std::int64_t ttl_ms,
                         std::int64_t poll_interval_ms)
    : codec_(codec),
      lookup_(std::move(lookup)),
      ttl_ms_(ttl_ms),
      poll_interval_ms_(poll_interval_ms) {}

bool RemoteTasks::is_remote_id(const std::string& task_id) {
  return task_id.rfind(kPrefix, 0) == 0;
}

json RemoteTasks::create(const std::string& tool, const json& handle) const {
  TaskRecord r;
  r.era = "modern";
  r.tool = tool;
  r.created_ms = r.updated_ms = now_epoch_ms();
  r.ttl_ms = ttl_ms_;
  r.poll_interval_ms = poll_interval_ms_;
  json payload = {{"tool", tool}, {"h", handle}, {"c", r.created_ms}, {"p", poll_interval_ms_}};
  // The seal expires with the task's ttl (rounded up to whole seconds).
  r.id = kPrefix + codec_.seal(payload, kBind, std::chrono::seconds((ttl_ms_ + 999) / 1000));
  return modern_create_result(r);
}

RemoteTasks::Opened RemoteTasks::open(const std::string& task_id) const {
  json payload;
  try {
    if (!is_remote_id(task_id)) throw RpcError(error_code::invalid_params, kTaskNotFound);
    payload = codec_.open(task_id.substr(std::string(kPrefix).size()), kBind);
  } catch (const RpcError&) {
    // Forged, altered, sealed by a server with another key, or past its ttl: the same answer as
    // for an id the store does not know, so an id reveals nothing.
    throw RpcError(error_code::invalid_params, kTaskNotFound);
  }
  Opened o;
  o.record.id = task_id;
  o.record.era = "modern";
  o.record.tool = payload.value("tool", std::string());
  o.record.created_ms = payload.value("c", std::int64_t{0});
  o.record.ttl_ms = ttl_ms_;
  o.record.poll_interval_ms = payload.value("p", poll_interval_ms_);
  o.handle = payload.value("h", json());
  o.ops = lookup_(o.record.tool);
  if (!o.ops || !o.ops->poll) {
    throw RpcError(error_code::invalid_params, kTaskNotFound,
                   {{"reason", "this server has no tool " + o.record.tool + " to ask"}});
  }
  return o;
}

json RemoteTasks::get(const std::string& task_id) const {
  Opened o = open(task_id);
  RemoteTaskState state;
  try {
    state = o.ops->poll(o.handle);
  } catch (const std::exception& e) {
    state.status = TaskStatus::working;
    state.message = std::string("could not read the task's state from the service (") + e.what() +
                    "); the next tasks/get tries again";
  }
  TaskRecord& r = o.record;
  r.status = state.status == TaskStatus::input_required ? TaskStatus::working : state.status;
  r.status_message = state.message;
  r.result = state.result;
  r.error = state.error;
  r.updated_ms = now_epoch_ms();
  return modern_get_result(r);
}

json RemoteTasks::cancel(const std::string& task_id) const {
  Opened o = open(task_id);
  if (o.ops->cancel) {
    try {
      o.ops->cancel(o.handle);
    } catch (const std::exception& e) {
      throw RpcError(error_code::internal_error,
                     std::string("could not cancel the task in the service: ") + e.what() +
                         "; try tasks/cancel again");
    }
  }
  return {{"resultType", "complete"}};
}

json RemoteTasks::update(const std::string& task_id) const {
  open(task_id);
  return {{"resultType", "complete"}};
}

}  // namespace runagents::mcp
