"""Runs one agent invocation inside the sandbox: python3 /opt/_runagents_platform/runner.py.

Reads the request ({message, history, run_id, user_id, request_id, resume?}) from stdin, loads the
agent's entry point, finds its handler the way the RunAgents runtime does, calls it in the form it
accepts and reports the outcome to the platform's egress (POST /runtime/result).

Started by path (not `-m`), so the agent's directory is not on sys.path until the entry point is
loaded, and it never imports `runagents` itself: the agent's `import runagents` finds the agent's
own copy when it ships one, else the platform's shim. Either way TOOL_URL_<NAME> and
LLM_GATEWAY_URL point at a loopback forwarder to the egress, so the calls meet policy.
"""

import asyncio
import importlib.util
import inspect
import json
import os
import sys
import traceback

if __package__ in (None, ""):
    # Run as a script: sys.path[0] is this directory; the package's parent is on PYTHONPATH.
    sys.path.pop(0)

from _runagents_platform import egress  # noqa: E402
from _runagents_platform.context import RunContext  # noqa: E402

MESSAGE_PARAM_NAMES = {"message", "msg", "text", "query", "prompt", "input", "user_input"}
FRAMEWORK_OBJECTS = ("agent", "chain", "executor", "graph", "crew")


def _entry_point():
    return os.environ.get("USER_ENTRY_POINT") or "agent.py"


def _load_entry_point():
    code_dir = os.environ.get("RUNAGENTS_USER_CODE_DIR", os.getcwd())
    entry = _entry_point()
    os.chdir(code_dir)  # relative paths in the agent's code are its project's
    sys.path.insert(0, code_dir)
    path = os.path.join(code_dir, entry)
    module_name = entry[:-3] if entry.endswith(".py") else entry
    module_name = module_name.replace("/", ".") or "agent"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _wrap_object(obj):
    """A handler for a framework object (LangChain, LangGraph, CrewAI or anything invocable)."""
    kind = type(obj).__name__
    if kind == "AgentExecutor" or (hasattr(obj, "invoke") and hasattr(obj, "agent")):
        def langchain_handler(request):
            result = obj.invoke({"input": request["message"]})
            output = result.get("output", str(result)) if isinstance(result, dict) else result
            return {"response": output}
        return langchain_handler
    if kind == "CompiledGraph" or (hasattr(obj, "invoke") and hasattr(obj, "nodes")):
        def langgraph_handler(request):
            try:
                from langchain_core.messages import HumanMessage
                messages = [HumanMessage(content=request["message"])]
            except ImportError:
                messages = [{"role": "user", "content": request["message"]}]
            result = obj.invoke({"messages": messages})
            out = result.get("messages", []) if isinstance(result, dict) else []
            if out:
                last = out[-1]
                content = last.get("content") if isinstance(last, dict) else None
                return {"response": content if content is not None
                        else getattr(last, "content", str(last))}
            return {"response": str(result)}
        return langgraph_handler
    for method_name in ("invoke", "run", "kickoff"):
        method = getattr(obj, method_name, None)
        if callable(method):
            return _generic_handler(method)
    return None


def _generic_handler(method):
    def generic_handler(request):
        result = method(request["message"])
        if isinstance(result, dict):
            return {"response": result.get("output", result.get("result", str(result)))}
        return {"response": str(result)}
    return generic_handler


def _find_handler(module):
    """handler(), then agent/chain/executor/graph/crew objects, then main() (the SDK's order)."""
    handler = getattr(module, "handler", None)
    if callable(handler):
        return handler
    for name in FRAMEWORK_OBJECTS:
        obj = getattr(module, name, None)
        if obj is not None:
            wrapped = _wrap_object(obj)
            if wrapped:
                return wrapped
    main = getattr(module, "main", None)
    if callable(main):
        return main
    raise RuntimeError(f"{_entry_point()} defines no handler: add def handler(request, ctx) "
                       "returning a dict or a string (or an object named agent, chain, executor, "
                       "graph or crew with invoke, run or kickoff, or def main())")


def _positional_params(handler):
    try:
        params = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind not in (p.VAR_KEYWORD, p.KEYWORD_ONLY)]


def _call(handler, request):
    params = _positional_params(handler)
    if len(params) >= 2:
        args = (request, RunContext(request))
    elif len(params) == 1:
        p = params[0]
        wants_text = p.annotation is str or (p.annotation is inspect.Parameter.empty
                                             and p.name in MESSAGE_PARAM_NAMES)
        args = (request.get("message", ""),) if wants_text else (request,)
    else:
        args = ()
    result = handler(*args)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return result


def _normalise(result):
    if isinstance(result, dict):
        out = dict(result)
        if "response" not in out:
            out["response"] = out["output"] if "output" in out else json.dumps(result, default=str)
        return out
    return {"response": "" if result is None else str(result)}


def _interrupt(e):
    """The result for an approval interrupt raised by any runagents (the shim or the agent's)."""
    if type(e).__name__ != "ApprovalRequired":
        return None
    detail = getattr(e, "detail", None)
    detail = dict(detail) if isinstance(detail, dict) else {}
    detail.setdefault("tool", getattr(e, "tool_name", "") or "")
    message = detail.get("message") or (
        f"Tool '{detail['tool'] or 'tool'}' requires approval before it can be used.")
    return {"response": message, "approval_required": detail}


def _report(body):
    status, answer = egress.request("POST", "/runtime/result", body)
    if status >= 400:
        print(f"runagents: the platform refused the result: HTTP {status} {answer}",
              file=sys.stderr)


def main():
    request = json.loads(sys.stdin.read() or "{}")
    egress.start_forwarder()
    try:
        result = _normalise(_call(_find_handler(_load_entry_point()), request))
        body = {"ok": True, "result": json.loads(json.dumps(result, default=str))}
    except BaseException as e:  # noqa: BLE001 - everything the handler raises is reported
        held = _interrupt(e)
        if held is not None:
            body = {"ok": True, "result": json.loads(json.dumps(held, default=str))}
        else:
            tb = traceback.format_exc()
            body = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": tb[-4000:]}
    _report(body)


if __name__ == "__main__":
    main()
