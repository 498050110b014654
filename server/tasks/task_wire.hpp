// The two wire forms of a task, rendered from one TaskRecord.
//
// Modern: the 2026-07-28 extension io.modelcontextprotocol/tasks (flat, ttlMs/pollIntervalMs,
// result/error/inputRequests inlined). Legacy: the 2025-11-25 experimental tasks (Task objects
// with ttl/pollInterval, payload only through tasks/result). Pure functions, no I/O.
#pragma once

#include <string>

#include "server/tasks/task_store.hpp"

namespace runagents::mcp {

// The _meta key that ties a legacy message to its task.
inline constexpr const char* kRelatedTaskMeta = "io.modelcontextprotocol/related-task";
// The error message for an unknown, foreign or expired-and-gone task id (both eras, local and
// remote tasks alike), as the conformance suite expects it.
inline constexpr const char* kTaskNotFound = "Failed to retrieve task: Task not found";

// DetailedTask: taskId, status, statusMessage?, createdAt, lastUpdatedAt, ttlMs (null or
// positive), pollIntervalMs, plus result (completed), error (failed) or inputRequests
// (input_required). The body of a notifications/tasks message.
json detailed_task(const TaskRecord& record);
// The tasks/get answer: resultType "complete" + DetailedTask.
json modern_get_result(const TaskRecord& record);
// CreateTaskResult: {resultType:"task", taskId, status, createdAt, lastUpdatedAt, ttlMs,
// pollIntervalMs}; never a payload, never requestState.
json modern_create_result(const TaskRecord& record);

// Task: taskId, status, statusMessage?, createdAt, lastUpdatedAt, ttl, pollInterval. The answer
// to legacy tasks/get and tasks/cancel, and the body of notifications/tasks/status.
json legacy_task(const TaskRecord& record);
// CreateTaskResult: {task: Task}.
json legacy_create_result(const TaskRecord& record);

// tasks/update's params.inputResponses; RpcError(-32602) when it is not an object.
const json& input_responses_param(const json& params);

// The text of a CallToolResult's text content, joined by newlines and cut to `max_chars`; what a
// legacy client shows for a failed task (VS Code builds its error from statusMessage alone).
std::string result_text(const json& call_tool_result, size_t max_chars = 2000);

}  // namespace runagents::mcp
