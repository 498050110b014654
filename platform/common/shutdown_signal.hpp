// SIGTERM/SIGINT turned into a readable file descriptor (self-pipe), so transports can wait for
// input and for shutdown with one poll(). install() is idempotent; SIGPIPE is ignored so a client
// that goes away produces EPIPE instead of killing the server.
#pragma once

namespace runagents::common::shutdown_signal {

void install();
// Readable once a termination signal arrived (or trigger() was called).
int fd();
bool requested();
void trigger();

}  // namespace runagents::common::shutdown_signal
