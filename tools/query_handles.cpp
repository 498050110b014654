#include "tools/query_handles.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "platform/error.hpp"

namespace runagents::tools {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class MemoryQueryHandles final : public QueryHandles {
 public:
  explicit MemoryQueryHandles(QueryHandleOptions options) : options_(options) {}

  ~MemoryQueryHandles() override {
    std::vector<std::shared_ptr<Handle>> all;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      for (auto& [id, h] : handles_) all.push_back(h);
    }
    for (auto& h : all) h->cancel->cancel();
    for (auto& h : all) {
      std::thread t;
      {
        std::lock_guard lock(mu_);
        t = std::move(h->thread);
      }
      if (t.joinable()) t.join();
    }
  }

  QueryStatus start(const std::string& query_id, QueryJob job) override {
    std::vector<std::thread> done;
    QueryStatus status;
    {
      std::lock_guard lock(mu_);
      prune_locked(done);
      if (closing_)
        throw platform::PlatformError(platform::ErrorKind::unavailable,
                                      "the server is shutting down; start the query again later");
      if (running_locked() >= options_.max_running)
        throw platform::PlatformError(
            platform::ErrorKind::unavailable,
            std::to_string(options_.max_running) +
                " queries already run in the background; wait for one to finish (run_query "
                "query_id=... wait_seconds=...) or cancel one (run_query query_id=... "
                "cancel=true), then start this one again");
      if (handles_.count(query_id))
        throw platform::PlatformError(platform::ErrorKind::conflict,
                                      "query " + query_id + " already exists");
      auto h = std::make_shared<Handle>();
      h->id = query_id;
      h->started = Clock::now();
      handles_[query_id] = h;
      // Created under the lock: the thread records its end under the same lock, so prune never
      // sees a finished handle whose thread is not yet stored.
      h->thread = std::thread([this, h, job = std::move(job)] { run(h, job); });
      status = status_locked(*h);
    }
    join(done);
    return status;
  }

  std::optional<QueryStatus> wait(const std::string& query_id, milliseconds wait,
                                  mcp::Cancellation* stop, std::uint64_t after_seq,
                                  const std::function<void(const std::string&)>& on_line) override {
    const auto deadline = Clock::now() + wait;
    int hook = 0;
    if (stop) hook = stop->on_cancel([this] { wake(); });
    std::vector<std::thread> done;
    std::optional<QueryStatus> out;
    {
      std::unique_lock lock(mu_);
      prune_locked(done);
      auto it = handles_.find(query_id);
      if (it != handles_.end()) {
        std::shared_ptr<Handle> h = it->second;
        std::uint64_t seen = after_seq;
        for (;;) {
          if (on_line && h->seq > seen) {
            std::vector<std::string> lines;
            for (const auto& [seq, line] : h->recent)
              if (seq > seen) lines.push_back(line);
            seen = h->seq;
            lock.unlock();
            for (const auto& line : lines) on_line(line);
            lock.lock();
            continue;  // more may have come meanwhile
          }
          if (h->state != QueryState::running || (stop && stop->cancelled()) ||
              Clock::now() >= deadline)
            break;
          cv_.wait_until(lock, deadline);
        }
        out = status_locked(*h);
      }
    }
    if (stop && hook) stop->remove_callback(hook);
    join(done);
    return out;
  }

  std::optional<QueryStatus> cancel(const std::string& query_id, milliseconds grace) override {
    std::shared_ptr<Handle> h;
    {
      std::lock_guard lock(mu_);
      auto it = handles_.find(query_id);
      if (it == handles_.end()) return std::nullopt;
      h = it->second;
      if (h->state == QueryState::running) h->cancel_requested = true;
    }
    h->cancel->cancel();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, grace, [&] { return h->state != QueryState::running; });
    return status_locked(*h);
  }

  std::size_t running() const override {
    std::lock_guard lock(mu_);
    return running_locked();
  }

 private:
  struct Handle {
    std::string id;
    Clock::time_point started;
    Clock::time_point finished;
    QueryState state = QueryState::running;
    bool cancel_requested = false;
    std::shared_ptr<platform::ExecCancel> cancel = std::make_shared<platform::ExecCancel>();
    std::string last_line;
    std::uint64_t seq = 0;
    std::deque<std::pair<std::uint64_t, std::string>> recent;
    std::optional<mcp::ToolResult> result;
    std::thread thread;
  };

  void run(const std::shared_ptr<Handle>& h, const QueryJob& job) {
    auto progress = [this, h](const std::string& line) {
      {
        std::lock_guard lock(mu_);
        h->last_line = line;
        h->recent.emplace_back(++h->seq, line);
        while (h->recent.size() > options_.recent_lines) h->recent.pop_front();
      }
      cv_.notify_all();
    };
    QueryJobResult r;
    try {
      r = job(h->cancel, progress);
    } catch (const std::exception& e) {
      r.result = mcp::ToolResult::error(e.what());
    } catch (...) {
      r.result = mcp::ToolResult::error("the query failed with an unknown error");
    }
    {
      std::lock_guard lock(mu_);
      h->result = std::move(r.result);
      h->state = r.cancelled ? QueryState::cancelled : QueryState::completed;
      h->finished = Clock::now();
    }
    cv_.notify_all();
  }

  void wake() {
    { std::lock_guard lock(mu_); }  // a waiter between its check and its wait sees the change
    cv_.notify_all();
  }

  std::size_t running_locked() const {
    std::size_t n = 0;
    for (const auto& [id, h] : handles_) n += h->state == QueryState::running;
    return n;
  }

  QueryStatus status_locked(const Handle& h) const {
    QueryStatus s;
    s.query_id = h.id;
    s.state = h.state;
    s.last_progress = h.last_line;
    s.progress_seq = h.seq;
    s.elapsed = std::chrono::duration_cast<milliseconds>(
        (h.state == QueryState::running ? Clock::now() : h.finished) - h.started);
    s.result = h.result;
    return s;
  }

  // Takes the threads of ended queries (joined by the caller, outside the lock) and drops the
  // finished queries past their time or past max_finished, oldest first.
  void prune_locked(std::vector<std::thread>& done) {
    const auto now = Clock::now();
    std::vector<std::shared_ptr<Handle>> finished;
    for (auto& [id, h] : handles_) {
      if (h->state == QueryState::running) continue;
      if (h->thread.joinable()) done.push_back(std::move(h->thread));
      finished.push_back(h);
    }
    std::sort(finished.begin(), finished.end(),
              [](const auto& a, const auto& b) { return a->finished < b->finished; });
    std::size_t left = finished.size();
    for (const auto& h : finished) {
      if (left <= options_.max_finished && now - h->finished < options_.keep_finished) break;
      handles_.erase(h->id);
      --left;
    }
  }

  static void join(std::vector<std::thread>& threads) {
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }

  const QueryHandleOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closing_ = false;
  std::map<std::string, std::shared_ptr<Handle>> handles_;
};

}  // namespace

std::shared_ptr<QueryHandles> make_memory_query_handles(QueryHandleOptions options) {
  return std::make_shared<MemoryQueryHandles>(options);
}

}  // namespace runagents::tools
