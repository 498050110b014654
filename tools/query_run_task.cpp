#include "tools/query_run_task.hpp"

#include "platform/common/random_hex.hpp"
#include "tools/query_result.hpp"

namespace runagents::tools {

namespace {

using json = mcp::json;

// The calls a handle on a run can answer; the others go the in-process way, which gives their
// errors (a bad schema, two targets, ...) exactly as the synchronous call does.
bool run_worthy(const json& args, const platform::QueryRequest& r) {
  if (!args.contains("prompt") || r.prompt.empty() || r.agent_name.empty()) return false;
  if (args.contains("query_id") || args.value("async", false) || args.value("cancel", false) ||
      args.value("wait_seconds", 0) != 0)
    return false;
  if (!r.runtime_url.empty() || !r.devbox_id.empty() || !r.secrets.empty()) return false;
  if (r.output_schema) {
    try {
      mcp::SchemaValidator check(*r.output_schema);
    } catch (const std::exception&) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::shared_ptr<const mcp::RemoteTaskOps> agent_run_task(
    const platform::Platform& platform, std::shared_ptr<QueryArtifactStore> store) {
  std::shared_ptr<platform::AgentRunQueries> runs = platform.agent_runs;
  auto ops = std::make_shared<mcp::RemoteTaskOps>();
  ops->start = [runs](const json& args, mcp::RequestContext&) -> std::optional<json> {
    platform::QueryRequest r = read_query_request(args);
    if (!run_worthy(args, r)) return std::nullopt;
    platform::AgentRunStart s = runs->start(r);
    json h = {{"run_id", s.run_id},
              {"agent", r.agent_name},
              {"ns", s.ns},
              {"started_ms", mcp::now_epoch_ms()},
              {"timeout_s", r.timeout.count()},
              {"query_id", "q_" + common::random_hex(12)},
              {"metadata", s.metadata}};
    if (r.output_schema) h["output_schema"] = *r.output_schema;
    return h;
  };
  ops->poll = [runs, store](const json& h) {
    platform::QueryRequest r;
    r.agent_name = h.value("agent", "");
    r.agent_ns = h.value("ns", "");
    r.timeout = std::chrono::seconds(h.value("timeout_s", std::int64_t{0}));
    if (h.contains("output_schema")) r.output_schema = h["output_schema"];
    const std::string run_id = h.value("run_id", "");
    const auto elapsed =
        std::chrono::milliseconds(mcp::now_epoch_ms() - h.value("started_ms", std::int64_t{0}));
    mcp::RemoteTaskState state;
    platform::AgentRunReading reading;
    try {
      reading = runs->read(run_id, r.agent_ns + "/" + r.agent_name, elapsed, r.timeout, r,
                           h.value("metadata", json::object()));
    } catch (const platform::PlatformError& e) {
      if (e.kind() != platform::ErrorKind::not_found) throw;  // unreachable: ask again later
      state.status = mcp::TaskStatus::failed;
      state.error = {{"code", mcp::error_code::internal_error}, {"message", e.what()}};
      state.message = e.what();
      return state;
    }
    switch (reading.state) {
      case platform::AgentRunReading::State::running:
        state.message = reading.message;
        return state;
      case platform::AgentRunReading::State::cancelled:
        state.status = mcp::TaskStatus::cancelled;
        state.message = reading.message;
        return state;
      case platform::AgentRunReading::State::ended:
        break;
    }
    std::unique_ptr<mcp::SchemaValidator> validator;
    if (r.output_schema) validator = std::make_unique<mcp::SchemaValidator>(*r.output_schema);
    const std::string status = reading.result.run_status;
    state.status = mcp::TaskStatus::completed;
    state.result = query_tool_result(r, std::move(reading.result), h.value("query_id", ""),
                                     validator.get(), *store)
                       .to_json();
    state.message = "run " + run_id + " is " + status;
    return state;
  };
  ops->cancel = [runs](const json& h) { runs->cancel(h.value("run_id", "")); };
  return ops;
}

}  // namespace runagents::tools
