#include "platform/local/devboxes/blueprint_rows.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "platform/local/devboxes/devbox_rows.hpp"
#include "platform/local/store/row_reader.hpp"
#include "platform/wire/blueprint_json.hpp"

namespace runagents::platform::local {

namespace {

using json = nlohmann::json;

const char* kBlueprintColumns =
    "id, name, status, state, create_time_ms, build_finish_time_ms, failure_reason, "
    "base_blueprint_id, parameters, metadata";

Blueprint blueprint_from_row(const Row& r) {
  Blueprint bp;
  RowReader(r).read(bp.id, bp.name, bp.status, bp.state, bp.create_time_ms, bp.build_finish_time_ms,
                    bp.failure_reason, bp.base_blueprint_id);
  json params = json_column(r, 8);
  if (params.is_object()) bp.parameters = blueprint_from_wire({{"parameters", params}}).parameters;
  json metadata = json_column(r, 9);
  if (metadata.is_object())
    for (const auto& [k, v] : metadata.items())
      if (v.is_string()) bp.metadata[k] = v.get<std::string>();
  return bp;
}

}  // namespace

std::string not_found_blueprint(const std::string& what) {
  return "blueprint " + what +
         " not found; manage_devbox with action list_blueprints shows the "
         "blueprints";
}

BlueprintRows::BlueprintRows(std::shared_ptr<Database> db, std::string owner)
    : db_(std::move(db)), owner_(std::move(owner)) {}

void BlueprintRows::insert(const Blueprint& bp) {
  db_->execute(
      "INSERT INTO blueprints (id, name, status, state, create_time_ms, base_blueprint_id, "
      "parameters, metadata, builder) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
      {bp.id, bp.name, bp.status, bp.state, bp.create_time_ms, bp.base_blueprint_id,
       blueprint_parameters_to_wire(bp.parameters, false).dump(), json(bp.metadata).dump(),
       owner_});
}

Blueprint BlueprintRows::get(const std::string& id) {
  auto rows =
      db_->query(std::string("SELECT ") + kBlueprintColumns + " FROM blueprints WHERE id=?1", {id});
  if (rows.empty()) throw PlatformError(ErrorKind::not_found, not_found_blueprint(id));
  return blueprint_from_row(rows[0]);
}

BlueprintPage BlueprintRows::list(const BlueprintListRequest& req) {
  const int limit = std::clamp(req.limit, 1, 5000);
  std::string sql =
      std::string("SELECT ") + kBlueprintColumns + " FROM blueprints WHERE state='created'";
  std::vector<SqlValue> params;
  if (!req.name.empty()) {
    params.emplace_back(req.name);
    sql += " AND name=?" + std::to_string(params.size());
  }
  if (!req.status.empty()) {
    params.emplace_back(req.status);
    sql += " AND status=?" + std::to_string(params.size());
  }
  std::optional<Blueprint> after;
  if (!req.starting_after.empty()) after = get(req.starting_after);
  BlueprintPage page;
  page.has_more = read_page(*db_, sql, params, after ? &*after : nullptr, limit, blueprint_from_row,
                            page.blueprints);
  return page;
}

std::optional<Blueprint> BlueprintRows::latest_built(const std::string& name) {
  auto rows = db_->query(std::string("SELECT ") + kBlueprintColumns +
                             " FROM blueprints WHERE name=?1 AND state='created' AND "
                             "status='build_complete' ORDER BY create_time_ms DESC, id DESC "
                             "LIMIT 1",
                         {name});
  if (rows.empty()) return std::nullopt;
  return blueprint_from_row(rows[0]);
}

void BlueprintRows::set_status(const std::string& id, const std::string& status,
                               const std::string& failure_reason) {
  const bool ended = status == "build_complete" || status == "failed";
  db_->execute(
      "UPDATE blueprints SET status=?2, failure_reason=?3, build_finish_time_ms=CASE WHEN ?4 "
      "THEN ?5 ELSE build_finish_time_ms END WHERE id=?1",
      {id, status, failure_reason, std::int64_t{ended ? 1 : 0}, now_ms()});
}

void BlueprintRows::set_environment(const std::string& id,
                                    const std::map<std::string, std::string>& env) {
  db_->execute("UPDATE blueprints SET environment=?2 WHERE id=?1", {id, json(env).dump()});
}

std::map<std::string, std::string> BlueprintRows::environment(const std::string& id) {
  std::map<std::string, std::string> out;
  auto rows = db_->query("SELECT environment FROM blueprints WHERE id=?1", {id});
  if (rows.empty()) return out;
  json env = json_column(rows[0], 0);
  if (env.is_object())
    for (const auto& [k, v] : env.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

void BlueprintRows::log(const std::string& id, const std::string& level,
                        const std::string& message) {
  std::lock_guard lock(log_mu_);
  auto it = log_lines_.find(id);
  if (it == log_lines_.end()) {
    auto count = db_->query("SELECT COUNT(*) FROM blueprint_logs WHERE blueprint_id=?1", {id});
    it = log_lines_.emplace(id, count.empty() ? 0 : count[0].integer(0)).first;
  }
  const std::int64_t n = it->second;
  if (n > kBlueprintLogLines) return;
  const bool last = n == kBlueprintLogLines;
  ++it->second;
  db_->execute(
      "INSERT INTO blueprint_logs (blueprint_id, timestamp_ms, level, message) VALUES (?1, ?2, "
      "?3, ?4)",
      {id, now_ms(), last ? std::string("warn") : level,
       last ? "the log keeps " + std::to_string(kBlueprintLogLines) +
                  " lines; later lines were left out"
            : message});
}

std::vector<BlueprintLog> BlueprintRows::logs(const std::string& id) {
  get(id);  // not_found
  std::vector<BlueprintLog> out;
  for (const auto& r : db_->query("SELECT timestamp_ms, level, message FROM blueprint_logs WHERE "
                                  "blueprint_id=?1 ORDER BY seq",
                                  {id})) {
    BlueprintLog l;
    RowReader(r).read(l.timestamp_ms, l.level, l.message);
    out.push_back(std::move(l));
  }
  return out;
}

bool BlueprintRows::mark_deleted(const std::string& id, const std::function<void()>& remove_files) {
  bool changed = false;
  db_->transaction([&] {
    Blueprint bp = get(id);
    if (bp.state == "deleted") return;
    if (bp.status == "provisioning" || bp.status == "building")
      throw PlatformError(ErrorKind::conflict,
                          "blueprint " + id + " is still " + bp.status +
                              "; delete it once its build ended (get_blueprint); nothing was "
                              "deleted");
    auto users = db_->query(
        "SELECT id FROM devboxes WHERE blueprint_id=?1 AND status='provisioning' LIMIT 1", {id});
    if (!users.empty())
      throw PlatformError(ErrorKind::conflict,
                          "blueprint " + id + " is being copied into devbox " + users[0].text(0) +
                              "; delete it once that devbox is running; nothing was deleted");
    remove_files();
    db_->execute("UPDATE blueprints SET state='deleted' WHERE id=?1", {id});
    changed = true;
  });
  return changed;
}

void BlueprintRows::fail_orphaned_builds() {
  for (const auto& r : db_->query("SELECT id, builder FROM blueprints WHERE status IN "
                                  "('provisioning', 'building') AND state='created'")) {
    if (process_alive(r.text(1))) continue;
    if (db_->execute("UPDATE blueprints SET status='failed', failure_reason='build_failed', "
                     "build_finish_time_ms=?2 WHERE id=?1 AND status IN ('provisioning', "
                     "'building')",
                     {r.text(0), now_ms()}) == 0)
      continue;
    log(r.text(0), "error", "the server building this blueprint stopped before the build ended");
  }
}

}  // namespace runagents::platform::local
