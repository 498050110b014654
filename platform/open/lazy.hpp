// Lazy opening as a decorator on a forwarding wrapper (platform.hpp, devboxes.hpp): Lazy<Wrapper>
// forwards every call of Wrapper's interface to the service `open` returns on the first call.
// `open` runs under a mutex, so concurrent first calls open once; while it throws, each call
// rethrows its error and the next call tries again; once it returned, its service is kept.
//
//   std::make_shared<Lazy<DevboxServiceWrapper>>([options] { return open_devboxes(options); });
//
// Thread-safety: as safe as the opened service; opening is serialised.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

namespace runagents::platform {

template <typename Wrapper>
class Lazy final : public Wrapper {
 public:
  using Interface = typename Wrapper::Interface;

  explicit Lazy(std::function<std::shared_ptr<Interface>()> open) : open_(std::move(open)) {}

 protected:
  Interface& target() override {
    std::lock_guard lock(mu_);
    if (!service_) service_ = open_();
    return *service_;
  }

 private:
  std::mutex mu_;
  std::function<std::shared_ptr<Interface>()> open_;
  std::shared_ptr<Interface> service_;
};

}  // namespace runagents::platform
