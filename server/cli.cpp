#include "server/cli.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "server/http_transport.hpp"
#include "server/logging.hpp"
#include "server/mcp_server.hpp"
#include "server/stdio_transport.hpp"
#include "tools/catalog.hpp"

namespace runagents::cli {

namespace {

using mcp::json;

struct Options {
  bool http = false;
  mcp::HttpOptions http_options;
  long long idle_timeout_seconds = 30 * 60;
  std::string log_level = "info";
  mcp::ToolSelection selection;
  mcp::MessageLimits limits;
};

std::unique_ptr<mcp::McpServer> build_server(const Options& opts) {
  mcp::ServerInfo info;
  info.instructions = tools::kServerInstructions;
  auto server = std::make_unique<mcp::McpServer>(info);
  tools::register_product_tools(server->tools());
  server->tools().select(opts.selection);  // throws std::invalid_argument with the valid names
  return server;
}

// Messages a tool run from the command line sends (progress, logs) go to stderr.
class StderrOutbound : public mcp::Outbound {
 public:
  bool send(const json& message) override {
    const json& p = message.value("params", json::object());
    if (message.value("method", "") == "notifications/progress") {
      std::cerr << "progress " << p.value("progress", 0.0);
      if (p.contains("total")) std::cerr << "/" << p["total"].get<double>();
      if (p.contains("message")) std::cerr << ": " << p["message"].get<std::string>();
      std::cerr << "\n";
    } else if (message.value("method", "") == "notifications/message") {
      std::cerr << p.value("level", "info") << ": "
                << (p["data"].is_string() ? p["data"].get<std::string>() : p["data"].dump())
                << "\n";
    }
    return true;
  }
};

int print_tools(const mcp::McpServer& server) {
  auto tools = const_cast<mcp::McpServer&>(server).tools().list();
  size_t name_w = 4, title_w = 5;
  for (const auto* t : tools) {
    name_w = std::max(name_w, t->name.size());
    title_w = std::max(title_w, t->title.size());
  }
  std::printf("%-*s  %-*s  %-9s  %-11s\n", static_cast<int>(name_w), "NAME",
              static_cast<int>(title_w), "TITLE", "READ-ONLY", "DESTRUCTIVE");
  for (const auto* t : tools) {
    bool destructive = !t->annotations.read_only && t->annotations.destructive;
    std::printf("%-*s  %-*s  %-9s  %-11s\n", static_cast<int>(name_w), t->name.c_str(),
                static_cast<int>(title_w), t->title.c_str(), t->annotations.read_only ? "yes" : "no",
                destructive ? "yes" : "no");
  }
  if (tools.empty()) std::printf("(no tools selected)\n");
  return 0;
}

// Exit status: 0 success, 1 the tool reported an error (isError), 2 bad arguments or tool name.
int call_tool(mcp::McpServer& server, const std::string& name, const std::string& arguments_text) {
  json arguments = json::object();
  if (!arguments_text.empty()) {
    arguments = json::parse(arguments_text, nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object()) {
      std::cerr << "error: the arguments must be a JSON object, e.g. '{\"limit\": 5}'\n";
      return 2;
    }
  }
  if (!server.tools().find(name)) {
    std::string valid;
    for (const auto* t : server.tools().list()) valid += (valid.empty() ? "" : ", ") + t->name;
    std::cerr << "error: unknown tool '" << name << "'; valid tools: " << valid << "\n";
    return 2;
  }
  auto problems = server.tools().validate_arguments(name, arguments);
  if (!problems.empty()) {
    std::cerr << "error: invalid arguments for " << name << ":\n";
    for (const auto& p : problems) std::cerr << "  - " << p << "\n";
    return 2;
  }
  mcp::Session session("cli");
  session.set_initialized(std::string(mcp::kLatestVersion), json::object(), json::object());
  session.set_log_level(mcp::LogLevel::info);
  StderrOutbound out;
  auto cancellation = session.begin_request(json("cli"));
  mcp::RequestContext ctx(session, out, "cli", "cli", cancellation);
  mcp::ToolResult result = mcp::call_tool(server.tools(), name, arguments, ctx);
  session.end_request(json("cli"));
  if (result.structured_content) {
    std::cout << result.structured_content->dump(2) << "\n";
  } else {
    for (const auto& block : result.content) {
      if (block.value("type", "") == "text") {
        std::cout << block.value("text", "") << "\n";
      } else {
        std::cout << block.dump() << "\n";
      }
    }
  }
  if (result.is_error) {
    if (result.structured_content) {
      for (const auto& block : result.content) std::cerr << block.value("text", "") << "\n";
    }
    return 1;
  }
  return 0;
}

void add_server_options(CLI::App& app, Options& opts) {
  app.add_flag("--http", opts.http, "Serve MCP over Streamable HTTP instead of stdio");
  app.add_option("--host", opts.http_options.host,
                 "HTTP bind address (default 127.0.0.1; anything else is reachable from the "
                 "network)");
  app.add_option("--port", opts.http_options.port, "HTTP port (default 8765; 0 picks one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--allowed-origin", opts.http_options.allowed_origins,
                 "Also accept this Origin (https://host:port) or host name; repeatable")
      ->delimiter(',');
  app.add_option("--auth-token", opts.http_options.auth_token,
                 "Require Authorization: Bearer TOKEN on HTTP")
      ->envname("RUNAGENTS_MCP_TOKEN");
  app.add_option("--session-idle-timeout", opts.idle_timeout_seconds,
                 "Seconds after which an idle HTTP session expires (default 1800)")
      ->check(CLI::Range(1LL, 7LL * 24 * 3600));
  app.add_option("--log-level", opts.log_level,
                 "stderr log level: trace, debug, info, warn, error, critical, off")
      ->envname("RUNAGENTS_LOG_LEVEL");
  app.add_option("--toolsets", opts.selection.toolsets,
                 "Comma-separated toolsets to enable (default: all)")
      ->delimiter(',');
  app.add_option("--tools", opts.selection.tools, "Comma-separated tools to enable")
      ->delimiter(',');
  app.add_option("--exclude-tools", opts.selection.exclude_tools,
                 "Comma-separated tools to disable")
      ->delimiter(',');
  app.add_flag("--read-only", opts.selection.read_only, "Offer only read-only tools");
  app.add_option("--max-message-bytes", opts.limits.max_message_bytes,
                 "Largest accepted message in bytes (default 16 MiB)")
      ->check(CLI::Range(size_t{1024}, size_t{1} << 32));
  app.add_option("--max-depth", opts.limits.max_depth,
                 "Deepest accepted JSON nesting (default 64)")
      ->check(CLI::Range(size_t{4}, size_t{10000}));
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"runagents-mcp: an MCP server for running agents, tools, approvals, devboxes and "
               "queries.\nWith no command it serves MCP over stdio (or HTTP with --http)."};
  app.set_version_flag("--version", std::string("runagents-mcp ") + RUNAGENTS_VERSION);
  Options opts;
  add_server_options(app, opts);

  auto* tools_cmd = app.add_subcommand("tools", "List the tools (name, title, read-only, destructive)");
  std::string call_name, call_args;
  auto* call_cmd = app.add_subcommand(
      "call", "Run one tool in-process and print its result (exit 1 on a tool error, 2 on bad "
              "arguments)");
  call_cmd->add_option("tool", call_name, "Tool name")->required();
  call_cmd->add_option("arguments", call_args, "Arguments as a JSON object");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!mcp::setup_logging(opts.log_level)) {
    std::cerr << "error: unknown --log-level '" << opts.log_level
              << "'; use trace, debug, info, warn, error, critical or off\n";
    return 2;
  }
  opts.http_options.limits = opts.limits;
  opts.http_options.session_idle_timeout = std::chrono::seconds(opts.idle_timeout_seconds);

  std::unique_ptr<mcp::McpServer> server;
  try {
    server = build_server(opts);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }

  if (*tools_cmd) return print_tools(*server);
  if (*call_cmd) return call_tool(*server, call_name, call_args);

  if (!opts.http) {
    mcp::StdioOptions stdio;
    stdio.limits = opts.limits;
    return mcp::run_stdio(*server, stdio);
  }

  mcp::HttpTransport http(*server, opts.http_options);
  int port = 0;
  try {
    port = http.bind();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  const std::string& host = opts.http_options.host;
  if (host != "127.0.0.1" && host != "localhost" && host != "::1") {
    spdlog::warn("listening on {} makes the server reachable from the network; protect it with "
                 "--auth-token and keep --allowed-origin narrow", host);
  }
  std::string url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                    ":" + std::to_string(port) + opts.http_options.path;
  std::fprintf(stderr,
               "runagents-mcp %s serving MCP at %s\nAdd it to Claude Code with:\n  claude mcp add "
               "--transport http runagents %s\n",
               RUNAGENTS_VERSION, url.c_str(), url.c_str());
  std::fflush(stderr);
  http.serve();
  return 0;
}

}  // namespace runagents::cli
