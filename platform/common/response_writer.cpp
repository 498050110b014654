#include "platform/common/response_writer.hpp"

#include <charconv>
#include <memory>
#include <string>
#include <string_view>

#include "platform/common/header_lookup.hpp"
#include "platform/common/socket_stream.hpp"

namespace runagents::common {

namespace {

using httplib::detail::EncodingType;

bool write_all(SocketStream& strm, std::string_view data) {
  return data.empty() || strm.write(data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

// The Content-Encoding cpp-httplib's compressor for `type` makes ("" for none).
const char* encoding_name(EncodingType type) {
  switch (type) {
    case EncodingType::Gzip:
      return "gzip";
    case EncodingType::Brotli:
      return "br";
    default:
      return "";
  }
}

// cpp-httplib's compressor for `type`.
std::unique_ptr<httplib::detail::compressor> compressor_for(EncodingType type) {
  switch (type) {
    case EncodingType::Gzip:
      return std::make_unique<httplib::detail::gzip_compressor>();
    case EncodingType::Brotli:
      return std::make_unique<httplib::detail::brotli_compressor>();
    default:
      return std::make_unique<httplib::detail::nocompressor>();
  }
}

// Everything `c` makes of `data` (the end of the stream when `last`), or false when it fails.
bool compress_into(httplib::detail::compressor& c, const char* data, size_t size, bool last,
                   std::string& out) {
  return c.compress(data, size, last, [&out](const char* p, size_t n) {
    out.append(p, n);
    return true;
  });
}

// A chunked body as cpp-httplib writes one: each piece the provider gives is compressed and, when
// that yields bytes, sent as one chunk; done() flushes the compressor and ends the body.
bool write_chunked(SocketStream& strm, const httplib::ContentProvider& provider,
                   httplib::detail::compressor& compressor,
                   const std::function<bool()>& shutting_down) {
  size_t offset = 0;
  bool data_available = true;
  bool ok = true;
  const auto send_chunk = [&strm](const std::string& payload) {
    if (payload.empty()) return true;
    char size[2 * sizeof(size_t) + 1];
    const auto hex = std::to_chars(size, size + sizeof(size), payload.size(), 16);
    std::string chunk(size, hex.ptr);
    chunk.append("\r\n").append(payload).append("\r\n");
    return write_all(strm, chunk);
  };
  httplib::DataSink sink;
  sink.write = [&](const char* data, size_t size) {
    if (!ok) return false;
    data_available = size > 0;
    offset += size;
    std::string payload;
    ok = compress_into(compressor, data, size, false, payload) && send_chunk(payload);
    return ok;
  };
  sink.done = [&] {
    if (!ok) return;
    data_available = false;
    std::string payload;
    ok = compress_into(compressor, nullptr, 0, true, payload) && send_chunk(payload) &&
         write_all(strm, "0\r\n\r\n");
  };
  sink.is_writable = [&] { return ok && strm.is_writable(); };
  while (data_available && !shutting_down()) {
    if (!provider(offset, 0, sink) || !ok) return false;
  }
  return true;
}

// A provider's body as it comes: `length` bytes, or (length 0) until it calls done().
bool write_provided(SocketStream& strm, const httplib::ContentProvider& provider, size_t length,
                    const std::function<bool()>& shutting_down) {
  size_t offset = 0;
  bool data_available = true;
  bool ok = true;
  httplib::DataSink sink;
  sink.write = [&](const char* data, size_t size) {
    if (ok && write_all(strm, std::string_view(data, size))) {
      offset += size;
    } else {
      ok = false;
    }
    return ok;
  };
  sink.done = [&] { data_available = false; };
  sink.is_writable = [&] { return ok && strm.is_writable(); };
  while ((length > 0 ? offset < length : data_available) && !shutting_down()) {
    if (!provider(offset, length > 0 ? length - offset : 0, sink) || !ok) return false;
  }
  return true;
}

}  // namespace

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

bool write_response(SocketStream& strm, const httplib::Request& req, httplib::Response& res,
                    ResponseFraming& framing) {
  const EncodingType type = httplib::detail::encoding_type(req, res);
  const char* encoding = encoding_name(type);
  if (!res.body.empty()) {
    if (type != EncodingType::None) {
      std::string compressed;
      if (compress_into(*compressor_for(type), res.body.data(), res.body.size(), true,
                        compressed)) {
        res.body.swap(compressed);
        res.set_header("Content-Encoding", encoding);
      }
    }
    res.set_header("Content-Length", std::to_string(res.body.size()));
  } else if (res.content_length_ > 0) {
    res.set_header("Content-Length", std::to_string(res.content_length_));
  } else if (res.content_provider_ && res.is_chunked_content_provider_) {
    res.set_header("Transfer-Encoding", "chunked");
    if (*encoding) res.set_header("Content-Encoding", encoding);
  } else if (res.content_provider_) {
    framing.close = true;  // nothing but the end of the connection ends such a body
  }

  if (header_value(req.headers, "Connection") == "close") framing.close = true;
  if (framing.close) {
    res.set_header("Connection", "close");
  } else {
    res.set_header("Keep-Alive", "timeout=" + std::to_string(framing.keep_alive_timeout) +
                                     ", max=" + std::to_string(framing.keep_alive_max));
  }
  const bool has_content = !res.body.empty() || res.content_length_ > 0 || res.content_provider_;
  if (has_content && !res.has_header("Content-Type")) res.set_header("Content-Type", "text/plain");
  if (!has_content && !res.has_header("Content-Length")) res.set_header("Content-Length", "0");

  std::string head = "HTTP/1.1 " + std::to_string(res.status) + ' ' + reason_phrase(res.status);
  head += "\r\n";
  for (const auto& [name, value] : res.headers)
    head.append(name).append(": ").append(value) += "\r\n";
  head += "\r\n";
  if (!write_all(strm, head)) return false;
  if (!res.body.empty()) return write_all(strm, res.body);
  if (!res.content_provider_) return true;
  const bool ok =
      res.is_chunked_content_provider_ && res.content_length_ == 0
          ? write_chunked(strm, res.content_provider_, *compressor_for(type), framing.shutting_down)
          : write_provided(strm, res.content_provider_, res.content_length_, framing.shutting_down);
  res.content_provider_success_ = ok;
  return ok;
}

}  // namespace runagents::common
