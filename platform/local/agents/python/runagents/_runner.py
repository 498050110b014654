"""Runs one agent invocation inside the sandbox: python3 -m runagents._runner.

Reads the request ({message, history, run_id, user_id, request_id, resume?}) from stdin, loads
the agent's entry point, calls its handler in the form it accepts and reports the outcome to the
platform's egress (POST /runtime/result). Tool URLs (TOOL_URL_<NAME>) and the OpenAI base URL
point at a loopback forwarder to the egress socket, so plain HTTP clients work too.
"""

import asyncio
import importlib.util
import inspect
import json
import os
import socket
import sys
import threading
import traceback

import runagents

MESSAGE_PARAM_NAMES = {"message", "msg", "text", "query", "prompt", "input", "user_input"}


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


def _start_forwarder():
    """Loopback TCP -> egress socket, so TOOL_URL_* and OPENAI_BASE_URL are plain HTTP URLs."""
    socket_path = os.environ.get("RUNAGENTS_EGRESS_SOCKET")
    if not socket_path:
        return
    try:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
    except OSError:
        return  # no loopback: runagents.call_tool still works through the socket
    port = listener.getsockname()[1]
    threading.Thread(target=_serve_forwarder, args=(listener, socket_path), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for name in runagents._tool_names():
        os.environ["TOOL_URL_" + name.upper().replace("-", "_")] = f"{base}/tools/{name}"
    os.environ["LLM_GATEWAY_URL"] = f"{base}/v1/chat/completions"
    for key, value in (("OPENAI_BASE_URL", f"{base}/v1"), ("OPENAI_API_BASE", f"{base}/v1"),
                       ("OPENAI_API_KEY", "platform-managed"), ("ANTHROPIC_BASE_URL", base),
                       ("ANTHROPIC_API_KEY", "platform-managed")):
        os.environ.setdefault(key, value)


def _load_entry_point():
    code_dir = os.environ.get("RUNAGENTS_USER_CODE_DIR", os.getcwd())
    entry = os.environ.get("USER_ENTRY_POINT", "agent.py")
    sys.path.insert(0, code_dir)
    path = os.path.join(code_dir, entry)
    module_name = os.path.splitext(os.path.basename(entry))[0] or "agent"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _find_handler(module):
    handler = getattr(module, "handler", None)
    if callable(handler):
        return handler
    main = getattr(module, "main", None)
    if callable(main):
        return main
    raise RuntimeError(f"{os.environ.get('USER_ENTRY_POINT', 'agent.py')} defines no handler: "
                       "add def handler(request, ctx) returning a dict or a string")


def _call(handler, request):
    try:
        params = [p for p in inspect.signature(handler).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= 2:
        result = handler(request, runagents.RunContext(request))
    elif len(params) == 1:
        p = params[0]
        if p.annotation is str or p.name in MESSAGE_PARAM_NAMES:
            result = handler(request.get("message", ""))
        else:
            result = handler(request)
    else:
        result = handler()
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


def _report(body):
    status, answer = runagents._egress("POST", "/runtime/result", body)
    if status >= 400:
        print(f"runagents: the platform refused the result: HTTP {status} {answer}",
              file=sys.stderr)


def main():
    request = json.loads(sys.stdin.read() or "{}")
    _start_forwarder()
    try:
        result = _normalise(_call(_find_handler(_load_entry_point()), request))
        body = {"ok": True, "result": json.loads(json.dumps(result, default=str))}
    except runagents.ApprovalRequired as e:
        detail = dict(e.detail, tool=e.tool_name)
        body = {"ok": True, "result": {"response": str(e), "approval_required": detail}}
    except BaseException as e:  # noqa: BLE001 - everything the handler raises is reported
        tb = traceback.format_exc()
        body = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": tb[-4000:]}
    _report(body)


if __name__ == "__main__":
    main()
