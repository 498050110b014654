// The tools' JSON Schemas, embedded from schemas/ at build time (scripts/embed_schemas.cmake).
// schemas/<tool>.input.json and schemas/<tool>.output.json are the single source of truth.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "server/json_rpc.hpp"

namespace runagents::schemas {
const std::map<std::string, std::string_view>& embedded();
}

namespace runagents::tools {

// Parses schemas/<file> (e.g. "list_agents.input.json"). Throws std::invalid_argument when the
// file is missing or is not valid JSON (a build problem, caught by the schema tests).
mcp::json load_schema(const std::string& file);

}  // namespace runagents::tools
