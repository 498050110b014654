#include "app/platform_metrics.hpp"

#include <spdlog/spdlog.h>

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace runagents::cli {

namespace {

using Samples = std::vector<std::pair<std::string, double>>;

Samples task_samples(mcp::TaskStore& tasks) {
  Samples samples;
  std::map<std::string, size_t> counts;
  try {
    counts = tasks.count_by_status();
  } catch (const std::exception& e) {
    spdlog::debug("metrics: cannot count tasks: {}", e.what());
    return samples;  // a busy database leaves the family empty this time
  }
  for (const char* status : {"working", "input_required", "completed", "failed", "cancelled"}) {
    auto it = counts.find(status);
    samples.emplace_back(std::string("status=\"") + status + "\"",
                         it == counts.end() ? 0.0 : static_cast<double>(it->second));
  }
  return samples;
}

// One figure of DevboxService::activity() as a gauge's single sample.
std::function<Samples()> devbox_gauge(std::shared_ptr<platform::DevboxService> devboxes,
                                      std::size_t platform::DevboxActivity::*figure) {
  return [devboxes = std::move(devboxes), figure] {
    Samples samples;
    try {
      if (auto activity = devboxes->activity())
        samples.emplace_back("", static_cast<double>((*activity).*figure));
    } catch (const std::exception& e) {
      spdlog::debug("metrics: cannot count devboxes: {}", e.what());
    }
    return samples;
  };
}

}  // namespace

std::shared_ptr<mcp::Metrics> make_platform_metrics(
    std::shared_ptr<mcp::TaskStore> tasks, std::shared_ptr<platform::DevboxService> devboxes) {
  auto metrics = std::make_shared<mcp::Metrics>();
  metrics->add_family({"runagents_mcp_tasks",
                       "Tasks in the data dir (every process on it), by status.", "gauge",
                       [tasks = std::move(tasks)] { return task_samples(*tasks); }});
  metrics->add_family({"runagents_devboxes_running",
                       "Devboxes in status running (every process on the data dir).", "gauge",
                       devbox_gauge(devboxes, &platform::DevboxActivity::devboxes_running)});
  metrics->add_family(
      {"runagents_devbox_executions_running",
       "Devbox commands this server runs (sync, async and named-shell), each until it ends.",
       "gauge", devbox_gauge(devboxes, &platform::DevboxActivity::executions_running)});
  return metrics;
}

}  // namespace runagents::cli
