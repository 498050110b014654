// Prometheus metrics of the MCP HTTP server (--metrics serves them on GET /metrics in the text
// exposition format 0.0.4):
//   runagents_mcp_requests_total{method,status}        POSTed JSON-RPC messages by method and
//                                                       HTTP status
//   runagents_mcp_tool_call_seconds{tool}               a histogram of tools/call latency
//   runagents_mcp_tool_calls_running, _sessions_open, _streams_open   gauges
// plus what sources added by the wiring report (tasks by status). Labels take only names the
// server knows (MCP methods, registered tools); anything else is counted as "other", so a client
// cannot grow the label set. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runagents::mcp {

class Metrics {
 public:
  // A gauge or counter family read when /metrics is asked: {labels text, value} samples, where
  // labels text is `key="value",...` (escaped by the source) or "".
  struct Family {
    std::string name;
    std::string help;
    std::string type;  // gauge or counter
    std::function<std::vector<std::pair<std::string, double>>()> samples;
  };

  // `method` is a JSON-RPC method, "response" for a client's response, or "" when the body was
  // not a message; an unknown method is counted as "other".
  void count_request(std::string_view method, int status);
  // `tool` must be a registered tool's name (the caller checks).
  void observe_tool_call(const std::string& tool, std::chrono::nanoseconds took);
  void add_family(Family family);
  // Open SSE streams: held while a stream is written.
  class StreamHold {
   public:
    explicit StreamHold(Metrics& m) : m_(m) { ++m_.streams_; }
    ~StreamHold() { --m_.streams_; }
    StreamHold(const StreamHold&) = delete;
    StreamHold& operator=(const StreamHold&) = delete;

   private:
    Metrics& m_;
  };

  std::string render() const;

  static constexpr std::array<double, 14> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                      1,     2.5,  5,     10,   30,  60,   300};

 private:
  struct Histogram {
    std::array<unsigned long long, kBuckets.size()> le{};  // cumulative counts per bucket
    unsigned long long count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, unsigned long long> requests_;
  std::map<std::string, Histogram> tools_;
  std::vector<Family> families_;
  std::atomic<long> streams_{0};
};

// A Prometheus label value with \, " and newlines escaped.
std::string prometheus_label(std::string_view value);

}  // namespace runagents::mcp
