#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "server/logging.hpp"

int main(int argc, char** argv) {
  // Logs go to stderr, as in the server; RUNAGENTS_LOG_LEVEL=debug shows them while debugging.
  const char* level = std::getenv("RUNAGENTS_LOG_LEVEL");
  runagents::mcp::setup_logging(level ? level : "warn");
  doctest::Context context(argc, argv);
  return context.run();
}
