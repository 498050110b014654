// The metrics of --metrics that the platform reports (the server's own are in
// server/metrics.hpp): the data dir's tasks by status, and what the devboxes run. Each is read
// when /metrics is asked, so the figures are those of the moment.
#pragma once

#include <memory>

#include "platform/devboxes.hpp"
#include "server/metrics.hpp"
#include "server/tasks/task_store.hpp"

namespace runagents::cli {

// A Metrics registry with these families added:
//   runagents_mcp_tasks{status}           tasks in the data dir (every process on it)
//   runagents_devboxes_running            devboxes in status running (DevboxService::activity)
//   runagents_devbox_executions_running   devbox commands this server runs, until each ends
// A source that cannot answer this time (a busy database, a devbox face that cannot count, such
// as Runloop) leaves its family without samples. Reading the devbox gauges opens a lazily opened
// devbox service, as a first tool call would.
std::shared_ptr<mcp::Metrics> make_platform_metrics(
    std::shared_ptr<mcp::TaskStore> tasks, std::shared_ptr<platform::DevboxService> devboxes);

}  // namespace runagents::cli
