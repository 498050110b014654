// The embedded query runtime: run_query with no runtime_url and no agent. Works on any
// DevboxService (local sandboxes, or Runloop devboxes when RUNLOOP_API_KEY is set):
//   1. a fresh devbox (network off, shut down when the query ends), or request.devbox_id (left
//      running);
//   2. downloads, fetched by the server (http, https, file URLs) and written into the devbox;
//      zip and tar archives are unpacked in place;
//   3. pre-commands (a non-zero exit ends the query with an error), the agent step, post-commands;
//   4. files under artifacts_dir (inside /home/user) come back as artifacts.
// The agent step (query_agent_step.cpp) uses the model gateway: with an OpenAI-compatible
// endpoint configured and a model named, a tool-using loop whose one tool is a shell in the
// devbox; otherwise the deterministic playground-llm, which reports what it saw and, for an
// output_schema, answers a value made from the schema.
// Timeout and cancel kill the running command at once; a fresh devbox is shut down either way.
#pragma once

#include <cstddef>
#include <memory>

#include "platform/local/agents/model_gateway.hpp"
#include "platform/objects.hpp"
#include "platform/queries.hpp"

namespace runagents::platform::local {

struct EmbeddedQueryOptions {
  ModelGatewayOptions gateway;
  int max_turns = 16;                          // model turns of the tool-using loop
  std::size_t max_download_bytes = 256 << 20;  // per downloadable
  std::size_t max_artifact_bytes = 16 << 20;   // per file; larger ones are listed, not returned
  std::size_t max_artifacts_total = 64 << 20;
  std::size_t max_artifacts = 50;
  std::size_t tool_output_chars = 16000;  // of each shell result the model sees
  // Where object://ID downloadables are read from; null: they are refused.
  std::shared_ptr<ObjectService> objects;
};

// Throws PlatformError before anything starts: invalid for an empty prompt or an artifacts_dir
// outside /home/user; not_found / conflict for a devbox_id that is unknown or not running.
std::shared_ptr<QueryRunner> make_embedded_query_runner(std::shared_ptr<DevboxService> devboxes,
                                                        EmbeddedQueryOptions options = {});

}  // namespace runagents::platform::local
