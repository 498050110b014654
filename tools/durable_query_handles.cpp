// make_durable_query_handles(): run_query handles that every server process on one task store can
// wait on and cancel (tools/query_handles.hpp). The queries started here run in the memory
// registry; this layer mirrors each one into the store and answers ids it does not run from the
// store's record.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "tools/query_handles.hpp"

namespace runagents::tools {

namespace {

using std::chrono::milliseconds;

constexpr const char* kEra = "query";
constexpr milliseconds kProgressWriteEvery{1000};
constexpr milliseconds kCancelWatchEvery{500};
constexpr milliseconds kStorePollEvery{250};
constexpr const char* kOwnerGone =
    "the server process that ran this query has exited (it was stopped or crashed); nothing of "
    "the query is left running. Start it again with run_query {\"prompt\": ..., \"async\": true}.";

class DurableQueryHandles final : public QueryHandles {
 public:
  DurableQueryHandles(std::shared_ptr<mcp::TaskStore> store, QueryHandleOptions options)
      : store_(std::move(store)), options_(options), local_(make_memory_query_handles(options)) {}

  ~DurableQueryHandles() override {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    if (watcher_.joinable()) watcher_.join();
    local_.reset();  // cancels and joins every query; each writes its end to the store
  }

  QueryStatus start(const std::string& query_id, QueryJob job) override {
    mcp::TaskRecord record;
    record.id = query_id;
    record.era = kEra;
    record.tool = "run_query";
    record.owner = mcp::process_identity();
    record.created_ms = record.updated_ms = mcp::now_epoch_ms();
    bool durable = true;
    try {
      store_->create(record);  // before the id goes out, so any process can answer for it
    } catch (const std::exception& e) {
      durable = false;
      spdlog::warn("query {} is kept in this process only: cannot write it to the task store: {}",
                   query_id, e.what());
    }
    if (durable) {
      std::lock_guard lock(mu_);
      mirrored_.insert(query_id);
      if (!watcher_.joinable()) watcher_ = std::thread([this] { watch_cancels(); });
    }
    auto mirrored = [this, query_id, durable, job = std::move(job)](
                        const std::shared_ptr<platform::ExecCancel>& cancel,
                        const std::function<void(const std::string&)>& progress) {
      auto last_write = std::chrono::steady_clock::now() - kProgressWriteEvery;
      auto on_line = [&](const std::string& line) {
        progress(line);
        if (!durable || std::chrono::steady_clock::now() - last_write < kProgressWriteEvery) return;
        last_write = std::chrono::steady_clock::now();
        try {
          store_->set_status_message(query_id, line);
        } catch (const std::exception&) {
        }
      };
      QueryJobResult r;
      try {
        r = job(cancel, on_line);
      } catch (const std::exception& e) {
        r.result = mcp::ToolResult::error(e.what());
      } catch (...) {
        r.result = mcp::ToolResult::error("the query failed with an unknown error");
      }
      if (durable) record_end(query_id, r);
      return r;
    };
    try {
      return local_->start(query_id, std::move(mirrored));
    } catch (const std::exception& e) {
      if (durable) record_end(query_id, {mcp::ToolResult::error(e.what()), false});
      throw;
    }
  }

  std::optional<QueryStatus> wait(const std::string& query_id, milliseconds wait,
                                  mcp::Cancellation* stop, std::uint64_t after_seq,
                                  const std::function<void(const std::string&)>& on_line) override {
    if (auto s = local_->wait(query_id, wait, stop, after_seq, on_line)) return s;
    return wait_on_store(query_id, wait, stop, after_seq, on_line);
  }

  std::optional<QueryStatus> cancel(const std::string& query_id, milliseconds grace) override {
    if (auto s = local_->cancel(query_id, grace)) return s;
    auto record = load(query_id);
    if (!record) return std::nullopt;
    if (!mcp::is_terminal(record->status)) store_->request_cancel(query_id);
    return wait_on_store(query_id, grace, nullptr, UINT64_MAX, nullptr);
  }

  std::size_t running() const override { return local_->running(); }

 private:
  // Writes how a query started here ended; the record then lives keep_finished longer.
  void record_end(const std::string& id, const QueryJobResult& r) {
    try {
      auto status = r.cancelled ? mcp::TaskStatus::cancelled : mcp::TaskStatus::completed;
      store_->finish(id, status, r.result.to_json(), nullptr, "");
      store_->update(id, [this](mcp::TaskRecord& rec) {
        rec.ttl_ms = rec.updated_ms - rec.created_ms +
                     std::chrono::duration_cast<milliseconds>(options_.keep_finished).count();
        return true;
      });
    } catch (const std::exception& e) {
      spdlog::warn("query {}: cannot write its end to the task store: {}", id, e.what());
    }
    std::lock_guard lock(mu_);
    mirrored_.erase(id);
  }

  // The owner's side of a cancel from another process: the marked records of queries run here.
  void watch_cancels() {
    std::unique_lock lock(mu_);
    while (!closing_) {
      cv_.wait_for(lock, kCancelWatchEvery, [this] { return closing_; });
      if (closing_) break;
      std::vector<std::string> ids(mirrored_.begin(), mirrored_.end());
      lock.unlock();
      for (const auto& id : ids) {
        try {
          auto record = store_->get(id);
          if (record && record->cancel_requested && !mcp::is_terminal(record->status))
            local_->cancel(id, milliseconds(0));
        } catch (const std::exception&) {
        }
      }
      lock.lock();
    }
  }

  // The record of a query (not expired), with a running query whose owner has exited written as
  // ended; nullopt when the store has no such query.
  std::optional<mcp::TaskRecord> load(const std::string& id) {
    auto record = store_->get(id);
    const auto now = mcp::now_epoch_ms();
    if (!record || record->era != kEra || record->expired(now)) return std::nullopt;
    if (!mcp::is_terminal(record->status) && record->owner != mcp::process_identity() &&
        !mcp::process_alive(record->owner)) {
      store_->finish(id, mcp::TaskStatus::failed, mcp::ToolResult::error(kOwnerGone).to_json(),
                     nullptr, kOwnerGone);
      record = store_->get(id);
    }
    return record;
  }

  static QueryStatus status_of(const mcp::TaskRecord& r) {
    QueryStatus s;
    s.query_id = r.id;
    s.last_progress = r.status_message;
    s.progress_seq = static_cast<std::uint64_t>(r.updated_ms);
    const bool ended = mcp::is_terminal(r.status);
    s.elapsed = milliseconds((ended ? r.updated_ms : mcp::now_epoch_ms()) - r.created_ms);
    if (!ended) return s;
    s.state =
        r.status == mcp::TaskStatus::cancelled ? QueryState::cancelled : QueryState::completed;
    s.result = mcp::ToolResult::from_json(r.result);
    return s;
  }

  // A query another process runs: polls its record until it ends, `wait` passes or `stop` fires.
  // Progress is the record's latest line, handed to `on_line` when it changed after `after_seq`
  // (the record's update time).
  std::optional<QueryStatus> wait_on_store(const std::string& id, milliseconds wait,
                                           mcp::Cancellation* stop, std::uint64_t after_seq,
                                           const std::function<void(const std::string&)>& on_line) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    std::optional<QueryStatus> out;
    for (;;) {
      auto record = load(id);
      if (!record) break;
      out = status_of(*record);
      if (on_line && out->progress_seq > after_seq && !out->last_progress.empty()) {
        on_line(out->last_progress);
        after_seq = out->progress_seq;
      }
      const auto now = std::chrono::steady_clock::now();
      if (out->state != QueryState::running || (stop && stop->cancelled()) || now >= deadline)
        break;
      const auto nap =
          std::min<std::chrono::steady_clock::duration>(kStorePollEvery, deadline - now);
      if (stop)
        stop->sleep_for(nap);
      else
        std::this_thread::sleep_for(nap);
    }
    return out;
  }

  const std::shared_ptr<mcp::TaskStore> store_;
  const QueryHandleOptions options_;
  std::shared_ptr<QueryHandles> local_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool closing_ = false;
  std::set<std::string> mirrored_;  // queries run here whose records are in the store
  std::thread watcher_;
};

}  // namespace

std::shared_ptr<QueryHandles> make_durable_query_handles(std::shared_ptr<mcp::TaskStore> store,
                                                         QueryHandleOptions options) {
  return std::make_shared<DurableQueryHandles>(std::move(store), options);
}

}  // namespace runagents::tools
