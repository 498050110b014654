// The environment every sandbox command starts with, before the devbox's own variables: what a
// local devbox's "image" defines (a blueprint's dockerfile expands $PATH and friends against it).
// Internal to platform/local.
#pragma once

#include <map>
#include <string>

namespace runagents::platform::local {

inline std::map<std::string, std::string> sandbox_base_environment() {
  return {
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", "/home/user"},
      {"LANG", "C.UTF-8"},
      {"TERM", "dumb"},
      {"SHELL", "/bin/bash"},
  };
}

}  // namespace runagents::platform::local
