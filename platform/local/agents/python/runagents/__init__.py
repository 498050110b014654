"""runagents: what agent code uses inside the local RunAgents runtime.

A small stand-in for the RunAgents SDK's agent-side API (Agent.call_tool, Agent.chat, @tool,
RunContext). The agent runs in a sandbox without network; every call leaves through the
platform's egress, a Unix socket named by RUNAGENTS_EGRESS_SOCKET, which applies policy, records
the call in the run's timeline and may hold it for approval (ApprovalRequired).
"""

import http.client
import json
import os
import socket

__all__ = [
    "Agent",
    "ApprovalRequired",
    "ConsentRequired",
    "RunContext",
    "ToolCallError",
    "ToolNotConfigured",
    "tool",
]

DEFAULT_MODEL = "playground-llm"


class ToolNotConfigured(KeyError):
    """The agent has no such tool (not registered on the platform)."""


class ApprovalRequired(Exception):
    """A tool call is held until a person approves it (policy approval_required).

    The run pauses; once approved, the handler is called again with
    request["resume"] = {"action_id": ..., "state": ..., "approved": True}.
    """

    def __init__(self, tool_name, detail=None):
        self.tool_name = tool_name
        self.detail = dict(detail or {})
        self.action_id = self.detail.get("action_id")
        super().__init__(self.detail.get("message") or f"Tool '{tool_name}' requires approval")


class ConsentRequired(Exception):
    """A tool needs the end user's OAuth consent (not used by the local platform)."""

    def __init__(self, tool_name, detail=None):
        self.tool_name = tool_name
        self.detail = dict(detail or {})
        super().__init__(self.detail.get("message") or f"Tool '{tool_name}' requires consent")


class ToolCallError(Exception):
    """A tool call failed: denied by policy, unknown tool, or an error answer from the tool."""

    def __init__(self, tool_name, status, detail):
        self.tool_name = tool_name
        self.status = status
        self.detail = detail
        message = detail.get("error") if isinstance(detail, dict) else None
        super().__init__(f"tool '{tool_name}' failed with HTTP {status}: {message or detail}")


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("egress", timeout=timeout)
        self._path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def _egress(method, path, body=None, timeout=300):
    """Sends one request to the platform's egress; returns (status, parsed JSON or text)."""
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


def _tool_names():
    names = os.environ.get("RUNAGENTS_TOOLS", "")
    return [n for n in names.split(",") if n]


def _tool_urls():
    urls = {}
    for key, value in os.environ.items():
        if key.startswith("TOOL_URL_") and key != "TOOL_URL_REWRITES_JSON":
            urls[key[len("TOOL_URL_"):].lower().replace("_", "-")] = value
    for name in _tool_names():
        urls.setdefault(name, f"runagents-egress:/tools/{name}")
    return urls


def call_tool(name, path="/", payload=None, method="POST"):
    """Calls tool `name` at `path` through the platform; returns the tool's JSON answer."""
    if name not in _tool_urls():
        raise ToolNotConfigured(name)
    if not path.startswith("/"):
        path = "/" + path
    status, body = _egress(method.upper(), f"/tools/{name}{path}", payload)
    if status == 403 and isinstance(body, dict) and body.get("code") == "APPROVAL_REQUIRED":
        raise ApprovalRequired(name, body)
    if status == 403 and isinstance(body, dict) and body.get("code") == "CONSENT_REQUIRED":
        raise ConsentRequired(name, body)
    if status >= 400:
        raise ToolCallError(name, status, body)
    return body


def chat(message, tools=None, history=None, model=None, system_prompt=None):
    """One chat completion through the platform's model gateway (OpenAI format)."""
    messages = []
    prompt = system_prompt if system_prompt is not None else os.environ.get("SYSTEM_PROMPT", "")
    if prompt:
        messages.append({"role": "system", "content": prompt})
    messages.extend(history or [])
    messages.append({"role": "user", "content": message})
    body = {"model": model or os.environ.get("LLM_MODEL") or DEFAULT_MODEL, "messages": messages}
    if tools:
        body["tools"] = tools
    status, answer = _egress("POST", "/v1/chat/completions", body)
    if status >= 400:
        raise RuntimeError(f"model gateway answered HTTP {status}: {answer}")
    return answer


class Agent:
    """The agent's view of the platform: its tools, its model and its system prompt."""

    def __init__(self, system_prompt=None, model=None):
        self.system_prompt = (system_prompt if system_prompt is not None
                              else os.environ.get("SYSTEM_PROMPT", ""))
        self.model = model or os.environ.get("LLM_MODEL") or DEFAULT_MODEL
        self.llm_gateway_url = os.environ.get("LLM_GATEWAY_URL", "runagents-egress:/v1/chat/completions")
        self.tool_urls = _tool_urls()

    def has_tool(self, name):
        return name in self.tool_urls

    def available_tools(self):
        return sorted(self.tool_urls)

    def call_tool(self, name, path="/", payload=None, method="POST"):
        return call_tool(name, path=path, payload=payload, method=method)

    def chat(self, message, tools=None, history=None):
        return chat(message, tools=tools, history=history, model=self.model,
                    system_prompt=self.system_prompt)


class RunContext:
    """What a two-argument handler(request, ctx) gets besides the request."""

    def __init__(self, request=None):
        request = request or {}
        self.tools = _tool_urls()
        self.llm_url = os.environ.get("LLM_GATEWAY_URL", "runagents-egress:/v1/chat/completions")
        self.model = os.environ.get("LLM_MODEL") or DEFAULT_MODEL
        self.system_prompt = os.environ.get("SYSTEM_PROMPT", "")
        resume = request.get("resume")
        self.session = {
            "history": request.get("history", []),
            "request_id": request.get("request_id"),
            "run_id": request.get("run_id"),
            "user_id": request.get("user_id"),
            "resume": resume,
            "action_id": resume.get("action_id") if isinstance(resume, dict) else None,
        }
        self.agent = Agent(system_prompt=self.system_prompt, model=self.model)

    def call_tool(self, name, path="/", payload=None, method="POST"):
        return self.agent.call_tool(name, path=path, payload=payload, method=method)

    def chat(self, message, tools=None, history=None):
        return self.agent.chat(message, tools=tools, history=history)


def tool(fn=None, *, name=None, description=None):
    """Marks a function as a tool: sets .tool_name and .tool_description."""

    def mark(f):
        f.tool_name = name or f.__name__.replace("_", "-")
        doc = (f.__doc__ or "").strip().splitlines()
        f.tool_description = description or (doc[0] if doc else "")
        return f

    return mark(fn) if fn is not None else mark
