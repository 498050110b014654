/*
 * Do-nothing stdio "server" for the benchmark floor: for every input line that carries an
 * "id": member, write one canned JSON-RPC result line with that id and flush; lines without
 * an id (notifications) get no answer. No JSON parsing: the id value is copied textually
 * (a number, a string, or null), which is all the driver needs. Exits on EOF.
 *
 * Built by bench/run.mjs with `cc -O2`.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const RESULT =
    "\"result\":{\"content\":[{\"type\":\"text\","
    "\"text\":\"This is a simple text response for testing.\"}]}}\n";

/* Returns the length of the id token starting at p (after optional spaces), 0 if none. */
static size_t id_token(const char *p, const char **start) {
  while (*p == ' ' || *p == '\t') p++;
  *start = p;
  const char *q = p;
  if (*q == '"') {
    q++;
    while (*q && *q != '"') {
      if (*q == '\\' && q[1]) q++;
      q++;
    }
    if (*q != '"') return 0;
    q++;
  } else {
    while (*q && *q != ',' && *q != '}' && *q != ' ' && *q != '\n' && *q != '\r') q++;
  }
  return (size_t)(q - p);
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    const char *key = strstr(line, "\"id\":");
    if (!key) continue;
    const char *start;
    size_t len = id_token(key + 5, &start);
    if (len == 0) continue;
    fputs("{\"jsonrpc\":\"2.0\",\"id\":", stdout);
    fwrite(start, 1, len, stdout);
    fputc(',', stdout);
    fputs(RESULT, stdout);
    fflush(stdout);
  }
  free(line);
  return 0;
}
