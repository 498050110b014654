#include "platform/local/devboxes/local_devbox_service.hpp"

#include "platform/local/store/identifiers.hpp"

namespace runagents::platform::local {

DevboxTunnelView LocalDevboxService::enable_tunnel(const std::string& devbox_id,
                                                   const std::string& auth_mode) {
  if (!auth_mode.empty() && auth_mode != "open")
    throw PlatformError(ErrorKind::invalid,
                        "auth_mode \"" + auth_mode +
                            "\": a local tunnel is open (it listens on the host's 127.0.0.1 "
                            "only); leave auth_mode out or give \"open\"");
  auto rt = runtimes_.runtime(devbox_id);
  std::lock_guard lock(rt->mu);
  require_status(devbox_id, {"running"}, "open a tunnel");
  rows_.touch(devbox_id);
  std::lock_guard tunnel_lock(rt->tunnel_mu);
  return enabled_tunnel(*rt);
}

DevboxTunnel LocalDevboxService::create_tunnel(const std::string& devbox_id, int port) {
  if (port < 1 || port > 65535)
    throw PlatformError(ErrorKind::invalid, "port " + std::to_string(port) +
                                                " is not a TCP port: give 1-65535 (the port "
                                                "a server in the devbox listens on)");
  auto rt = runtimes_.runtime(devbox_id);
  std::lock_guard lock(rt->mu);
  require_status(devbox_id, {"running"}, "open a tunnel");
  rows_.touch(devbox_id);
  std::lock_guard tunnel_lock(rt->tunnel_mu);
  enabled_tunnel(*rt);
  auto& forward = rt->forwards[port];
  if (!forward) {
    try {
      // Traffic through a tunnel is activity (Runloop's http_keep_alive): it restarts the idle
      // timer, at most once a second.
      auto last = std::make_shared<std::atomic<std::int64_t>>(0);
      forward = rt->sandbox->forward_port(port, [this, devbox_id, last] {
        const std::int64_t now = now_ms();
        if (now - last->load() < 1000) return;
        last->store(now);
        try {
          rows_.touch(devbox_id);
        } catch (const std::exception&) {
          // The database is busy or gone: the next connection tries again.
        }
      });
    } catch (...) {
      rt->forwards.erase(port);
      throw;
    }
  }
  return tunnel_of(devbox_id, *forward);
}

void LocalDevboxService::remove_tunnel(const std::string& devbox_id, int port) {
  get(devbox_id);  // not_found for an unknown devbox
  auto rt = runtimes_.existing(devbox_id);
  if (port == 0) {
    if (rt) rt->close_tunnels();
    return;
  }
  std::unique_ptr<PortForward> closing;  // closed outside the lock
  if (rt) {
    std::lock_guard lock(rt->tunnel_mu);
    if (auto it = rt->forwards.find(port); it != rt->forwards.end()) {
      closing = std::move(it->second);
      rt->forwards.erase(it);
    }
  }
  if (!closing)
    throw PlatformError(ErrorKind::not_found, "devbox " + devbox_id + " has no tunnel to port " +
                                                  std::to_string(port) +
                                                  "; manage_devbox action=get lists its tunnels");
}

DevboxTunnelView LocalDevboxService::enabled_tunnel(Runtime& rt) {
  if (!rt.tunnel) {
    DevboxTunnelView view;
    view.tunnel_key = new_id("");
    view.create_time_ms = now_ms();
    rt.tunnel = view;
  }
  return *rt.tunnel;
}

DevboxTunnel LocalDevboxService::tunnel_of(const std::string& devbox_id,
                                           const PortForward& forward) {
  return {devbox_id, forward.port(), "http://127.0.0.1:" + std::to_string(forward.host_port())};
}

Devbox LocalDevboxService::with_tunnels(Devbox d) {
  auto rt = runtimes_.existing(d.id);
  if (!rt) return d;
  std::lock_guard lock(rt->tunnel_mu);
  d.tunnel = rt->tunnel;
  for (const auto& [port, forward] : rt->forwards) d.tunnels.push_back(tunnel_of(d.id, *forward));
  return d;
}

}  // namespace runagents::platform::local
