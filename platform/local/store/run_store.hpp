// Runs, their event timelines and access requests in the local platform's database. Internal to
// platform/local. Every function that changes more than one row takes the write lock (an
// IMMEDIATE transaction) itself unless it says "call inside a transaction".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platform/local/store/database.hpp"
#include "platform/platform.hpp"

namespace runagents::platform::local {

// A run as stored, with what resuming it needs.
struct RunRecord {
  Run run;
  json history = json::array();
  json resume_state = nullptr;
  json response = nullptr;
};

// Creates a RUNNING run with events RUN_CREATED and USER_MESSAGE.
Run create_run(Database& db, const std::string& ns, const std::string& agent,
               const std::string& user_id, const std::string& message, const json& history);
// Creates a RUNNING run with event RUN_CREATED and no message: nothing has invoked it yet
// (initial_message is empty until start_created_run).
Run create_pending_run(Database& db, const std::string& ns, const std::string& agent,
                       const std::string& user_id);
// Gives a run made by create_pending_run its message and history (event USER_MESSAGE). Throws
// PlatformError: not_found for an unknown run, invalid for another agent's run, conflict for a
// run that is not RUNNING or was invoked already. Takes the write lock itself.
RunRecord start_created_run(Database& db, const std::string& run_id, const std::string& ns,
                            const std::string& agent, const std::string& message,
                            const json& history);
std::optional<RunRecord> find_run(Database& db, const std::string& run_id);
std::vector<Run> list_runs(Database& db, const RunFilter& filter);

// Appends an event with the next seq. Call inside a transaction (seq must not race).
void append_event(Database& db, const std::string& run_id, const std::string& type,
                  const std::string& actor, const json& data);
// Sets status (and blocked_action_id) and updated_at. Call inside a transaction.
void set_run_status(Database& db, const std::string& run_id, const std::string& status,
                    const std::string& blocked_action_id = "");
void set_run_result(Database& db, const std::string& run_id, const json& response,
                    const json& resume_state);
EventPage run_events(Database& db, const std::string& run_id, std::int64_t after_seq, int limit);

// Access requests.
std::optional<AccessRequest> find_access_request(Database& db, const std::string& id);
std::vector<AccessRequest> list_access_requests(Database& db, const ApprovalFilter& filter);
// Moves APPROVED requests whose window has passed to EXPIRED.
void expire_access_requests(Database& db);

struct HeldCall {
  std::string ns, agent, user, tool, run_id, method, path, payload_hash;
};
// An APPROVED, unexpired request that lets `call` through: scope once for the same run and
// payload not yet used (it is marked used), scope run for the same run, agent_user_ttl for the
// same agent, user and tool. Call inside a transaction. Returns the request id.
std::optional<std::string> use_grant(Database& db, const HeldCall& call);
// The PENDING request for the same run, tool and payload, or a new one. Call inside a
// transaction.
AccessRequest pending_request_for(Database& db, const HeldCall& call);
void update_access_request(Database& db, const AccessRequest& request);

}  // namespace runagents::platform::local
