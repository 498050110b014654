/*
 * Do-nothing HTTP "server" for the benchmark's HTTP floor: the ceiling the driver itself can
 * reach on this machine. Single thread, epoll, keep-alive, HTTP/1.1 on 127.0.0.1:PORT.
 * Any request with a body holding an "id": member gets 200 with a canned JSON-RPC result
 * carrying that id (copied textually, no JSON parsing); other requests (notifications,
 * DELETE) get 202 with no body. Every response carries "Mcp-Session-Id: null".
 * Not an HTTP implementation: no chunked bodies, no pipelining limits, nothing else.
 *
 * Usage: null_http_responder --port N      (built by bench/run.mjs with `cc -O2`)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REQUEST (1 << 20)

struct conn {
  int fd;
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len, out_off, out_cap;
  int want_out;
};

static const char RESULT[] =
    "\"result\":{\"content\":[{\"type\":\"text\","
    "\"text\":\"This is a simple text response for testing.\"}]}}";

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n > *cap) {
    size_t c = *cap ? *cap : 4096;
    while (c < *len + n) c *= 2;
    char *p = realloc(*buf, c);
    if (!p) { perror("realloc"); exit(1); }
    *buf = p;
    *cap = c;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
}

static void close_conn(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

/* Builds the response for one request body; returns its length in buf. */
static size_t respond(const char *body, size_t body_len, char *buf, size_t cap) {
  const char *key = memmem(body, body_len, "\"id\":", 5);
  if (!key) {
    return (size_t)snprintf(buf, cap, "HTTP/1.1 202 Accepted\r\nMcp-Session-Id: null\r\nContent-Length: 0\r\n\r\n");
  }
  const char *p = key + 5, *end = body + body_len;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  const char *q = p;
  if (q < end && *q == '"') {
    for (q++; q < end && *q != '"'; q++)
      if (*q == '\\') q++;
    if (q < end) q++;
  } else {
    while (q < end && *q != ',' && *q != '}' && *q != ' ') q++;
  }
  char json[512];
  int id_len = (int)(q - p) > 200 ? 200 : (int)(q - p);
  int n = snprintf(json, sizeof json, "{\"jsonrpc\":\"2.0\",\"id\":%.*s,%s", id_len, p, RESULT);
  return (size_t)snprintf(buf, cap,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: null\r\n"
                          "Content-Length: %d\r\n\r\n%s",
                          n, json);
}

/* Consumes every complete request in c->in; returns -1 on a malformed or oversized one. */
static int handle_input(struct conn *c) {
  size_t off = 0;
  for (;;) {
    char *start = c->in + off;
    size_t avail = c->in_len - off;
    char *hdr_end = memmem(start, avail, "\r\n\r\n", 4);
    if (!hdr_end) break;
    size_t hdr_len = (size_t)(hdr_end - start) + 4;
    size_t body_len = 0;
    for (char *line = start; line < hdr_end;) {
      char *eol = memmem(line, (size_t)(hdr_end - line) + 2, "\r\n", 2);
      if (!eol) break;
      if ((size_t)(eol - line) > 15 && strncasecmp(line, "content-length:", 15) == 0) body_len = strtoul(line + 15, NULL, 10);
      line = eol + 2;
    }
    if (body_len > MAX_REQUEST) return -1;
    if (avail < hdr_len + body_len) break;
    char resp[1024];
    size_t n = respond(start + hdr_len, body_len, resp, sizeof resp);
    append(&c->out, &c->out_len, &c->out_cap, resp, n);
    off += hdr_len + body_len;
  }
  if (off) {
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
  }
  return c->in_len > MAX_REQUEST ? -1 : 0;
}

static int flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
    if (w < 0) return errno == EAGAIN ? 1 : -1;
    c->out_off += (size_t)w;
  }
  c->out_off = c->out_len = 0;
  return 0;
}

int main(int argc, char **argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
  if (port <= 0 || port > 65535) {
    fprintf(stderr, "usage: %s --port N\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 512) < 0) {
    perror("bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event events[64];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (!c) {
        int fd;
        while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          if (!nc) { close(fd); continue; }
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      int dead = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = read(c->fd, buf, sizeof buf);
          if (r > 0) {
            append(&c->in, &c->in_len, &c->in_cap, buf, (size_t)r);
            continue;
          }
          if (r == 0 || errno != EAGAIN) dead = 1;
          break;
        }
        if (!dead && handle_input(c) < 0) dead = 1;
      }
      if (!dead) {
        int f = flush_out(c);
        if (f < 0) dead = 1;
        if (!dead && (f == 1) != c->want_out) { /* watch for writability only while output is pending */
          c->want_out = f == 1;
          struct epoll_event cev = {.events = EPOLLIN | (c->want_out ? EPOLLOUT : 0), .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
        }
      }
      if (dead) close_conn(ep, c);
    }
  }
}
