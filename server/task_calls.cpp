// Tasks in McpServer: when a tools/call becomes a task (both eras), and the task methods.
#include <spdlog/spdlog.h>

#include <utility>

#include "server/mcp_server.hpp"
#include "server/tasks/remote_tasks.hpp"
#include "server/tasks/task_manager.hpp"
#include "server/tasks/task_wire.hpp"

namespace runagents::mcp {

namespace {

// A legacy task's messages (progress, requests to the client) go to its session's unsolicited
// channel (the HTTP GET stream, or the stdio writer), as long as the session lives.
class SessionOutbound : public Outbound {
 public:
  explicit SessionOutbound(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool send(const json& message) override {
    auto s = session_.lock();
    return s && s->send_unsolicited(message);
  }

 private:
  std::weak_ptr<Session> session_;
};

}  // namespace

RpcError McpServer::tasks_extension_missing(const std::string& what) {
  return RpcError(
      error_code::missing_client_capability,
      what + " needs the " + std::string(kTasksExtension) +
          " extension in the request's clientCapabilities.extensions",
      {{"requiredCapabilities", {{"extensions", {{kTasksExtension, json::object()}}}}}});
}

void McpServer::set_task_manager(std::shared_ptr<TaskManager> tasks) {
  tasks_ = std::move(tasks);
  remote_tasks_.reset();
  if (!tasks_) return;
  remote_tasks_ = std::make_unique<RemoteTasks>(
      state_codec_,
      [this](const std::string& tool) -> const RemoteTaskOps* {
        const ToolDefinition* t = tools_.find(tool);
        return t ? t->remote_task.get() : nullptr;
      },
      tasks_->options().default_ttl_ms, tasks_->options().poll_interval_ms);
  tasks_->on_change([this](const TaskRecord& record) {
    if (record.era == "modern") subscriptions_.task_changed(record.id, detailed_task(record));
  });
}

std::optional<json> McpServer::start_task(const ToolDefinition& tool, const json& arguments,
                                          const json& params, RequestContext& ctx) {
  const bool modern = ctx.era() == Era::modern;
  const bool legacy_asks = !modern && params.contains("task") && params["task"].is_object();
  if (!tasks_ || tool.task_support == TaskSupport::forbidden) {
    if (tasks_ && legacy_asks) {
      throw RpcError(error_code::method_not_found,
                     "Tool " + tool.name +
                         " cannot run as a task (execution.taskSupport is forbidden); call it "
                         "without params.task");
    }
    return std::nullopt;  // the 2026 extension says: ignore a legacy `task` param
  }
  bool wanted = modern ? ctx.client_has(kTasksExtension) : legacy_asks;
  if (!wanted) {
    if (tool.task_support != TaskSupport::required) return std::nullopt;
    if (modern) throw tasks_extension_missing("Tool " + tool.name + " runs only as a task: it");
    throw RpcError(error_code::method_not_found,
                   "Tool " + tool.name + " runs only as a task: call it with params.task");
  }
  // Bad arguments are answered now, as the synchronous call would.
  if (!tools_.validate_arguments(tool.name, arguments).empty()) return std::nullopt;

  // The prepare step (input from the client, MRTR rounds) runs before the task exists.
  json prepared = arguments;
  if (tool.prepare) {
    try {
      prepared = tool.prepare(arguments, ctx);
    } catch (const RpcError&) {
      throw;
    } catch (const InputRequired&) {
      throw;
    } catch (const std::exception& e) {
      return ToolResult::error(e.what()).to_json();
    }
  }
  if (tool.task_worthy && !tool.task_worthy(prepared) &&
      tool.task_support != TaskSupport::required) {
    return call_tool(tools_, tool.name, prepared, ctx, false).to_json();
  }

  // Work that lives in a remote service: the task is a handle on it, answered by any replica.
  if (modern && tool.remote_task && tool.remote_task->start) {
    std::optional<json> handle;
    try {
      handle = tool.remote_task->start(prepared, ctx);
    } catch (const RpcError&) {
      throw;
    } catch (const std::exception& e) {
      return ToolResult::error(e.what()).to_json();
    }
    if (handle) return remote_tasks_->create(tool.name, *handle);
  }

  TaskStart start;
  start.era = ctx.era();
  start.tool = tool.name;
  if (!modern && params["task"].contains("ttl") && params["task"]["ttl"].is_number_integer()) {
    start.ttl_ms = params["task"]["ttl"].get<std::int64_t>();
  }
  // What the task's own context sees: the request's envelope, without this round's answers.
  RequestEnvelope envelope = ctx.envelope();
  envelope.input_responses = nullptr;
  envelope.request_state = nullptr;
  if (modern) envelope.progress_token = nullptr;  // modern tasks are polled, not streamed
  std::shared_ptr<Session> session;
  std::shared_ptr<Outbound> out;
  if (auto s = modern ? nullptr : ctx.session().weak_from_this().lock()) {
    out = std::make_shared<SessionOutbound>(s);
    session = std::move(s);
  } else {
    session = std::make_shared<Session>("task");
    out = std::make_shared<NullOutbound>();
  }
  if (!modern) start.status_notifications = out;
  const std::string name = tool.name;
  const json request_id = ctx.request_id();
  // The request's call slot (--max-concurrent-calls) goes with the work: the call still runs.
  return tasks_->start(
      start, [this, name, prepared, envelope, session, out, request_id, hold = ctx.hold()](
                 TaskChannel& channel, const std::shared_ptr<Cancellation>& cancel) mutable {
        // Given back as soon as the work ends, before the task is recorded terminal.
        const std::shared_ptr<void> held = std::exchange(hold, nullptr);
        RequestContext task_ctx(*session, *out, request_id, envelope, cancel);
        task_ctx.attach_task(&channel);
        return call_tool(tools_, name, prepared, task_ctx, false).to_json();
      });
}

json McpServer::task_method(const std::string& method, const json& params, RequestContext& ctx) {
  // Tasks carry no principal yet: ids are 128 random bits, and whoever holds one may use it.
  const std::string principal;
  if (ctx.era() == Era::modern) {
    // The capability gate comes before any id lookup (ext-tasks, SEP-2663).
    if (!ctx.client_has(kTasksExtension)) throw tasks_extension_missing(method);
    auto id = params.find("taskId");
    if (id != params.end() && id->is_string() &&
        RemoteTasks::is_remote_id(id->get<std::string>())) {
      const std::string& task_id = id->get_ref<const std::string&>();
      if (method == "tasks/get") return remote_tasks_->get(task_id);
      if (method == "tasks/update") {
        input_responses_param(params);
        return remote_tasks_->update(task_id);
      }
      return remote_tasks_->cancel(task_id);
    }
    if (method == "tasks/get") return tasks_->get(Era::modern, params, principal);
    if (method == "tasks/update") return tasks_->update(params, principal);
    return tasks_->cancel(Era::modern, params, principal);
  }
  if (method == "tasks/get") return tasks_->get(Era::legacy, params, principal);
  if (method == "tasks/list") return tasks_->list(params, principal);
  if (method == "tasks/cancel") return tasks_->cancel(Era::legacy, params, principal);
  // tasks/result: blocks; the task's questions to the client go out on this request's stream.
  return tasks_->result(params, principal, ctx.cancellation(),
                        [&ctx](const std::string& m, const json& p) {
                          return ctx.request_client(m, p, capability_for(m));
                        });
}

}  // namespace runagents::mcp
