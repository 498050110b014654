"""The platform's egress glue, shared by the runner and the runagents shim.

The agent runs in a sandbox without network; every call leaves through the platform's egress, an
HTTP server on the Unix socket named by RUNAGENTS_EGRESS_SOCKET, which applies policy, records the
call in the run's timeline and may hold it for approval (403 {"code": "APPROVAL_REQUIRED"}).

start_forwarder() also opens a loopback TCP port that forwards to that socket and points the
operator's environment at it (TOOL_URL_<NAME>, LLM_GATEWAY_URL, OPENAI_BASE_URL, ...), so code that
speaks plain HTTP, such as an agent's own copy of the RunAgents SDK, reaches the same egress.

This package lives outside the `runagents` name on purpose: an agent may ship its own `runagents`.
"""

import http.client
import json
import os
import socket
import threading

DEFAULT_MODEL = "playground-llm"


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("egress", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def request(method, path, body=None, timeout=300):
    """Sends one request to the egress; returns (status, parsed JSON, or {"raw": text})."""
    socket_path = os.environ.get("RUNAGENTS_EGRESS_SOCKET")
    if not socket_path:
        raise RuntimeError("RUNAGENTS_EGRESS_SOCKET is not set: this code runs outside the "
                           "RunAgents runtime")
    conn = _UnixHTTPConnection(socket_path, timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read().decode("utf-8", "replace")
        try:
            return resp.status, json.loads(raw) if raw else {}
        except ValueError:
            return resp.status, {"raw": raw}
    finally:
        conn.close()


def tool_names():
    """The tools registered on the platform (RUNAGENTS_TOOLS, comma-separated)."""
    return [n for n in os.environ.get("RUNAGENTS_TOOLS", "").split(",") if n]


def tool_urls():
    """{tool name: URL}: TOOL_URL_<NAME> as the SDK reads them, plus every registered tool."""
    urls = {}
    for key, value in os.environ.items():
        if key.startswith("TOOL_URL_") and key != "TOOL_URL_REWRITES_JSON":
            urls[key[len("TOOL_URL_"):].lower().replace("_", "-")] = value
    for name in tool_names():
        urls.setdefault(name, f"runagents-egress:/tools/{name}")
    return urls


def model():
    return os.environ.get("LLM_MODEL") or DEFAULT_MODEL


def system_prompt():
    return os.environ.get("SYSTEM_PROMPT", "")


def llm_gateway_url():
    return os.environ.get("LLM_GATEWAY_URL", "runagents-egress:/v1/chat/completions")


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _serve_forwarder(listener, socket_path):
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.connect(socket_path)
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()


def start_forwarder():
    """Loopback TCP -> egress socket; sets the operator's URLs to it. False without loopback."""
    socket_path = os.environ.get("RUNAGENTS_EGRESS_SOCKET")
    if not socket_path:
        return False
    try:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
    except OSError:
        return False  # no loopback: the shim still reaches the egress through the socket
    port = listener.getsockname()[1]
    threading.Thread(target=_serve_forwarder, args=(listener, socket_path), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for name in tool_names():
        os.environ["TOOL_URL_" + name.upper().replace("-", "_")] = f"{base}/tools/{name}"
    os.environ["LLM_GATEWAY_URL"] = f"{base}/v1/chat/completions"
    for key, value in (("OPENAI_BASE_URL", f"{base}/v1"), ("OPENAI_API_BASE", f"{base}/v1"),
                       ("OPENAI_API_KEY", "platform-managed"), ("ANTHROPIC_BASE_URL", base),
                       ("ANTHROPIC_API_KEY", "platform-managed")):
        os.environ.setdefault(key, value)
    return True
