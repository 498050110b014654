// run_query's arguments and results (tools/queries.cpp), shared by every way a query runs: the
// synchronous call, a background query (async: true) and the 2026-07-28 task that is a handle
// on a RunAgents run (tools/query_run_task.hpp), so that all give the same answer.
#pragma once

#include <string>

#include "platform/queries.hpp"
#include "server/schema_validator.hpp"
#include "server/tool_registry.hpp"
#include "tools/query_artifacts.hpp"

namespace runagents::tools {

// The query run_query's arguments ask for (the schema has checked their shapes).
platform::QueryRequest read_query_request(const mcp::json& args);

// The tool result of query `query_id` that ended as `out` says (not cancelled): the answer
// checked against output_schema (`validator`, null without one), commands, artifacts (kept in
// `store` as resources), every listed secret redacted, long text clipped.
mcp::ToolResult query_tool_result(const platform::QueryRequest& request, platform::QueryResult out,
                                  const std::string& query_id,
                                  const mcp::SchemaValidator* validator, QueryArtifactStore& store);

}  // namespace runagents::tools
