// The sockets of an HTTP server that cpp-httplib does not hand out. Debian's cpp-httplib 0.11.4 is
// a compiled library that keeps its listening socket and its accepted connections to itself; both
// are found here among the process's open descriptors by the port they are bound to.
#pragma once

#include <cstddef>

namespace runagents::mcp {

// Calls listen() again on the listening socket bound to `port`, which on Linux just raises its
// backlog to SOMAXCONN (cpp-httplib listens with 5, so a burst of new clients waits for TCP
// retries).
void raise_listen_backlog(int port);

// Shuts down the reading side of every connection accepted on `port` and returns how many. A
// connection idle between keep-alive requests (cpp-httplib waits up to its keep-alive timeout for
// the next one, and does not look at stop() meanwhile) sees end of input at once and closes; a
// response being written still goes out. For shutdown, after the server stopped accepting.
size_t end_reads_on_accepted(int port);

}  // namespace runagents::mcp
