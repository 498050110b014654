#include "platform/local/store/run_store.hpp"

#include <algorithm>

#include "platform/local/store/identifiers.hpp"
#include "platform/local/store/row_reader.hpp"
#include "platform/local/store/timestamps.hpp"

namespace runagents::platform::local {

namespace {

constexpr const char* kRunColumns =
    "id, agent, ns, status, blocked_action_id, user_id, initial_message, created_at, updated_at, "
    "history, resume_state, response";

Run run_from_row(const Row& r) {
  Run run;
  RowReader(r).read(run.id, run.agent, run.ns, run.status, run.blocked_action_id, run.user_id,
                    run.initial_message, run.created_at, run.updated_at);
  return run;
}

constexpr const char* kRequestColumns =
    "id, subject, agent, tool, run_id, action_id, payload_hash, status, scope, duration, "
    "approver_id, reason, created_at, updated_at, expires_at";

AccessRequest request_from_row(const Row& r) {
  AccessRequest a;
  RowReader(r).read(a.id, a.subject, a.agent, a.tool, a.run_id, a.action_id, a.payload_hash,
                    a.status, a.scope, a.duration, a.approver_id, a.reason, a.created_at,
                    a.updated_at, a.expires_at);
  return a;
}

// A new RUNNING run with event RUN_CREATED (and USER_MESSAGE when `message` is given: an
// invocation; without, a run made ahead of it). Takes the write lock.
Run insert_run(Database& db, const std::string& ns, const std::string& agent,
               const std::string& user_id, const std::string& message, const json& history) {
  const std::string id = new_uuid();
  db.transaction([&] {
    const std::string now = now_timestamp();
    db.execute(
        "INSERT INTO runs (id, ns, agent, user_id, status, initial_message, history, created_at, "
        "updated_at) VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, ?7, ?7)",
        {id, ns, agent, user_id, message, history.dump(), now});
    append_event(db, id, "RUN_CREATED", "platform",
                 {{"agent", agent}, {"namespace", ns}, {"user_id", user_id}});
    if (!message.empty()) append_event(db, id, "USER_MESSAGE", user_id, {{"content", message}});
  });
  return find_run(db, id)->run;
}

}  // namespace

Run create_run(Database& db, const std::string& ns, const std::string& agent,
               const std::string& user_id, const std::string& message, const json& history) {
  return insert_run(db, ns, agent, user_id, message, history);
}

Run create_pending_run(Database& db, const std::string& ns, const std::string& agent,
                       const std::string& user_id) {
  return insert_run(db, ns, agent, user_id, "", json::array());
}

RunRecord start_created_run(Database& db, const std::string& run_id, const std::string& ns,
                            const std::string& agent, const std::string& message,
                            const json& history) {
  RunRecord out;
  db.transaction([&] {
    auto rec = find_run(db, run_id);
    if (!rec)
      throw PlatformError(ErrorKind::not_found,
                          "run " + run_id + " not found; create it with POST /runs first");
    const Run& run = rec->run;
    if (run.agent != agent || run.ns != ns)
      throw PlatformError(ErrorKind::invalid, "run " + run_id + " belongs to agent " + run.ns +
                                                  "/" + run.agent + ", not " + ns + "/" + agent);
    if (run.status != "RUNNING")
      throw PlatformError(ErrorKind::conflict,
                          "run " + run_id + " is " + run.status +
                              "; only a RUNNING run that was not invoked yet can be invoked");
    if (!run.initial_message.empty())
      throw PlatformError(ErrorKind::conflict, "run " + run_id +
                                                   " was invoked already; invoke without run_id "
                                                   "to start a new run");
    db.execute("UPDATE runs SET initial_message = ?2, history = ?3 WHERE id = ?1",
               {run_id, message, history.dump()});
    append_event(db, run_id, "USER_MESSAGE", run.user_id, {{"content", message}});
    out = *find_run(db, run_id);
  });
  return out;
}

std::optional<RunRecord> find_run(Database& db, const std::string& run_id) {
  auto rows = db.query(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1", {run_id});
  if (rows.empty()) return std::nullopt;
  RunRecord rec;
  rec.run = run_from_row(rows[0]);
  rec.history = json_column_or(rows[0], 9, json::array());
  rec.resume_state = json_column_or(rows[0], 10, nullptr);
  rec.response = json_column_or(rows[0], 11, nullptr);
  return rec;
}

std::vector<Run> list_runs(Database& db, const RunFilter& filter) {
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (!filter.agent.empty()) {
    params.emplace_back(filter.agent);
    sql += " AND agent = ?" + std::to_string(params.size());
  }
  if (!filter.status.empty()) {
    params.emplace_back(filter.status);
    sql += " AND status = ?" + std::to_string(params.size());
  }
  params.emplace_back(std::int64_t{std::clamp(filter.limit, 1, 200)});
  sql += " ORDER BY updated_at DESC, rowid DESC LIMIT ?" + std::to_string(params.size());
  std::vector<Run> out;
  for (const auto& r : db.query(sql, params)) out.push_back(run_from_row(r));
  return out;
}

void append_event(Database& db, const std::string& run_id, const std::string& type,
                  const std::string& actor, const json& data) {
  auto rows =
      db.query("SELECT COALESCE(MAX(seq), 0) + 1 FROM run_events WHERE run_id = ?1", {run_id});
  db.execute(
      "INSERT INTO run_events (run_id, seq, id, type, actor, timestamp, data) VALUES (?1, ?2, "
      "?3, ?4, ?5, ?6, ?7)",
      {run_id, rows.at(0).integer(0), new_uuid(), type, actor, now_timestamp(), data.dump()});
  db.execute("UPDATE runs SET updated_at = ?2 WHERE id = ?1", {run_id, now_timestamp()});
}

void set_run_status(Database& db, const std::string& run_id, const std::string& status,
                    const std::string& blocked_action_id) {
  db.execute("UPDATE runs SET status = ?2, blocked_action_id = ?3, updated_at = ?4 WHERE id = ?1",
             {run_id, status, blocked_action_id, now_timestamp()});
}

void set_run_result(Database& db, const std::string& run_id, const json& response,
                    const json& resume_state) {
  db.execute("UPDATE runs SET response = ?2, resume_state = ?3 WHERE id = ?1",
             {run_id, response.dump(), resume_state.dump()});
}

EventPage run_events(Database& db, const std::string& run_id, std::int64_t after_seq, int limit) {
  limit = std::clamp(limit, 1, 500);
  auto rows = db.query(
      "SELECT id, seq, type, actor, timestamp, data FROM run_events WHERE run_id = ?1 AND seq > "
      "?2 ORDER BY seq LIMIT ?3",
      {run_id, std::int64_t{after_seq}, std::int64_t{limit + 1}});
  EventPage page;
  page.next_after_seq = after_seq;
  for (const auto& r : rows) {
    if (static_cast<int>(page.events.size()) == limit) {
      page.more = true;
      break;
    }
    RunEvent e;
    e.run_id = run_id;
    RowReader(r).read(e.id, e.seq, e.type, e.actor, e.timestamp);
    e.data = json_column_or(r, 5, json::object());
    page.next_after_seq = e.seq;
    page.events.push_back(std::move(e));
  }
  return page;
}

std::optional<AccessRequest> find_access_request(Database& db, const std::string& id) {
  auto rows = db.query(
      std::string("SELECT ") + kRequestColumns + " FROM access_requests WHERE id = ?1", {id});
  if (rows.empty()) return std::nullopt;
  return request_from_row(rows[0]);
}

std::vector<AccessRequest> list_access_requests(Database& db, const ApprovalFilter& filter) {
  std::string sql = std::string("SELECT ") + kRequestColumns + " FROM access_requests WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (!filter.status.empty()) {
    params.emplace_back(filter.status);
    sql += " AND status = ?" + std::to_string(params.size());
  }
  if (!filter.agent.empty()) {
    params.emplace_back(filter.agent);
    sql += " AND agent = ?" + std::to_string(params.size());
  }
  params.emplace_back(std::int64_t{std::clamp(filter.limit, 1, 200)});
  sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?" + std::to_string(params.size());
  std::vector<AccessRequest> out;
  for (const auto& r : db.query(sql, params)) out.push_back(request_from_row(r));
  return out;
}

void expire_access_requests(Database& db) {
  const std::string now = now_timestamp();
  db.execute(
      "UPDATE access_requests SET status = 'EXPIRED', updated_at = ?1 WHERE status = 'APPROVED' "
      "AND expires_at != '' AND expires_at <= ?1",
      {now});
}

std::optional<std::string> use_grant(Database& db, const HeldCall& call) {
  expire_access_requests(db);
  auto once = db.query(
      "SELECT id FROM access_requests WHERE status = 'APPROVED' AND scope = 'once' AND uses = 0 "
      "AND run_id = ?1 AND tool = ?2 AND payload_hash = ?3 LIMIT 1",
      {call.run_id, call.tool, call.payload_hash});
  if (!once.empty()) {
    db.execute("UPDATE access_requests SET uses = uses + 1, updated_at = ?2 WHERE id = ?1",
               {once[0].text(0), now_timestamp()});
    return once[0].text(0);
  }
  auto wider = db.query(
      "SELECT id FROM access_requests WHERE status = 'APPROVED' AND tool = ?1 AND ns = ?2 AND "
      "agent = ?3 AND ((scope = 'run' AND run_id = ?4) OR (scope = 'agent_user_ttl' AND subject "
      "= ?5)) ORDER BY created_at DESC LIMIT 1",
      {call.tool, call.ns, call.agent, call.run_id, call.user});
  if (wider.empty()) return std::nullopt;
  db.execute("UPDATE access_requests SET uses = uses + 1, updated_at = ?2 WHERE id = ?1",
             {wider[0].text(0), now_timestamp()});
  return wider[0].text(0);
}

AccessRequest pending_request_for(Database& db, const HeldCall& call) {
  auto rows = db.query(std::string("SELECT ") + kRequestColumns +
                           " FROM access_requests WHERE status = 'PENDING' AND run_id = ?1 AND "
                           "tool = ?2 AND payload_hash = ?3 LIMIT 1",
                       {call.run_id, call.tool, call.payload_hash});
  if (!rows.empty()) return request_from_row(rows[0]);
  const std::string id = new_id("req-"), action = new_id("act-"), now = now_timestamp();
  db.execute(
      "INSERT INTO access_requests (id, subject, ns, agent, tool, run_id, action_id, "
      "payload_hash, tool_method, tool_path, status, created_at, updated_at) VALUES (?1, ?2, ?3, "
      "?4, ?5, ?6, ?7, ?8, ?9, ?10, 'PENDING', ?11, ?11)",
      {id, call.user, call.ns, call.agent, call.tool, call.run_id, action, call.payload_hash,
       call.method, call.path, now});
  return *find_access_request(db, id);
}

void update_access_request(Database& db, const AccessRequest& a) {
  db.execute(
      "UPDATE access_requests SET status = ?2, scope = ?3, duration = ?4, approver_id = ?5, "
      "reason = ?6, expires_at = ?7, updated_at = ?8 WHERE id = ?1",
      {a.id, a.status, a.scope, a.duration, a.approver_id, a.reason, a.expires_at,
       now_timestamp()});
}

}  // namespace runagents::platform::local
