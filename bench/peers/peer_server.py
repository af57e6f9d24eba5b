"""A tiny JSON-lines server that lets bench/run.mjs alternate a Python peer with our core in one invocation.

Protocol (one JSON object per line on stdin, one reply per line on stdout):
  {"cmd": "setup", "config": {...}}  -> {"ok": true, ...info} or {"skipped": "<reason>"}
  {"cmd": "run"}                      -> {"seconds": <float>, ...extra}   (the peer times itself, no IPC)
  {"cmd": "quit"}                     -> exits
A peer script defines setup(config) -> state and run(state) -> dict with "seconds", then calls serve(...).
Errors are returned as {"error": "<message>"} so that the harness can print a clear skip line.
"""
import json
import sys
import traceback


def serve(setup, run, requires=()):
    missing = []
    for mod, pkg in requires:
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001 - any import failure means the peer cannot run
            missing.append(pkg)
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints of libraries must not corrupt the protocol
    state = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        cmd = msg.get("cmd")
        try:
            if cmd == "quit":
                break
            if missing:
                reply = {"skipped": " and ".join(missing) + " not installed (see bench/README.md)"}
            elif cmd == "setup":
                state = setup(msg.get("config", {}))
                info = state.pop("_info", {}) if isinstance(state, dict) else {}
                reply = {"ok": True, **info}
            elif cmd == "run":
                reply = run(state)
            else:
                reply = {"error": f"unknown command {cmd!r}"}
        except Exception as e:  # noqa: BLE001 - reported to the harness, which prints a skip line
            traceback.print_exc(file=sys.stderr)
            reply = {"error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
