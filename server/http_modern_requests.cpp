#include "server/http_headers.hpp"
#include "server/http_transport_impl.hpp"

namespace runagents::mcp {

void HttpTransport::Impl::handle_modern_post(const httplib::Request& req, httplib::Response& res,
                                             Message msg, std::shared_ptr<void> call_slot) {
  if (msg.kind != Message::Kind::request) {
    res.status = 202;  // notifications need no answer (cancellation is closing the stream)
    return;
  }
  // Every rejection here is a client error: 400 unless the code maps to another 4xx.
  auto reject = [&](int code, const std::string& message, const json& data = nullptr) {
    json reply = make_error(msg.id, code, message, data);
    int status = http_status_for(reply);
    res.status = status == 200 ? 400 : status;
    res.set_content(serialize(reply), "application/json");
  };
  // _meta errors come before header errors, and an unsupported version after them.
  auto envelope = server.envelope_error(msg);
  if (envelope && envelope->code() != error_code::unsupported_protocol_version) {
    return reject(envelope->code(), envelope->what(), envelope->data());
  }
  auto mismatch = header_mismatch(
      msg,
      [&](const std::string& name) -> std::optional<std::string> {
        const std::string* value = common::find_header(req.headers, name);
        if (!value) return std::nullopt;
        return *value;
      },
      server.called_tool(msg));
  if (mismatch) return reject(error_code::header_mismatch, "Header mismatch: " + *mismatch);
  if (envelope) return reject(envelope->code(), envelope->what(), envelope->data());

  auto session = std::make_shared<Session>("");
  if (server.answers_without_messages(msg, Era::modern)) {
    NullOutbound sink;
    auto reply = run_request(msg, *session, sink, Era::modern, std::move(call_slot));
    if (!reply) {
      res.status = 202;
      return;
    }
    res.status = http_status_for(*reply);
    res.set_content(serialize(*reply), "application/json");
    return;
  }

  // Wait up to a second for the first event. A call still quiet by then gets its event
  // stream at once: clients that time out on the first byte keep waiting, and from then on a
  // closed connection is noticed (and cancels the call) within a second.
  auto stream = std::make_shared<EventStream>(0, 256);
  auto status = std::make_shared<std::atomic<int>>(200);
  auto first = start_on_pool(std::move(msg), session, stream, Era::modern,
                             std::chrono::milliseconds(1000), status, std::move(call_slot));
  if (first && first->final) {
    res.status = status->load();
    res.set_content(first->data, "application/json");
    return;
  }
  if (!first && (stream->closed() || stopping)) {
    session->cancel_all("the server is shutting down");
    res.status = 503;
    return;
  }
  // Events came first (or the call runs long): an event stream; its first event is re-read.
  stream_sse(res, nullptr, stream, 0, !first, nullptr, session);
}

}  // namespace runagents::mcp
