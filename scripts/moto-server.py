"""moto's server (what `moto_server -H HOST -p PORT` runs), plus what rackfile's tests need and moto lacks,
built on moto's own models:

- states moto never reaches by itself (a failed install left ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED) are set
  in moto's own models:
      POST /rackfile-test/stack-status  {"account", "region", "name", "status"}
- CloudFormation ListImports, computed from the `Fn::ImportValue`s of the templates of moto's own stacks (a
  literal name, or an `Fn::Sub` of the stack's name, region, account and parameters);
- Service Quotas GetServiceQuota for EC2 quotas (moto knows only VPC's): DEFAULT_EC2_QUOTA vCPUs unless a test
  sets one:
      POST /rackfile-test/ec2-quota  {"account", "region", "code", "value"}

Run by scripts/moto with the venv's python: python moto-server.py HOST PORT
"""
import json
import sys

from werkzeug.serving import run_simple

import re

from moto.cloudformation.exceptions import ValidationError
from moto.cloudformation.models import cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.servicequotas.models import ServiceQuotasBackend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

CONTROL_PATH = "/rackfile-test/stack-status"
QUOTA_PATH = "/rackfile-test/ec2-quota"

# An EC2 vCPU quota no test plan reaches unless it sets a smaller one (as the in-memory fake's).
DEFAULT_EC2_QUOTA = 256.0
# (account, region, quota code) -> value, as tests set them.
EC2_QUOTAS = {}


def set_stack_status(body):
    backend = cloudformation_backends[body["account"]][body["region"]]
    for stack in backend.stacks.values():
        if stack.name == body["name"]:
            stack.status = body["status"]
            return True
    return False


def import_name(value, stack):
    """The export name an Fn::ImportValue argument names, or None when it is not one this launcher resolves."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        known = dict(stack.parameters)
        known.update({
            "AWS::StackName": stack.name,
            "AWS::Region": stack.region_name,
            "AWS::AccountId": stack.account_id,
        })
        return re.sub(r"\$\{([^}!]+)\}", lambda m: str(known.get(m.group(1), m.group(0))), value["Fn::Sub"])
    return None


def imports_in(node, stack, found):
    if isinstance(node, dict):
        if len(node) == 1 and "Fn::ImportValue" in node:
            name = import_name(node["Fn::ImportValue"], stack)
            if name is not None:
                found.add(name)
            return
        for child in node.values():
            imports_in(child, stack, found)
    elif isinstance(node, list):
        for child in node:
            imports_in(child, stack, found)


def list_imports(self):
    export = self._get_param("ExportName")
    importers = []
    for stack in self.cloudformation_backend.stacks.values():
        if stack.status == "DELETE_COMPLETE":
            continue
        found = set()
        imports_in(stack.template_dict, stack, found)
        if export in found:
            importers.append(stack.name)
    if not importers:
        raise ValidationError(message=f"Export '{export}' is not imported by any stack.")
    return ActionResult({"Imports": sorted(importers)})


CloudFormationResponse.list_imports = list_imports

moto_get_service_quota = ServiceQuotasBackend.get_service_quota


def get_service_quota(self, service_code, quota_code):
    if service_code != "ec2":
        return moto_get_service_quota(self, service_code, quota_code)
    value = EC2_QUOTAS.get((self.account_id, self.region_name, quota_code), DEFAULT_EC2_QUOTA)
    return {
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "QuotaArn": f"arn:aws:servicequotas:{self.region_name}:{self.account_id}:ec2/{quota_code}",
        "QuotaCode": quota_code,
        "QuotaName": quota_code,
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


ServiceQuotasBackend.get_service_quota = get_service_quota


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/moto-api/reset":
            # A reset starts every test afresh: the quotas a test set go with moto's own state.
            EC2_QUOTAS.clear()
        if environ.get("PATH_INFO") == QUOTA_PATH and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
            EC2_QUOTAS[(body["account"], body["region"], body["code"])] = float(body["value"])
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
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
