"""moto's server (what `moto_server -H HOST -p PORT` runs), plus routes of rackfile's own for the tests:
states moto never reaches by itself (a failed install left ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED) are set
in moto's own models, and the tests' boto3 seeding scripts run here, in the server's own interpreter, instead
of one Python start (and boto3 import) per call.

    POST /rackfile-test/stack-status  {"account", "region", "name", "status"}
    POST /rackfile-test/python        a script; its print()s are the response body, a traceback is a 500

Run by scripts/moto with the venv's python: python moto-server.py HOST PORT
"""
import io
import json
import sys
import traceback

import boto3

from werkzeug.serving import run_simple

from moto.cloudformation.models import cloudformation_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

CONTROL_PATH = "/rackfile-test/stack-status"
PYTHON_PATH = "/rackfile-test/python"


def run_script(script, endpoint):
    """Runs a test's seeding script against this server; returns (ok, what it printed or the traceback)."""
    out = io.StringIO()

    def client(service, region="us-east-1", account="123456789012"):
        c = boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="AKIATEST",
            aws_secret_access_key="secret",
        )
        c.meta.events.register(
            "before-sign.*.*",
            lambda request, **kw: request.headers.__setitem__("x-moto-account-id", account),
        )
        return c

    scope = {
        "json": json,
        "boto3": boto3,
        "ENDPOINT": endpoint,
        "client": client,
        # The script's print() goes to its response, never to the server's stdout (another thread's).
        "print": lambda *args, **kw: print(*args, file=out, **{k: v for k, v in kw.items() if k != "file"}),
    }
    try:
        exec(script, scope)
        return True, out.getvalue()
    except Exception:
        return False, traceback.format_exc()


def set_stack_status(body):
    backend = cloudformation_backends[body["account"]][body["region"]]
    for stack in backend.stacks.values():
        if stack.name == body["name"]:
            stack.status = body["status"]
            return True
    return False


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == CONTROL_PATH and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
            found = set_stack_status(body)
            start_response("200 OK" if found else "404 Not Found", [("Content-Type", "text/plain")])
            return [b"ok" if found else b"no such stack"]
        if environ.get("PATH_INFO") == PYTHON_PATH and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            script = environ["wsgi.input"].read(length).decode()
            ok, text = run_script(script, f"http://{host}:{port}")
            body = text.encode()
            start_response(
                "200 OK" if ok else "500 Internal Server Error",
                [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return moto(environ, start_response)

    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
