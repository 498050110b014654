#include "platform/local/local_platform.hpp"

#include "platform/local/agents/python_shim.hpp"
#include "platform/local/services/local_services.hpp"
#include "platform/local/services/tool_catalog.hpp"
#include "platform/local/store/data_dir.hpp"
#include "platform/local/store/timestamps.hpp"

namespace runagents::platform::local {

namespace {

// The starter kit (RunAgents' seed_starter_kit): echo-tool and playground-llm, once per data
// dir. Later changes by the user are kept: the seed does not run again.
void seed_once(Database& db) {
  db.transaction([&] {
    if (!db.query("SELECT 1 FROM meta WHERE key = 'seeded'").empty()) return;
    const std::string now = now_timestamp();
    db.execute(
        "INSERT OR IGNORE INTO tools (name, description, base_url, auth_type, port, scheme, "
        "status, created_at, updated_at) VALUES ('echo-tool', ?1, ?2, 'None', 80, 'HTTP', "
        "'Available', ?3, ?3)",
        {std::string("Echoes every request back (method, path and body); answered by the local "
                     "platform itself, for trying agents, policies and approvals offline"),
         std::string(kEchoToolBaseUrl), now});
    db.execute(
        "INSERT OR IGNORE INTO model_providers (name, provider, base_url, models, status, "
        "created_at) VALUES (?1, 'playground', '', ?2, 'Available', ?3)",
        {std::string(kPlaygroundModel), json::array({kPlaygroundModel}).dump(), now});
    db.execute("INSERT INTO meta (key, value) VALUES ('seeded', ?1)", {now});
  });
}

}  // namespace

Platform open_local_platform(const LocalOptions& options) {
  auto state = std::make_shared<LocalState>();
  state->options = options;
  if (options.data_dir.empty())
    throw PlatformError(ErrorKind::invalid, "the local platform needs a data dir (--data-dir)");
  state->db = open_platform_database(options.data_dir);
  state->shim_dir = options.data_dir / "runtime" / "python";
  state->work_dir = options.data_dir / "work";
  install_python_shim(state->shim_dir);
  seed_once(*state->db);

  Platform p;
  p.ns = options.ns;
  p.agents = make_local_agents(state);
  p.tools = make_local_tools(state);
  p.models = make_local_models(state);
  p.policies = make_local_policies(state);
  p.runs = make_local_runs(state);
  p.approvals = make_local_approvals(state);
  p.context = make_local_context(p);
  return p;
}

}  // namespace runagents::platform::local
