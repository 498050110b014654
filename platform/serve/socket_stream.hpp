// An httplib::Stream over one accepted TCP connection, with a look-ahead buffer.
//
// cpp-httplib 0.11.4 serves a connection in a private virtual (process_and_close_socket) whose
// base version a subclass cannot call, so DualProtocolServer serves HTTP/1.1 connections itself
// through Server::process_request, which reads and writes any httplib::Stream. This is that
// stream, behaving as cpp-httplib's own SocketStream (reads and writes wait at most the server's
// timeouts; is_writable() is false once the peer has gone), plus what the protocol sniffing
// needs: bytes can be read ahead into the buffer (fill_to, fill_past) and looked at (buffered())
// before cpp-httplib or nghttp2 consume them.
//
// One thread uses a SocketStream at a time. It does not own the socket.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <string_view>

namespace runagents::platform::serve {

class SocketStream : public httplib::Stream {
 public:
  SocketStream(int sock, std::chrono::milliseconds read_timeout,
               std::chrono::milliseconds write_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  int socket() const override { return sock_; }

  // Reads ahead until at least `size` bytes are buffered; false on EOF, error or timeout.
  bool fill_to(size_t size);
  // Reads ahead until `marker` occurs in the buffer, at most `limit` buffered bytes; returns the
  // offset just past the marker, or 0 on EOF, error, timeout or when the limit is reached.
  size_t fill_past(std::string_view marker, size_t limit);
  // Bytes read ahead and not consumed yet.
  std::string_view buffered() const { return std::string_view(buffer_).substr(offset_); }
  // Drops `n` buffered bytes (consumed by the caller).
  void consume(size_t n);
  // Hands the buffered bytes to the caller and empties the buffer.
  std::string take_buffered();

 private:
  // One recv() into the buffer after waiting up to the read timeout; false on EOF/error/timeout.
  bool read_more();

  int sock_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  std::string buffer_;
  size_t offset_ = 0;
};

// Waits up to `timeout` for `fd` to become readable (or closed); false on timeout or error.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

// The peer's (or our own, `local`) address and port of a connected socket.
void socket_address(int sock, bool local, std::string& ip, int& port);

}  // namespace runagents::platform::serve
