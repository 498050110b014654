#include "server/metrics.hpp"

#include <algorithm>
#include <span>
#include <sstream>

#include "server/method_names.hpp"

namespace runagents::mcp {

namespace {

// The methods a label may name; anything else is "other".
constexpr std::string_view kOtherMethods[] = {"initialize",
                                              "ping",
                                              "server/discover",
                                              "subscriptions/listen",
                                              "tasks/update",
                                              "notifications/initialized",
                                              "notifications/cancelled",
                                              "notifications/progress",
                                              "notifications/roots/list_changed",
                                              "response"};

std::string_view method_label(std::string_view method) {
  if (method.empty()) return "invalid";
  for (const auto& list : {std::span<const std::string_view>(kDispatchedMethods),
                           std::span<const std::string_view>(kTaskMethods),
                           std::span<const std::string_view>(kOtherMethods)}) {
    for (std::string_view known : list)
      if (known == method) return known;
  }
  return "other";
}

std::string metric_number(double v) {
  std::ostringstream out;
  out.precision(9);
  out << v;
  return out.str();
}

}  // namespace

std::string prometheus_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::count_request(std::string_view method, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{std::string(method_label(method)), status}];
}

void Metrics::observe_tool_call(const std::string& tool, std::chrono::nanoseconds took) {
  const double seconds = std::chrono::duration<double>(took).count();
  std::lock_guard lock(mu_);
  Histogram& h = tools_[tool];
  for (size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.le[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_family(Family family) {
  std::lock_guard lock(mu_);
  families_.push_back(std::move(family));
}

std::string Metrics::render() const {
  std::ostringstream out;
  std::vector<Family> families;
  {
    std::lock_guard lock(mu_);
    out << "# HELP runagents_mcp_requests_total JSON-RPC messages POSTed, by method and HTTP "
           "status.\n# TYPE runagents_mcp_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      out << "runagents_mcp_requests_total{method=\"" << key.first << "\",status=\"" << key.second
          << "\"} " << n << "\n";
    out << "# HELP runagents_mcp_tool_call_seconds How long tools/call requests took, by tool.\n"
           "# TYPE runagents_mcp_tool_call_seconds histogram\n";
    for (const auto& [tool, h] : tools_) {
      const std::string label = prometheus_label(tool);
      for (size_t i = 0; i < kBuckets.size(); ++i)
        out << "runagents_mcp_tool_call_seconds_bucket{tool=\"" << label << "\",le=\""
            << metric_number(kBuckets[i]) << "\"} " << h.le[i] << "\n";
      out << "runagents_mcp_tool_call_seconds_bucket{tool=\"" << label << "\",le=\"+Inf\"} "
          << h.count << "\n";
      out << "runagents_mcp_tool_call_seconds_sum{tool=\"" << label << "\"} "
          << metric_number(h.sum) << "\n";
      out << "runagents_mcp_tool_call_seconds_count{tool=\"" << label << "\"} " << h.count << "\n";
    }
    families = families_;
  }
  out << "# HELP runagents_mcp_streams_open SSE streams being written.\n"
         "# TYPE runagents_mcp_streams_open gauge\nrunagents_mcp_streams_open "
      << streams_.load() << "\n";
  for (const auto& f : families) {
    out << "# HELP " << f.name << " " << f.help << "\n# TYPE " << f.name << " " << f.type << "\n";
    for (const auto& [labels, value] : f.samples()) {
      out << f.name;
      if (!labels.empty()) out << "{" << labels << "}";
      out << " " << metric_number(value) << "\n";
    }
  }
  return out.str();
}

}  // namespace runagents::mcp
