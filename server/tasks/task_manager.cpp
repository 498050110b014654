#include "server/tasks/task_manager.hpp"

#include <algorithm>
#include <atomic>
#include <set>

#include "platform/common/random_hex.hpp"
#include "server/tasks/task_wire.hpp"

namespace runagents::mcp {

namespace {

using Clock = std::chrono::steady_clock;

// Tasks proper: the store also keeps run_query handles (era "query"), which are not tasks.
bool is_task(const TaskRecord& record) {
  return record.era == "modern" || record.era == "legacy";
}

constexpr const char* kExpired = "Failed to retrieve task: Task has expired";
constexpr const char* kOwnerExited =
    "the server process running this task exited before the task finished";
constexpr const char* kShutDown = "the server shut down before the task finished";
constexpr const char* kCancelledByClient = "the client cancelled the task (tasks/cancel)";
constexpr const char* kExpiredWhileRunning = "the task expired (its ttl passed) while running";
constexpr auto kPurgeInterval = std::chrono::seconds(60);

std::string new_task_id() {
  return common::strict_random_hex(16, "the OS random source failed; cannot create a task id");
}

std::string task_id_param(const json& params) {
  if (!params.is_object())
    throw RpcError(error_code::invalid_params, "params must be an object with a taskId");
  auto it = params.find("taskId");
  if (it == params.end() || !it->is_string() || it->get<std::string>().empty())
    throw RpcError(error_code::invalid_params, "taskId must be a non-empty string");
  return it->get<std::string>();
}

json error_object(int code, const std::string& message, const json& data = nullptr) {
  json e = {{"code", code}, {"message", message}};
  if (!data.is_null()) e["data"] = data;
  return e;
}

std::string terminal_message(TaskStatus status) {
  return std::string("Cannot cancel task: already in terminal status '") + to_string(status) + "'";
}

json with_related_task(json message, const std::string& id) {
  if (!message.is_object()) message = json::object();
  if (!message.contains("_meta") || !message["_meta"].is_object())
    message["_meta"] = json::object();
  message["_meta"][kRelatedTaskMeta] = {{"taskId", id}};
  return message;
}

}  // namespace

// One task this manager runs: its thread, its cancellation, and the channel its work talks to.
struct TaskManager::Running : TaskChannel {
  Running(TaskManager& manager, std::string id, Era era, std::shared_ptr<Outbound> status_out)
      : manager(manager), id(std::move(id)), era(era), status_out(std::move(status_out)) {}
  ~Running() override { cancel->remove_callback(cancel_callback); }

  json await_input(const json& requests, const Cancellation& cancellation) override;
  void status(const std::string& message) override;

  // Writes the latest status line when it has not been written yet (and, unless `force`, when
  // the last write is at least status_write_interval old).
  void flush_status(bool force);
  // Input arrived in this process, or the task was cancelled: stop waiting and look.
  void wake() {
    {
      std::lock_guard lock(mu);
      input_arrived = true;
    }
    cv.notify_all();
  }

  TaskManager& manager;
  const std::string id;
  const Era era;
  const std::shared_ptr<Outbound> status_out;        // legacy notifications/tasks/status, or null
  TaskStatus notified_status = TaskStatus::working;  // guarded by mu: the last one sent
  const std::shared_ptr<Cancellation> cancel = std::make_shared<Cancellation>();
  int cancel_callback = 0;
  std::atomic<bool> by_shutdown{false};  // set before cancel when shutdown() cancels

  std::thread thread;  // guarded by manager.mu_
  bool done = false;   // guarded by manager.mu_; the work returned and the outcome is written
  std::optional<Clock::time_point> cancel_seen_at;  // watcher thread only

  std::mutex mu;
  std::condition_variable cv;
  bool input_arrived = false;
  std::string pending_status;
  bool status_dirty = false;
  Clock::time_point last_status_write{};
};

void TaskManager::Running::status(const std::string& message) {
  {
    std::lock_guard lock(mu);
    pending_status = message;
    status_dirty = true;
  }
  flush_status(false);
}

void TaskManager::Running::flush_status(bool force) {
  std::string message;
  {
    std::lock_guard lock(mu);
    auto now = Clock::now();
    if (!status_dirty) return;
    if (!force && now - last_status_write < manager.options_.status_write_interval) return;
    message = pending_status;
    status_dirty = false;
    last_status_write = now;
  }
  try {
    if (manager.store_->set_status_message(id, message)) manager.notify(id);
  } catch (const std::exception&) {
    // A status line is best effort: the next one (or the outcome) is written again.
  }
}

json TaskManager::Running::await_input(const json& requests, const Cancellation& cancellation) {
  if (!requests.is_object() || requests.empty())
    throw ClientRequestError("a task asked for input without naming any request");
  auto check_cancelled = [&] {
    if (cancellation.cancelled() || cancel->cancelled())
      throw ClientRequestError("the task was cancelled while it waited for input from the client");
  };
  check_cancelled();
  {
    std::lock_guard lock(mu);
    input_arrived = false;
  }
  if (!manager.store_->request_input(id, requests))
    throw ClientRequestError("the task ended while it waited for input from the client");
  manager.notify(id);
  json answers = json::object();
  for (;;) {
    check_cancelled();
    json taken = manager.store_->take_input_responses(id);
    for (auto it = taken.begin(); it != taken.end(); ++it)
      if (requests.contains(it.key())) answers[it.key()] = it.value();
    if (answers.size() == requests.size()) return answers;
    // tasks/update in this process wakes us at once; one in another process is seen by polling.
    std::unique_lock lock(mu);
    cv.wait_for(lock, manager.options_.input_poll_interval,
                [&] { return input_arrived || cancel->cancelled(); });
    input_arrived = false;
  }
}

TaskManager::TaskManager(std::shared_ptr<TaskStore> store, std::string owner,
                         TaskManagerOptions options)
    : store_(std::move(store)),
      owner_(std::move(owner)),
      options_(options),
      last_purge_(Clock::now()),
      watcher_([this] { watch(); }) {}

TaskManager::~TaskManager() {
  shutdown(options_.cancel_grace);
  std::map<std::string, std::shared_ptr<Running>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(running_);
  }
  for (auto& [id, task] : left)
    if (task->thread.joinable()) task->thread.join();
}

void TaskManager::on_change(std::function<void(const TaskRecord&)> listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void TaskManager::notify(const std::string& id) {
  std::vector<std::function<void(const TaskRecord&)>> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = listeners_;
  }
  auto task = find_running(id);
  const bool legacy_out = task && task->status_out;
  if (listeners.empty() && !legacy_out) return;
  std::optional<TaskRecord> record;
  try {
    record = store_->get(id);
  } catch (const std::exception&) {
    return;  // notifications are best effort; tasks/get reads the store again
  }
  if (!record) return;
  if (legacy_out) {
    // 2025-11-25 notifications/tasks/status (optional): once per change of status.
    bool changed;
    {
      std::lock_guard lock(task->mu);
      changed = task->notified_status != record->status;
      task->notified_status = record->status;
    }
    if (changed) {
      task->status_out->send({{"jsonrpc", "2.0"},
                              {"method", "notifications/tasks/status"},
                              {"params", legacy_task(*record)}});
    }
  }
  for (auto& listener : listeners) {
    try {
      listener(*record);
    } catch (...) {
      // A listener's failure (a closed stream) is not the task's.
    }
  }
}

std::shared_ptr<TaskManager::Running> TaskManager::find_running(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(id);
  return it == running_.end() ? nullptr : it->second;
}

json TaskManager::start(const TaskStart& start, TaskWork work) {
  {
    std::lock_guard lock(mu_);
    if (stopping_)
      throw RpcError(error_code::internal_error, "the server is shutting down; no task started");
  }
  TaskRecord record;
  record.id = new_task_id();
  record.era = start.era == Era::modern ? "modern" : "legacy";
  record.tool = start.tool;
  record.owner = owner_;
  record.principal = start.principal;
  record.created_ms = record.updated_ms = now_epoch_ms();
  record.ttl_ms = std::clamp(start.ttl_ms.value_or(options_.default_ttl_ms), options_.min_ttl_ms,
                             options_.max_ttl_ms);
  record.poll_interval_ms = options_.poll_interval_ms;
  store_->create(record);  // durable before the client can hear of the id

  auto task = std::make_shared<Running>(
      *this, record.id, start.era, start.era == Era::legacy ? start.status_notifications : nullptr);
  // Weak: the work may keep the Cancellation, and cancel it, after the Running is gone.
  task->cancel_callback = task->cancel->on_cancel([weak = std::weak_ptr<Running>(task)] {
    if (auto t = weak.lock()) t->wake();
  });
  try {
    std::lock_guard lock(mu_);
    if (stopping_)
      throw RpcError(error_code::internal_error, "the server is shutting down; no task started");
    task->thread = std::thread([this, task, work = std::move(work)] { run(task, work); });
    running_[record.id] = task;
  } catch (const std::exception& e) {
    store_->finish(record.id, TaskStatus::failed, nullptr,
                   error_object(error_code::internal_error, e.what()), e.what());
    throw;
  }
  return start.era == Era::modern ? modern_create_result(record) : legacy_create_result(record);
}

void TaskManager::run(const std::shared_ptr<Running>& task, const TaskWork& work) {
  TaskStatus status = TaskStatus::completed;
  json result, error;
  std::string message;
  try {
    result = work(*task, task->cancel);
    auto is_error = result.is_object() ? result.find("isError") : result.end();
    if (!result.is_object()) {
      status = TaskStatus::failed;
      message = "the tool returned no result";
      error = error_object(error_code::internal_error, message);
      result = nullptr;
    } else if (is_error != result.end() && is_error->is_boolean() && is_error->get<bool>() &&
               task->era == Era::legacy) {
      // 2025-11-25 counts a tool error as failed; VS Code shows only statusMessage.
      status = TaskStatus::failed;
      message = result_text(result);
      if (message.empty()) message = "the tool reported an error";
    }
  } catch (const RpcError& e) {
    status = TaskStatus::failed;
    message = e.what();
    error = error_object(e.code(), e.what(), e.data());
    result = nullptr;
  } catch (const std::exception& e) {
    status = TaskStatus::failed;
    message = e.what();
    error = error_object(error_code::internal_error, e.what());
    result = nullptr;
  } catch (...) {
    status = TaskStatus::failed;
    message = "the tool failed";
    error = error_object(error_code::internal_error, message);
    result = nullptr;
  }
  if (task->cancel->cancelled()) {
    // Whatever the work made of its cancellation (an early result, an error), the outcome is the
    // cancellation: by the client (cancelled), or by shutdown (failed, the client did not ask).
    result = nullptr;
    if (task->by_shutdown) {
      status = TaskStatus::failed;
      message = kShutDown;
      error = error_object(error_code::internal_error, kShutDown);
    } else {
      status = TaskStatus::cancelled;
      message = task->cancel->reason();
      error = nullptr;
    }
  }
  try {
    if (store_->finish(task->id, status, result, error, message)) notify(task->id);
  } catch (const std::exception&) {
    // The store is unreachable; a later lookup sees the owner gone once this process exits.
  }
  {
    std::lock_guard lock(mu_);
    task->done = true;
  }
  watch_cv_.notify_all();
}

void TaskManager::watch() {
  std::unique_lock lock(mu_);
  while (!watcher_stopping_) {
    watch_cv_.wait_for(lock, options_.watch_interval);
    if (watcher_stopping_) break;
    lock.unlock();
    watch_once();
    lock.lock();
  }
}

void TaskManager::watch_once() {
  std::vector<std::shared_ptr<Running>> live;
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = running_.begin(); it != running_.end();) {
      if (it->second->done) {
        finished.push_back(std::move(it->second->thread));
        it = running_.erase(it);
      } else {
        live.push_back(it->second);
        ++it;
      }
    }
  }
  for (auto& t : finished)
    if (t.joinable()) t.join();

  auto now = Clock::now();
  for (auto& task : live) {
    task->flush_status(false);
    std::optional<TaskRecord> record;
    try {
      record = store_->get(task->id);
    } catch (const std::exception&) {
      continue;  // look again next time
    }
    if (!record)
      task->cancel->cancel(kExpiredWhileRunning);  // purged: nobody can reach its result
    else if (record->cancel_requested || is_terminal(record->status))
      task->cancel->cancel(kCancelledByClient);
    if (!task->cancel->cancelled() || task->by_shutdown) continue;
    if (!task->cancel_seen_at) {
      task->cancel_seen_at = now;
    } else if (now - *task->cancel_seen_at >= options_.cancel_grace) {
      try {
        if (store_->finish(task->id, TaskStatus::cancelled, nullptr, nullptr,
                           task->cancel->reason()))
          notify(task->id);
      } catch (const std::exception&) {
      }
    }
  }

  if (now - last_purge_ >= kPurgeInterval) {
    last_purge_ = now;
    try {
      store_->purge_expired(now_epoch_ms());
    } catch (const std::exception&) {
    }
  }
}

bool TaskManager::shutdown(std::chrono::milliseconds grace) {
  std::vector<std::shared_ptr<Running>> tasks;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, task] : running_)
      if (!task->done) tasks.push_back(task);
  }
  for (auto& task : tasks) {
    task->by_shutdown = true;
    task->cancel->cancel("the server shut down");
  }
  {
    std::unique_lock lock(mu_);
    watch_cv_.wait_for(lock, grace, [&] {
      return std::all_of(tasks.begin(), tasks.end(), [](const auto& t) { return t->done; });
    });
    std::erase_if(tasks, [](const auto& t) { return t->done; });
  }
  for (auto& task : tasks) {
    try {
      if (store_->finish(task->id, TaskStatus::failed, nullptr,
                         error_object(error_code::internal_error, kShutDown), kShutDown))
        notify(task->id);
    } catch (const std::exception&) {
    }
  }
  bool join_watcher = false;
  {
    std::lock_guard lock(mu_);
    join_watcher = !watcher_stopping_;
    watcher_stopping_ = true;
  }
  watch_cv_.notify_all();
  if (join_watcher && watcher_.joinable()) watcher_.join();
  return tasks.empty();
}

void TaskManager::reconcile(TaskRecord& record) {
  if (is_terminal(record.status) || record.owner == owner_ || process_alive(record.owner)) return;
  if (store_->finish(record.id, TaskStatus::failed, nullptr,
                     error_object(error_code::internal_error, kOwnerExited), kOwnerExited))
    notify(record.id);
  if (auto fresh = store_->get(record.id)) record = std::move(*fresh);
}

TaskRecord TaskManager::load(const std::string& id, const std::string& principal) {
  auto record = store_->get(id);
  if (!record || !is_task(*record) || !record->visible_to(principal))
    throw RpcError(error_code::invalid_params, kTaskNotFound);
  auto now = now_epoch_ms();
  if (record->expired(now)) {
    store_->purge_expired(now);
    throw RpcError(error_code::invalid_params, kExpired);
  }
  reconcile(*record);
  return *record;
}

json TaskManager::get(Era era, const json& params, const std::string& principal) {
  TaskRecord record = load(task_id_param(params), principal);
  return era == Era::modern ? modern_get_result(record) : legacy_task(record);
}

json TaskManager::update(const json& params, const std::string& principal) {
  std::string id = task_id_param(params);
  const json& responses = input_responses_param(params);
  TaskRecord before = load(id, principal);
  // Applied before the ack, so the client's next tasks/get already shows what is left.
  store_->add_input_responses(id, responses);
  if (auto task = find_running(id)) task->wake();
  if (before.status == TaskStatus::input_required) notify(id);
  return {{"resultType", "complete"}};
}

json TaskManager::cancel(Era era, const json& params, const std::string& principal) {
  std::string id = task_id_param(params);
  TaskRecord record = load(id, principal);
  if (era == Era::modern) {
    // Cooperative: the owner stops the work and the task settles; terminal tasks get the same ack.
    if (!is_terminal(record.status)) {
      store_->request_cancel(id);
      if (auto task = find_running(id)) task->cancel->cancel(kCancelledByClient);
    }
    return {{"resultType", "complete"}};
  }
  // Legacy: the answer is the task already cancelled.
  if (is_terminal(record.status))
    throw RpcError(error_code::invalid_params, terminal_message(record.status));
  store_->request_cancel(id);
  if (!store_->finish(id, TaskStatus::cancelled, nullptr, nullptr, kCancelledByClient)) {
    auto now = store_->get(id);
    throw RpcError(error_code::invalid_params,
                   now ? terminal_message(now->status) : std::string(kTaskNotFound));
  }
  if (auto task = find_running(id)) task->cancel->cancel(kCancelledByClient);
  notify(id);
  auto cancelled = store_->get(id);
  if (!cancelled) throw RpcError(error_code::invalid_params, kTaskNotFound);
  return legacy_task(*cancelled);
}

json TaskManager::list(const json& params, const std::string& principal) {
  std::string cursor;
  if (params.is_object() && params.contains("cursor") && !params["cursor"].is_null()) {
    if (!params["cursor"].is_string())
      throw RpcError(error_code::invalid_params, "cursor must be a string from nextCursor");
    cursor = params["cursor"].get<std::string>();
    auto anchor = cursor.empty() ? std::nullopt : store_->get(cursor);
    if (!anchor || !anchor->visible_to(principal))
      throw RpcError(error_code::invalid_params, "Invalid cursor: it names no task of yours");
  }
  auto page = store_->list(principal, cursor, options_.list_page_size + 1);
  bool more = page.size() > options_.list_page_size;
  if (more) page.resize(options_.list_page_size);
  json tasks = json::array();
  auto now = now_epoch_ms();
  for (auto& record : page) {
    if (record.expired(now) || !is_task(record)) continue;
    reconcile(record);
    tasks.push_back(legacy_task(record));
  }
  json out = {{"tasks", std::move(tasks)}};
  if (more) out["nextCursor"] = page.back().id;
  return out;
}

json TaskManager::result(const json& params, const std::string& principal,
                         const Cancellation& waiter, const InputRelay& relay) {
  std::string id = task_id_param(params);
  std::set<std::string> relayed;  // each request goes to the client once per call
  for (;;) {
    TaskRecord record = load(id, principal);
    if (is_terminal(record.status)) {
      if (record.status == TaskStatus::cancelled)
        throw RpcError(error_code::invalid_params,
                       "Task " + id + " was cancelled; it has no result");
      if (record.result.is_object()) return with_related_task(record.result, id);
      const json& e = record.error;
      throw RpcError(
          e.is_object() ? e.value("code", error_code::internal_error) : error_code::internal_error,
          e.is_object() ? e.value("message", record.status_message) : record.status_message,
          e.is_object() && e.contains("data") ? e["data"] : json(nullptr));
    }
    bool sent = false;
    if (relay && record.status == TaskStatus::input_required && record.input_requests.is_object()) {
      for (auto it = record.input_requests.begin(); it != record.input_requests.end(); ++it) {
        if (!it->is_object() || !relayed.insert(it.key()).second) continue;
        json request_params = it->contains("params") ? (*it)["params"] : json::object();
        json answer = relay(it->value("method", ""), with_related_task(request_params, id));
        store_->add_input_responses(id, {{it.key(), answer}});
        if (auto task = find_running(id)) task->wake();
        sent = true;
      }
      if (sent) notify(id);
    }
    if (!sent && !waiter.sleep_for(options_.input_poll_interval))
      throw RpcError(error_code::internal_error,
                     "tasks/result was cancelled before the task finished");
  }
}

}  // namespace runagents::mcp
