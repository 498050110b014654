#include "platform/local/sandbox/exec_state.hpp"

namespace runagents::platform::local {
namespace detail {

ExecState::ExecState(std::size_t output_cap, LineCallback on_line_cb,
                     std::shared_ptr<ExecCancel> cancel_signal, std::chrono::milliseconds limit,
                     OutputFiles output_files)
    : on_line(std::move(on_line_cb)),
      cancel(std::move(cancel_signal)),
      timeout(limit),
      out(output_cap),
      err(output_cap),
      files(std::move(output_files)),
      out_lines_(OutputStream::stdout_stream, &on_line),
      err_lines_(OutputStream::stderr_stream, &on_line) {
  if (cancel) cancel->fd();
}

void ExecState::set_running() {
  std::lock_guard lock(mu);
  if (status == ExecStatus::queued) {
    status = ExecStatus::running;
    started = Clock::now();
  }
}

void ExecState::append(OutputStream stream, std::string_view data) {
  const bool is_out = stream == OutputStream::stdout_stream;
  {
    std::lock_guard lock(mu);
    (is_out ? out : err).append(data);
    if (auto& file = is_out ? files.out : files.err) file->write(data);
  }
  (is_out ? out_lines_ : err_lines_).feed(data);
}

void ExecState::complete(ExecResult r) {
  out_lines_.finish();
  err_lines_.finish();
  {
    std::lock_guard lock(mu);
    if (result) return;
    if (status == ExecStatus::running)
      r.duration_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    r.out = out.snapshot();
    r.err = err.snapshot();
    if (files.out) files.out->describe(r.out);
    if (files.err) files.err->describe(r.err);
    files = {};  // closed: the files are whole
    result = std::move(r);
    status = ExecStatus::completed;
    kill_fn = nullptr;
    stdin_open = false;
  }
  cv.notify_all();
}

void ExecState::request_kill() {
  kill_requested.store(true);
  std::function<void()> fn;
  {
    std::lock_guard lock(mu);
    fn = kill_fn;
  }
  if (fn) fn();
}

}  // namespace detail
}  // namespace runagents::platform::local
