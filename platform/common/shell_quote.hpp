// Quoting for bash command lines the platform builds (cd into a directory, export a variable).
#pragma once

#include <string>

namespace runagents::platform {

// `s` as one bash word: single-quoted, each ' written as '\''.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace runagents::platform
