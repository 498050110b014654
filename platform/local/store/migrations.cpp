// The local platform's tables, as versioned migrations. Never edit a migration that has shipped:
// add a new one at the end (Database applies the ones a data dir has not seen yet).
#include <string>
#include <vector>

namespace runagents::platform::local {

const std::vector<std::string>& schema_migrations() {
  static const std::vector<std::string> migrations = {
      // 1: agents, tools, model providers, policies, runs and their events, access requests.
      R"SQL(
CREATE TABLE agents (
  ns TEXT NOT NULL,
  name TEXT NOT NULL,
  phase TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  system_prompt TEXT NOT NULL DEFAULT '',
  entry_point TEXT NOT NULL DEFAULT '',
  handler_signature TEXT NOT NULL DEFAULT '',
  required_tools TEXT NOT NULL DEFAULT '[]',
  llm_configs TEXT NOT NULL DEFAULT '[]',
  requirements TEXT NOT NULL DEFAULT '',
  source_files TEXT NOT NULL DEFAULT '{}',
  analysis TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (ns, name)
);
CREATE TABLE tools (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  base_url TEXT NOT NULL,
  auth_type TEXT NOT NULL DEFAULT 'None',
  port INTEGER NOT NULL DEFAULT 443,
  scheme TEXT NOT NULL DEFAULT 'HTTPS',
  status TEXT NOT NULL DEFAULT 'Available',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE model_providers (
  name TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  base_url TEXT NOT NULL DEFAULT '',
  models TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'Available',
  created_at TEXT NOT NULL
);
CREATE TABLE policies (
  ns TEXT NOT NULL,
  name TEXT NOT NULL,
  rules TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (ns, name)
);
CREATE TABLE policy_bindings (
  ns TEXT NOT NULL,
  policy TEXT NOT NULL,
  agent TEXT NOT NULL,
  PRIMARY KEY (ns, policy, agent)
);
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  ns TEXT NOT NULL,
  agent TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  blocked_action_id TEXT NOT NULL DEFAULT '',
  initial_message TEXT NOT NULL DEFAULT '',
  history TEXT NOT NULL DEFAULT '[]',
  resume_state TEXT NOT NULL DEFAULT 'null',
  response TEXT NOT NULL DEFAULT 'null',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX runs_by_update ON runs (updated_at);
CREATE INDEX runs_by_agent ON runs (agent, updated_at);
CREATE TABLE run_events (
  run_id TEXT NOT NULL REFERENCES runs (id),
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE access_requests (
  id TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  ns TEXT NOT NULL,
  agent TEXT NOT NULL,
  tool TEXT NOT NULL,
  run_id TEXT NOT NULL DEFAULT '',
  action_id TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  tool_method TEXT NOT NULL DEFAULT '',
  tool_path TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  scope TEXT NOT NULL DEFAULT '',
  duration TEXT NOT NULL DEFAULT '',
  approver_id TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  uses INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_requests_by_status ON access_requests (status, created_at);
CREATE INDEX access_requests_by_run ON access_requests (run_id);
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)SQL",
      // 2: devboxes (platform/local/devboxes/devbox_service.cpp): local sandboxes, their
      // executions and the snapshots of their homes.
      R"SQL(
CREATE TABLE devboxes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  create_time_ms INTEGER NOT NULL,
  end_time_ms INTEGER NOT NULL DEFAULT 0,
  snapshot_id TEXT NOT NULL DEFAULT '',
  failure_reason TEXT NOT NULL DEFAULT '',
  shutdown_reason TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',
  launch_parameters TEXT NOT NULL DEFAULT '{}',
  environment TEXT NOT NULL DEFAULT '{}',
  state_transitions TEXT NOT NULL DEFAULT '[]',
  last_active_ms INTEGER NOT NULL
);
CREATE INDEX devboxes_by_time ON devboxes (create_time_ms, id);
CREATE TABLE devbox_executions (
  id TEXT PRIMARY KEY,
  devbox_id TEXT NOT NULL,
  command TEXT NOT NULL,
  shell_name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  exit_status INTEGER,
  stdout TEXT NOT NULL DEFAULT '',
  stderr TEXT NOT NULL DEFAULT '',
  stdout_truncated INTEGER NOT NULL DEFAULT 0,
  stderr_truncated INTEGER NOT NULL DEFAULT 0,
  timed_out INTEGER NOT NULL DEFAULT 0,
  killed INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  create_time_ms INTEGER NOT NULL,
  owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devbox_executions_by_devbox ON devbox_executions (devbox_id, create_time_ms);
CREATE TABLE devbox_snapshots (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  create_time_ms INTEGER NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}',
  source_devbox_id TEXT NOT NULL,
  commit_message TEXT NOT NULL DEFAULT '',
  size_bytes INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  error_message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devbox_snapshots_by_time ON devbox_snapshots (create_time_ms, id);
)SQL",
      // 3: tasks (platform/local/store/sqlite_task_store.cpp): long tool calls run in the
      // background, shared by every server process on the data dir. JSON columns hold 'null'
      // when unset.
      R"SQL(
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  era TEXT NOT NULL,
  tool TEXT NOT NULL,
  owner TEXT NOT NULL,
  principal TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  ttl_ms INTEGER,
  expires_ms INTEGER,
  poll_interval_ms INTEGER NOT NULL,
  result TEXT NOT NULL DEFAULT 'null',
  error TEXT NOT NULL DEFAULT 'null',
  input_requests TEXT NOT NULL DEFAULT 'null',
  input_responses TEXT NOT NULL DEFAULT 'null',
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tasks_by_time ON tasks (created_ms, id);
CREATE INDEX tasks_by_expiry ON tasks (expires_ms);
)SQL",
      // 4: what a snapshot left out (sockets, fifos, devices), as a JSON array of paths.
      R"SQL(
ALTER TABLE devbox_snapshots ADD COLUMN skipped TEXT NOT NULL DEFAULT '[]';
)SQL",
      // 5: each devbox's log (GET /v1/devboxes/{id}/logs): status transitions, launch commands,
      // commands run and file writes; the newest 1000 lines per devbox are kept
      // (platform/local/devboxes/devbox_rows.cpp). And what a devbox had used when it was shut
      // down (its cgroups and home go with it): {cpu_time_ns, peak_memory_bytes, disk_bytes}.
      R"SQL(
CREATE TABLE devbox_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  devbox_id TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '',
  cmd TEXT NOT NULL DEFAULT '',
  cmd_id TEXT NOT NULL DEFAULT '',
  exit_code INTEGER,
  shell_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX devbox_logs_by_devbox ON devbox_logs (devbox_id, seq);
ALTER TABLE devboxes ADD COLUMN final_usage TEXT NOT NULL DEFAULT '{}';
)SQL",
      // 6: where an execution's output was kept whole (ExecRequest::keep_output_files):
      // {"stdout": {path, total_bytes, kept_bytes, error}, "stderr": {...}}, or {} when not.
      R"SQL(
ALTER TABLE devbox_executions ADD COLUMN output_files TEXT NOT NULL DEFAULT '{}';
)SQL",
      // 7: storage objects (platform/local/objects/object_rows.cpp), Runloop's /v1/objects. The
      // content is the file <data_dir>/objects/<id>; size_bytes is NULL until content was
      // written; upload_token is the secret of the upload URL, download_key the HMAC key of its
      // download URLs; metadata is a JSON object of strings.
      R"SQL(
CREATE TABLE objects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  state TEXT NOT NULL,
  create_time_ms INTEGER NOT NULL,
  size_bytes INTEGER,
  metadata TEXT NOT NULL DEFAULT '{}',
  delete_after_time_ms INTEGER,
  upload_token TEXT NOT NULL,
  download_key TEXT NOT NULL
);
CREATE INDEX objects_by_expiry ON objects (delete_after_time_ms);
)SQL",
      // 8: blueprints (platform/local/devboxes/blueprint_rows.cpp), Runloop's /v1/blueprints.
      // The built home is <data_dir>/blueprints/<id>/home; parameters is the create body as
      // stored (code mount tokens kept for the build, never answered); environment holds the
      // ENV values devboxes from it get; builder is the process_token of the server building
      // it (a build whose builder died is failed by the next server). blueprint_logs is the
      // build's log. devboxes.blueprint_id: the blueprint a devbox was created from.
      R"SQL(
CREATE TABLE blueprints (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'created',
  create_time_ms INTEGER NOT NULL,
  build_finish_time_ms INTEGER,
  failure_reason TEXT NOT NULL DEFAULT '',
  base_blueprint_id TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '{}',
  metadata TEXT NOT NULL DEFAULT '{}',
  environment TEXT NOT NULL DEFAULT '{}',
  builder TEXT NOT NULL DEFAULT ''
);
CREATE INDEX blueprints_by_name ON blueprints (name, create_time_ms);
CREATE TABLE blueprint_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  blueprint_id TEXT NOT NULL,
  timestamp_ms INTEGER NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX blueprint_logs_by_blueprint ON blueprint_logs (blueprint_id, seq);
ALTER TABLE devboxes ADD COLUMN blueprint_id TEXT NOT NULL DEFAULT '';
)SQL",
  };
  return migrations;
}

}  // namespace runagents::platform::local
