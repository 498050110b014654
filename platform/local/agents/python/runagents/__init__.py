"""runagents: what agent code uses inside the local RunAgents runtime.

A stand-in for the RunAgents SDK 1.2.1 agent-side API (Agent with call_tool and chat,
ToolNotConfigured, @tool, RunContext), written for the local platform. The agent runs in a sandbox
without network; every call leaves through the platform's egress (_runagents_platform.egress),
which applies policy, records the call in the run's timeline and may hold it for approval
(ApprovalRequired). An agent that ships its own `runagents` imports that instead; its calls reach
the same egress through TOOL_URL_<NAME> and LLM_GATEWAY_URL.
"""

import functools
import json

from _runagents_platform import egress as _egress_glue
from _runagents_platform.context import RunContext

__all__ = [
    "Agent",
    "ApprovalRequired",
    "ConsentRequired",
    "RunContext",
    "ToolCallError",
    "ToolNotConfigured",
    "tool",
]

__version__ = "1.2.1"

DEFAULT_MODEL = _egress_glue.DEFAULT_MODEL


class ToolNotConfigured(KeyError):
    """The agent has no such tool: no TOOL_URL_<NAME> and not registered on the platform."""

    def __init__(self, name, env_key=None):
        self.tool_name = name
        self.env_key = env_key or "TOOL_URL_" + name.upper().replace("-", "_")
        super().__init__(f"Tool {name!r} not found. Set {self.env_key} or check requiredTools.")


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


def call_tool(name, path="/", payload=None, method="POST"):
    """Calls tool `name` at `path` through the platform; returns the tool's JSON answer.

    Raises ToolNotConfigured for an unknown tool, ApprovalRequired when policy holds the call for
    a person, ToolCallError for any other error answer (a denial is HTTP 403).
    """
    if name not in _egress_glue.tool_urls():
        raise ToolNotConfigured(name)
    if not path.startswith("/"):
        path = "/" + path
    status, body = _egress_glue.request(method.upper(), f"/tools/{name}{path}", payload)
    if status == 403 and isinstance(body, dict) and body.get("code") == "APPROVAL_REQUIRED":
        raise ApprovalRequired(name, body)
    if status == 403 and isinstance(body, dict) and body.get("code") == "CONSENT_REQUIRED":
        raise ConsentRequired(name, body)
    if status >= 400:
        raise ToolCallError(name, status, body)
    return body


def chat(message, tools=None, history=None, model=None, system_prompt=None):
    """One chat completion through the platform's model gateway; an OpenAI-format dict.

    The system prompt (default SYSTEM_PROMPT) leads the messages when there is no history, as in
    the SDK's Agent.chat.
    """
    messages = list(history or [])
    prompt = system_prompt if system_prompt is not None else _egress_glue.system_prompt()
    if prompt and not messages:
        messages.append({"role": "system", "content": prompt})
    messages.append({"role": "user", "content": message})
    body = {"model": model or _egress_glue.model(), "messages": messages}
    if tools:
        body["tools"] = tools
        body["tool_choice"] = "auto"
    status, answer = _egress_glue.request("POST", "/v1/chat/completions", body)
    if status >= 400:
        raise RuntimeError(f"model gateway answered HTTP {status}: {answer}")
    return answer


class Agent:
    """The agent's view of the platform, from the operator's environment: SYSTEM_PROMPT,
    LLM_MODEL, LLM_GATEWAY_URL and TOOL_URL_<NAME> (plus the platform's registered tools)."""

    def __init__(self, system_prompt=None, model=None):
        self.system_prompt = (system_prompt if system_prompt is not None
                              else _egress_glue.system_prompt())
        self.model = model or _egress_glue.model()
        self.llm_gateway_url = _egress_glue.llm_gateway_url()
        self.tool_urls = _egress_glue.tool_urls()

    def has_tool(self, name):
        return name in self.tool_urls

    def available_tools(self):
        return sorted(self.tool_urls)

    def call_tool(self, name, path="/", payload=None, method="POST"):
        """As the SDK 1.2.1's: the tool's JSON answer; an error answer (other than an approval or
        consent hold, which raise) comes back as {"error": "HTTP <status>", "detail": <body>}."""
        if name not in self.tool_urls:
            raise ToolNotConfigured(name)
        try:
            return call_tool(name, path=path, payload=payload, method=method)
        except ToolCallError as e:
            detail = e.detail if isinstance(e.detail, str) else json.dumps(e.detail)
            return {"error": f"HTTP {e.status}", "detail": detail}

    def chat(self, message, tools=None, history=None):
        return chat(message, tools=tools, history=history, model=self.model,
                    system_prompt=self.system_prompt)


def tool(fn=None, *, name=None, description=None):
    """Marks a function as a tool: .tool_name (default: the function's name with _ -> -) and
    .tool_description (default: the first line of its docstring)."""

    def mark(f):
        tool_name = name or f.__name__.replace("_", "-")
        doc = (f.__doc__ or "").strip().splitlines()
        tool_description = description or (doc[0] if doc else "")

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        f.tool_name = wrapper.tool_name = tool_name
        f.tool_description = wrapper.tool_description = tool_description
        return wrapper

    return mark(fn) if fn is not None else mark
