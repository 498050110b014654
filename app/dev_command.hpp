// `runagents-mcp dev`, in a project directory with runagents.yaml (as `runagents dev` of the
// RunAgents SDK):
//   - deploys the project to a local platform of its own (data in ./.runagents/dev), so the
//     handler runs in the same sandbox as a deployed agent, on the project directory itself,
//     mounted read-only (LocalOptions::live_sources): an edit is used by the next /invoke;
//   - serves the agent runtime's HTTP face on 127.0.0.1:--port (8080): /invoke, /invoke/stream,
//     /resume/{action_id}[/stream] (platform/serve/runtime_routes.hpp), /healthz, and /readyz,
//     which checks the model endpoint;
//   - starts a mock tool server on 127.0.0.1:--mock-port (9090) that echoes every call, and
//     registers each of the project's tools at it (--no-mock: the tools stay as registered in
//     that platform; echo-tool is built in);
//   - the model: the RunAgents gateway (<RUNAGENTS_ENDPOINT>/v1, RUNAGENTS_API_KEY) when
//     RUNAGENTS_ENDPOINT is set, else an OpenAI-compatible endpoint when OPENAI_API_KEY is set
//     (OPENAI_BASE_URL, default https://api.openai.com/v1), else the configured one; an agent on
//     playground-llm needs none;
//   - --watch: redeploys (tools, model, prompt) when a .py file or runagents.yaml changes
//     (inotify), on the same port.
// Runs until SIGINT or SIGTERM.
#pragma once

#include "platform/config/config.hpp"

namespace CLI {
class App;
}

namespace runagents::cli {

struct DevCommand {
  CLI::App* command = nullptr;
  int port = 8080;
  int mock_port = 9090;
  bool no_mock = false;
  bool watch = false;
};

// Adds `dev` to `app`; the returned struct must outlive parsing.
void add_dev_command(CLI::App& app, DevCommand& dev);

// 0 after a clean stop; 1 when it cannot start (a port in use, the platform); 2 for a bad
// project (nothing is started).
int run_dev(const DevCommand& dev, const platform::ConfigFlags& config_flags);

}  // namespace runagents::cli
