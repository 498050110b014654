// The MCP request methods the server dispatches by name once a session is set up (both eras),
// in one list for the dispatcher (server/mcp_server.cpp) and the metrics' labels
// (server/metrics.cpp).
#pragma once

#include <string_view>

namespace runagents::mcp {

inline constexpr std::string_view kDispatchedMethods[] = {"tools/list",
                                                          "tools/call",
                                                          "resources/list",
                                                          "resources/read",
                                                          "resources/templates/list",
                                                          "resources/subscribe",
                                                          "resources/unsubscribe",
                                                          "prompts/list",
                                                          "prompts/get",
                                                          "completion/complete",
                                                          "logging/setLevel"};
// Offered only with tasks (a task manager, and for 2026-07-28 the extension).
inline constexpr std::string_view kTaskMethods[] = {"tasks/get", "tasks/result", "tasks/list",
                                                    "tasks/cancel"};

}  // namespace runagents::mcp
