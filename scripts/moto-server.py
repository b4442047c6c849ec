"""moto's server (what `moto_server -H HOST -p PORT` runs), plus one route of rackfile's own for the tests:
states moto never reaches by itself (a failed install left ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED) are set
in moto's own models.

    POST /rackfile-test/stack-status  {"account", "region", "name", "status"}

Run by scripts/moto with the venv's python: python moto-server.py HOST PORT
"""
import json
import sys

from werkzeug.serving import run_simple

from moto.cloudformation.models import cloudformation_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

CONTROL_PATH = "/rackfile-test/stack-status"


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
        return moto(environ, start_response)

    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
