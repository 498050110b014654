// The runagents-mcp command line: the MCP server (stdio or --http) and the commands for people
// and scripts (tools, call).
#pragma once

namespace runagents::cli {

int run(int argc, char** argv);

}  // namespace runagents::cli
