// The remote face of run_query: a QueryRunner (platform/queries.hpp) that hands the query to an
// agent runtime speaking the RuntimeUse WebSocket protocol (getlark/runtimeuse v0.15.1;
// shared/reference/runloop-and-runtimeuse.md, B) at request.runtime_url.
//
// One run() is one WebSocket session (ws:// plain, wss:// TLS with the system's trust store and
// SNI):
//   1. connect; failure throws PlatformError(unavailable) and nothing was started;
//   2. send one invocation_message carrying every field (secrets_to_redact always an array);
//   3. read frames: assistant_message and command_output_message go to the observer,
//      heartbeat_message only proves the runtime is alive, artifact_upload_request_message is
//      answered with a single-use PUT URL on a small upload receiver this client runs (see
//      below), non-JSON frames and unknown message types are ignored;
//   4. the terminal frame: result_message (text or structured_output) or error_message. An error
//      is followed by a short settle time: a handler error produces two error frames (B.9.3); the
//      first is the error, all of them go to metadata.errors;
//   5. send end_session_message and keep answering upload requests until end_session_confirm
//      or the socket closes (bounded by end_session_timeout), then wait briefly for uploads
//      already handed out, then close the socket.
// Timeout (request.timeout, from the start, until the terminal frame) and cancel (request.cancel,
// any thread, at any point): send cancel_message, wait up to cancel_grace for the runtime's
// terminal frame, then close. The result is then an error with timed_out, or cancelled (a cancel
// after the answer, while artifacts drain, also ends the session at once and sets cancelled).
// The socket closing before a terminal frame is an error naming the close code. The end of the
// session (step 5) is bounded by end_session_timeout and upload_wait, not by request.timeout: an
// answer that arrived in time is kept. Bad requests (runtime_url not ws/wss, empty prompt,
// timeout < 1 s) throw PlatformError(invalid).
//
// Artifacts: each upload request gets a URL http://<upload_host>:<port>/upload/<token> with a
// random single-use token. The receiver listens on an ephemeral port of upload_host, started on
// the first upload request and stopped before run() returns. An unknown or used token gets 404,
// a body over max_artifact_bytes (or past max_total_artifact_bytes for the query) 413. Received
// files become QueryResult::artifacts. The runtime must be able to reach the receiver: with the
// default 127.0.0.1 that means a runtime on this host (or a tunnel; see upload_public_url).
//
// Model: the runtime does not check `model`; it hands it to its agent handler as given (the
// Python client requires the field, not a value). Only the runtime knows which models its agent
// can use (claude or openai), so when the request names none this client sends
// RuntimeUseOptions::default_model, "" by default, leaving the choice to the agent SDK's own
// default. Set default_model when a runtime's handler needs a name.
//
// Secrets: request.secrets are sent as secrets_to_redact and also redacted here in everything
// put into the result and passed to the observer. Log lines never carry frame contents.
//
// Thread safety: run() may be called from many threads at once; each call has its own
// io_context (run on the calling thread), socket and receiver, and leaves nothing running.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "platform/queries.hpp"

namespace runagents::platform::remote {

struct RuntimeUseOptions {
  // Opening the socket (TCP, TLS and WebSocket handshakes), bounded also by request.timeout.
  std::chrono::milliseconds connect_timeout{30000};
  // After a cancel or a timeout: how long the runtime has to send its terminal frame.
  std::chrono::milliseconds cancel_grace{5000};
  // After an error_message: how long further frames are collected before ending.
  std::chrono::milliseconds error_settle{1000};
  // After end_session_message: how long to wait for end_session_confirm_message (the runtime
  // drains artifact uploads first; also bounded by what is left of request.timeout).
  std::chrono::milliseconds end_session_timeout{90000};
  // After the session ended: how long uploads already handed out may still take to arrive.
  std::chrono::milliseconds upload_wait{5000};
  // The WebSocket close handshake.
  std::chrono::milliseconds close_timeout{2000};

  std::string default_system_prompt =
      "You are a capable software agent working in a sandbox. Complete the user's task, using "
      "the tools available, and answer concisely with the result.";
  std::string default_model;  // "" = the runtime's agent default

  // Upload receiver: the address it binds, and the base URL the runtime is told to PUT to
  // ("" = http://<upload_host>:<port>).
  std::string upload_host = "127.0.0.1";
  std::string upload_public_url;
  std::size_t max_artifact_bytes = std::size_t{64} << 20;
  std::size_t max_total_artifact_bytes = std::size_t{256} << 20;
  int max_artifacts = 1000;
  // Frames larger than this close the connection (the query then ends as an error).
  std::size_t max_frame_bytes = std::size_t{64} << 20;
};

// Throws PlatformError(invalid) from run() for a runtime_url that is not ws:// or wss://, and
// PlatformError(unavailable) when the runtime cannot be reached.
std::shared_ptr<QueryRunner> make_runtimeuse_runner(RuntimeUseOptions options = {});

}  // namespace runagents::platform::remote
