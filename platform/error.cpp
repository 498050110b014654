#include "platform/error.hpp"

namespace runagents::platform {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::invalid:
      return "invalid";
    case ErrorKind::conflict:
      return "conflict";
    case ErrorKind::unauthorized:
      return "unauthorized";
    case ErrorKind::forbidden:
      return "forbidden";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::cancelled:
      return "cancelled";
    case ErrorKind::limit_reached:
      return "limit_reached";
    case ErrorKind::internal:
      return "internal";
  }
  return "internal";
}

}  // namespace runagents::platform
