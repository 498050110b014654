#include "platform/local/sandbox/execution.hpp"

#include "platform/local/sandbox/exec_state.hpp"

namespace runagents::platform::local {

Execution::Execution(std::shared_ptr<detail::ExecState> state) : state_(std::move(state)) {}

Execution::~Execution() {
  // Nothing may outlive its handle: a command nobody can see any more is killed.
  if (state_) kill();
}

ExecStatus Execution::status() const {
  std::lock_guard lock(state_->mu);
  return state_->status;
}

ExecOutput Execution::output() const {
  std::lock_guard lock(state_->mu);
  if (state_->result) return {state_->result->out, state_->result->err};
  return {state_->out.snapshot(), state_->err.snapshot()};
}

std::optional<ExecResult> Execution::result() const {
  std::lock_guard lock(state_->mu);
  return state_->result;
}

bool Execution::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->result.has_value(); });
}

ExecResult Execution::wait() const {
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->result.has_value(); });
  return *state_->result;
}

void Execution::kill() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->result) return;
  }
  state_->request_kill();
  wait();
}

}  // namespace runagents::platform::local
