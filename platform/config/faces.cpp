#include "platform/config/faces.hpp"

namespace runagents::platform {

namespace {

// Where a configured value came from ("flag", "environment", ...), for the reason.
std::string source_of(const Config& config, const std::string& key) {
  auto src = config.sources.find(key);
  return src == config.sources.end() ? "configuration" : src->second;
}

}  // namespace

Face runagents_face(const Config& config) {
  if (config.remote_runagents())
    return {"remote", "RunAgents endpoint " + config.endpoint + " (from " +
                          source_of(config, "endpoint") + ")"};
  return {"local",
          "no RunAgents endpoint configured (set RUNAGENTS_ENDPOINT or run "
          "`runagents-mcp config set endpoint URL`); embedded platform in " +
              config.data_dir.string()};
}

Face devbox_face(const Config& config, const EnvLookup& env) {
  auto key = env("RUNLOOP_API_KEY");
  if (key && !key->empty()) {
    auto url = env("RUNLOOP_BASE_URL");
    return {"remote", "Runloop at " + (url && !url->empty() ? *url : "https://api.runloop.ai") +
                          " (RUNLOOP_API_KEY is set)"};
  }
  return {"local",
          "bubblewrap sandboxes in " + config.data_dir.string() + " (RUNLOOP_API_KEY is not set)"};
}

Face query_face(const Config& config) {
  if (!config.runtimeuse_ws_url.empty())
    return {"remote", "RuntimeUse runtime " + config.runtimeuse_ws_url + " (from " +
                          source_of(config, "runtimeuse_ws_url") +
                          "); calls with devbox_id or agent run elsewhere"};
  return {"local",
          "RUNTIMEUSE_WS_URL is not set: queries run in the embedded runtime in a devbox (or a "
          "deployed agent, or the runtime_url a call names)"};
}

std::map<std::string, Face> faces_for(const Config& config, const EnvLookup& env) {
  std::map<std::string, Face> faces;
  const Face platform_face = runagents_face(config);
  for (const char* domain : {"agents", "tools", "runs", "approvals", "workspace"})
    faces[domain] = platform_face;
  faces["devboxes"] = devbox_face(config, env);
  faces["queries"] = query_face(config);
  return faces;
}

}  // namespace runagents::platform
