// Registered tools of the local platform (the tools table) and the ToolService over them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform/local/services/local_state.hpp"
#include "platform/platform.hpp"

namespace runagents::platform::local {

// Checks and normalises a registration (auth_type and scheme spelling). Throws
// PlatformError(invalid) naming `where` + the field ("tools_to_create[0].base_url ...").
void validate_registration(ToolRegistration& tool, const std::string& where);

std::optional<Tool> find_tool(Database& db, const std::string& name);
std::vector<Tool> all_tools(Database& db);
// Inserts or updates; call inside a transaction when combined with other writes.
ToolService::UpsertResult store_tool(Database& db, const ToolRegistration& tool);

std::shared_ptr<ToolService> make_local_tools(std::shared_ptr<LocalState> state);

}  // namespace runagents::platform::local
