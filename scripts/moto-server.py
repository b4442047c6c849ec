"""moto's server (what `moto_server -H HOST -p PORT` runs), plus what rackfile's tests need and moto lacks,
built on moto's own models:

- states moto never reaches by itself (a failed install left ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED) are set
  in moto's own models:
      POST /rackfile-test/stack-status  {"account" (optional: any account), "region", "name", "status"}
- the tests' boto3 seeding scripts run here, in the server's own interpreter, instead of one Python start (and
  boto3 import) per call:
      POST /rackfile-test/python        a script; its print()s are the response body, a traceback is a 500
- CloudFormation's CancelUpdateStack: as AWS, only a stack in UPDATE_IN_PROGRESS is cancelled (a test holds one
  there through the stack-status route, as its update would be on AWS; moto's own updates complete at once),
  else ValidationError "CancelUpdateStack cannot be called from current stack status". A cancelled update
  rolls back: the stack gets the template, parameters and tags it had before that UpdateStack (kept as each
  UpdateStack passes through here), with the stack events UPDATE_ROLLBACK_IN_PROGRESS and
  UPDATE_ROLLBACK_COMPLETE;
- CloudFormation ListImports, computed from the `Fn::ImportValue`s of the templates of moto's own stacks (a
  literal name, or an `Fn::Sub` of the stack's name, region, account and parameters);
- speed: a reset that throws moto's backends away instead of rebuilding each first (drop_backends), the
  service of each host worked out once (backend_for_host), no log line per request;
- IAM enforcement (moto's POST /moto-api/reset-auth) checks CloudWatch's actions as `cloudwatch:*`, as AWS
  does, not by its signing name `monitoring:*`, and lets a statement that names resources allow an action
  whose resource moto does not check; a reset switches enforcement off again;
- DescribeStacks of an SSM-typed parameter (`AWS::SSM::Parameter::Value<...>`) as AWS shows it: the SSM name
  as ParameterValue and what it resolved to as ResolvedValue (moto shows the resolved value as ParameterValue
  and no ResolvedValue);
- CloudFormation deleting a stack whose AutoScalingGroup was force-deleted before (as an uninstall does):
  the missing group is taken as deleted, as AWS takes it, where moto's delete raises;
- CreateChangeSet with UsePreviousValue for an SSM-typed parameter keeps the SSM name, as AWS does (moto takes
  the resolved value, and then fails to execute the change set);
- Service Quotas GetServiceQuota for EC2 quotas (moto knows only VPC's): DEFAULT_EC2_QUOTA vCPUs unless a test
  sets one:
      POST /rackfile-test/ec2-quota  {"account", "region", "code", "value"}

- CloudFormation's drift detection, which moto lacks: DetectStackDrift, DescribeStackDriftDetectionStatus and
  DescribeStackResourceDrifts (MaxResults/NextToken pages), comparing each stack's template (evaluated with
  moto's own parser) with the state moto's backends keep: a security group's ingress rules, a log group's
  RetentionInDays, an AutoScalingGroup's MinSize/MaxSize/DesiredCapacity. Every other resource is not
  checked and, as on AWS, left out of the results. A detection completes at once. ListStackResources is
  answered here too, from moto's resource map: moto's own leaves out the logical id and type of most models.

Run by scripts/moto with the venv's python: python moto-server.py HOST PORT
"""
import copy
import io
import json
import logging
import re
import sys
import traceback
import urllib.parse
import uuid

import boto3

from werkzeug.serving import run_simple

from moto.cloudformation.exceptions import ValidationError
from moto import settings
from moto.core.base_backend import BackendDict, BaseBackend, backend_lock
from moto.iam import access_control
from moto.cloudformation.models import Stack as MotoStack, cloudformation_backends
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.servicequotas.models import ServiceQuotasBackend
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

QUOTA_PATH = "/rackfile-test/ec2-quota"

# An EC2 vCPU quota no test plan reaches unless it sets a smaller one (as the in-memory fake's).
DEFAULT_EC2_QUOTA = 256.0
# (account, region, quota code) -> value, as tests set them.
EC2_QUOTAS = {}


def set_stack_status(body):
    """Without an account, the stack of that name in the region whichever account holds it."""
    accounts = [body["account"]] if "account" in body else list(cloudformation_backends.keys())
    for account in accounts:
        for stack in cloudformation_backends[account][body["region"]].stacks.values():
            if stack.name == body["name"]:
                stack.status = body["status"]
                return True
    return False


# (account, region, name) -> (template, parameters, tags) before the stack's last UpdateStack.
BEFORE_UPDATE = {}


def cloudformation_action(environ, body):
    """The CloudFormation action of a request, with its form fields and (account, region); else None."""
    if environ.get("REQUEST_METHOD") != "POST" or not body:
        return None
    fields = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    action = fields.get("Action")
    scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/cloudformation/", environ.get("HTTP_AUTHORIZATION", ""))
    if action is None or scope is None:
        return None
    account = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or None
    return action, fields, scope.group(1), account


def find_stack(region, name, account):
    for account_id in list(cloudformation_backends.keys()):
        if account is not None and account_id != account:
            continue
        backend = cloudformation_backends[account_id][region]
        for stack in backend.stacks.values():
            if stack.name == name and stack.status != "DELETE_COMPLETE":
                return account_id, stack
    return None, None


def remember_before_update(region, fields, account):
    account_id, stack = find_stack(region, fields.get("StackName"), account)
    if stack is not None:
        BEFORE_UPDATE[(account_id, region, stack.name)] = (
            stack.template,
            copy.deepcopy(stack.parameters),
            copy.deepcopy(stack.tags),
        )


def keep_ssm_names(region, fields, account):
    """moto's CreateChangeSet takes a UsePreviousValue parameter's resolved value (an AMI id, for an SSM-typed
    parameter) where AWS keeps the SSM name it resolves again, so executing the change set fails in moto
    (the id is no SSM parameter). Rewrites such a parameter to the name, as AWS uses it; whether anything was
    rewritten."""
    _, stack = find_stack(region, fields.get("StackName"), account)
    if stack is None:
        return False
    declared = (stack.template_dict or {}).get("Parameters", {}) or {}
    names = {entry["ParameterKey"]: entry["ParameterValue"] for entry in parameter_list(stack)}
    rewritten = False
    number = 1
    while f"Parameters.member.{number}.ParameterKey" in fields:
        key = fields[f"Parameters.member.{number}.ParameterKey"]
        previous = f"Parameters.member.{number}.UsePreviousValue"
        kind = (declared.get(key) or {}).get("Type", "String")
        if fields.get(previous) == "true" and kind.startswith("AWS::SSM::Parameter::Value<") and key in names:
            del fields[previous]
            fields[f"Parameters.member.{number}.ParameterValue"] = names[key]
            rewritten = True
        number += 1
    return rewritten


def xml_response(start_response, status, text):
    body = text.encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def cancel_update_stack(start_response, region, fields, account):
    name = fields.get("StackName")
    account_id, stack = find_stack(region, name, account)
    if stack is None or stack.status != "UPDATE_IN_PROGRESS":
        message = (
            f"Stack [{name}] does not exist"
            if stack is None
            else "CancelUpdateStack cannot be called from current stack status"
        )
        return xml_response(
            start_response,
            "400 Bad Request",
            '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
            f"<Type>Sender</Type><Code>ValidationError</Code><Message>{message}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
        )
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="User Initiated")
    before = BEFORE_UPDATE.pop((account_id, region, stack.name), None)
    if before is not None:
        template, parameters, tags = before
        stack.template = template
        stack._parse_template()
        stack.resource_map.update(stack.template_dict, parameters)
        stack.output_map = stack._create_output_map()
        stack.parameters = parameters
        stack.tags = tags
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    return xml_response(
        start_response,
        "200 OK",
        '<CancelUpdateStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</CancelUpdateStackResponse>",
    )

# detection id -> (account, region, stack name, stack id, results); (account, region, name) -> latest results.
DRIFT_DETECTIONS = {}
LAST_DRIFT = {}

PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp", "-1": "-1", "all": "-1"}


def rule_key(protocol, from_port, to_port, cidr):
    protocol = PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    if protocol == "-1":
        return ("-1", None, None, cidr)
    return (protocol, int(from_port), int(to_port), cidr)


def rule_json(key):
    protocol, from_port, to_port, cidr = key
    rule = {"CidrIp": cidr, "IpProtocol": protocol}
    if from_port is not None:
        rule["FromPort"] = from_port
        rule["ToPort"] = to_port
    return json.dumps(rule, sort_keys=True)


def security_group_differences(expected, group):
    wanted = [
        rule_key(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"), rule.get("CidrIp"))
        for rule in expected.get("SecurityGroupIngress") or []
    ]
    actual = []
    for rule in group.ingress_rules:
        cidr = (rule.ip_range or {}).get("CidrIp")
        actual.append(rule_key(rule.ip_protocol, rule.from_port, rule.to_port, cidr))
    differences = []
    for index, key in enumerate(actual):
        if key not in wanted:
            differences.append((f"/SecurityGroupIngress/{index}", "null", rule_json(key), "ADD"))
    for index, key in enumerate(wanted):
        if key not in actual:
            differences.append((f"/SecurityGroupIngress/{index}", rule_json(key), "null", "REMOVE"))
    return differences


def number_difference(path, expected, actual):
    wanted = None if expected is None else int(expected)
    found = None if actual is None else int(actual)
    if wanted == found:
        return []
    if wanted is None:
        return [(path, "null", json.dumps(found), "ADD")]
    if found is None:
        return [(path, json.dumps(wanted), "null", "REMOVE")]
    return [(path, json.dumps(wanted), json.dumps(found), "NOT_EQUAL")]


def resource_drifts(stack):
    """(logical id, physical id, type, status, differences) of each resource this launcher can check."""
    from moto.cloudformation.parsing import clean_json

    results = []
    for logical_id, resource_json in stack.resource_map._resource_json_map.items():
        kind = resource_json.get("Type")
        if kind not in ("AWS::EC2::SecurityGroup", "AWS::Logs::LogGroup", "AWS::AutoScaling::AutoScalingGroup"):
            continue
        model = stack.resource_map[logical_id]
        if model is None:
            continue
        expected = clean_json(resource_json.get("Properties", {}), stack.resource_map)
        if kind == "AWS::EC2::SecurityGroup":
            differences = security_group_differences(expected, model)
        elif kind == "AWS::Logs::LogGroup":
            differences = number_difference("/RetentionInDays", expected.get("RetentionInDays"), model.retention_in_days)
        else:
            differences = []
            for prop, value in (("MinSize", model.min_size), ("MaxSize", model.max_size), ("DesiredCapacity", model.desired_capacity)):
                if prop in expected:
                    differences += number_difference("/" + prop, expected.get(prop), value)
        physical = getattr(model, "physical_resource_id", None)
        results.append((logical_id, physical, kind, "MODIFIED" if differences else "IN_SYNC", differences))
    return results


def cloudformation_error(start_response, message):
    return xml_response(
        start_response,
        "400 Bad Request",
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
        f"<Type>Sender</Type><Code>ValidationError</Code><Message>{message}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
    )


def cloudformation_answer(start_response, action, inner):
    return xml_response(
        start_response,
        "200 OK",
        f'<{action}Response xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        f"<{action}Result>{inner}</{action}Result>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>",
    )


def detect_stack_drift(start_response, region, fields, account):
    name = fields.get("StackName")
    account_id, stack = find_stack(region, name, account)
    if stack is None:
        return cloudformation_error(start_response, f"Stack with id {name} does not exist")
    if stack.status.endswith("_IN_PROGRESS"):
        return cloudformation_error(start_response, f"Stack [{name}] is in {stack.status} state and can not be checked for drift")
    results = resource_drifts(stack)
    detection = str(uuid.uuid4())
    DRIFT_DETECTIONS[detection] = (account_id, region, stack.name, stack.stack_id, results)
    LAST_DRIFT[(account_id, region, stack.name)] = results
    return cloudformation_answer(
        start_response, "DetectStackDrift", f"<StackDriftDetectionId>{detection}</StackDriftDetectionId>"
    )


def describe_drift_detection_status(start_response, fields):
    detection = fields.get("StackDriftDetectionId")
    if detection not in DRIFT_DETECTIONS:
        return cloudformation_error(start_response, f"Drift detection with id {detection} does not exist")
    _, _, _, stack_id, results = DRIFT_DETECTIONS[detection]
    drifted = sum(1 for result in results if result[3] != "IN_SYNC")
    status = "DRIFTED" if drifted else ("IN_SYNC" if results else "NOT_CHECKED")
    return cloudformation_answer(
        start_response,
        "DescribeStackDriftDetectionStatus",
        f"<StackId>{stack_id}</StackId><StackDriftDetectionId>{detection}</StackDriftDetectionId>"
        f"<StackDriftStatus>{status}</StackDriftStatus><DetectionStatus>DETECTION_COMPLETE</DetectionStatus>"
        f"<DriftedStackResourceCount>{drifted}</DriftedStackResourceCount>"
        "<Timestamp>2026-01-01T00:00:00Z</Timestamp>",
    )


def describe_stack_resource_drifts(start_response, region, fields, account):
    from xml.sax.saxutils import escape

    name = fields.get("StackName")
    account_id, stack = find_stack(region, name, account)
    if stack is None:
        return cloudformation_error(start_response, f"Stack with id {name} does not exist")
    results = LAST_DRIFT.get((account_id, region, stack.name), [])
    start = int(fields.get("NextToken") or 0)
    size = int(fields.get("MaxResults") or 100)
    page = results[start:start + size]
    members = []
    for logical_id, physical, kind, status, differences in page:
        diffs = "".join(
            f"<member><PropertyPath>{escape(path)}</PropertyPath><ExpectedValue>{escape(expected)}</ExpectedValue>"
            f"<ActualValue>{escape(actual)}</ActualValue><DifferenceType>{difference}</DifferenceType></member>"
            for path, expected, actual, difference in differences
        )
        members.append(
            f"<member><StackId>{stack.stack_id}</StackId><LogicalResourceId>{logical_id}</LogicalResourceId>"
            f"<PhysicalResourceId>{escape(str(physical or ''))}</PhysicalResourceId><ResourceType>{kind}</ResourceType>"
            f"<PropertyDifferences>{diffs}</PropertyDifferences>"
            f"<StackResourceDriftStatus>{status}</StackResourceDriftStatus>"
            "<Timestamp>2026-01-01T00:00:00Z</Timestamp></member>"
        )
    token = f"<NextToken>{start + size}</NextToken>" if start + size < len(results) else ""
    return cloudformation_answer(
        start_response,
        "DescribeStackResourceDrifts",
        f"<StackResourceDrifts>{''.join(members)}</StackResourceDrifts>{token}",
    )


def list_stack_resources(start_response, region, fields, account):
    from xml.sax.saxutils import escape

    name = fields.get("StackName")
    account_id, stack = find_stack(region, name, account)
    if stack is None:
        return cloudformation_error(start_response, f"Stack with id {name} does not exist")
    checked = {result[0]: result[3] for result in LAST_DRIFT.get((account_id, region, stack.name), [])}
    members = []
    for logical_id, resource_json in stack.resource_map._resource_json_map.items():
        model = stack.resource_map[logical_id]
        if model is None:
            continue
        physical = getattr(model, "physical_resource_id", None) or ""
        members.append(
            f"<member><LogicalResourceId>{logical_id}</LogicalResourceId>"
            f"<PhysicalResourceId>{escape(str(physical))}</PhysicalResourceId>"
            f"<ResourceType>{escape(resource_json.get('Type', ''))}</ResourceType>"
            "<LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus>"
            f"<DriftInformation><StackResourceDriftStatus>{checked.get(logical_id, 'NOT_CHECKED')}</StackResourceDriftStatus></DriftInformation>"
            "</member>"
        )
    return cloudformation_answer(
        start_response, "ListStackResources", f"<StackResourceSummaries>{''.join(members)}</StackResourceSummaries>"
    )


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


def parameter_list(self):
    """moto's Stack.parameter_list, with SSM-typed parameters as AWS shows them."""
    declared = (self.template_dict or {}).get("Parameters", {}) or {}
    parameters = []
    for key, value in self.resource_map.resolved_parameters.items():
        kind = (declared.get(key) or {}).get("Type", "String")
        # NoEcho values stay unmasked, as moto shows them (the tests read passwords back through it).
        if kind.startswith("AWS::SSM::Parameter::Value<"):
            name = (self.parameters or {}).get(key, (declared.get(key) or {}).get("Default"))
            resolved = ",".join(value) if isinstance(value, list) else value
            parameters.append({"ParameterKey": key, "ParameterValue": name, "ResolvedValue": resolved})
        else:
            parameters.append({"ParameterKey": key, "ParameterValue": value})
    return parameters


MotoStack.parameter_list = property(parameter_list)


def drop_backends():
    """moto's reset (BackendDict.reset, behind /moto-api/reset) rebuilds every backend a test touched only to
    throw it away: a tenth of a second of CPU per test, spent again by each test's first calls, which build
    the backends they use anew either way. Throwing them away is the same fresh world; the backends that clean
    up outside themselves on reset (S3's shared bucket names and temporary files, Batch's job threads) still
    do."""
    with backend_lock:
        for backends in BackendDict._instances:
            for account_backends in backends.values():
                for backend in account_backends.values():
                    if type(backend).reset is not BaseBackend.reset:
                        backend.reset()
            backends.clear()
        BackendDict._instances.clear()


BackendDict.reset = staticmethod(drop_backends)

moto_backend_for_host = DomainDispatcherApplication.get_backend_for_host
# host -> moto's service for it. moto works it out for every request, under a lock every request takes: a
# listing of its own package directory and a match against each of its services' URL patterns.
BACKEND_FOR_HOST = {}


def backend_for_host(self, host):
    if host not in BACKEND_FOR_HOST:
        BACKEND_FOR_HOST[host] = moto_backend_for_host(self, host)
    return BACKEND_FOR_HOST[host]


DomainDispatcherApplication.get_backend_for_host = backend_for_host

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


# moto names the action it checks against IAM policies (after POST /moto-api/reset-auth) by the service in
# the request's signature; CloudWatch signs as `monitoring`, but IAM calls its actions `cloudwatch:*`. Renamed
# as AWS names them, so that the tests run under exactly the policies `rackfile permissions` prints.
IAM_PREFIXES = {"monitoring:": "cloudwatch:"}
_iam_request_init = access_control.IAMRequestBase.__init__


def iam_request_init(self, *args, **kwargs):
    _iam_request_init(self, *args, **kwargs)
    for signed, iam in IAM_PREFIXES.items():
        if self._action.startswith(signed):
            self._action = iam + self._action[len(signed):]


access_control.IAMRequestBase.__init__ = iam_request_init

# For every service but S3, SQS and IAM, moto checks only the action: it evaluates the policy against the
# resource "*", which a statement naming resources (a stack's ARN, a parameter's) never matches, so every
# scoped policy would be refused. A resource moto cannot name is taken to match, leaving it the action check
# it makes; the resources are AWS's to check.
_check_element_matches = access_control.IAMPolicyStatement._check_element_matches


def check_element_matches(self, statement_element, value):
    if statement_element == "Resource" and value == "*":
        return True
    return _check_element_matches(self, statement_element, value)


access_control.IAMPolicyStatement._check_element_matches = check_element_matches


# CloudFormation deletes a stack whose AutoScalingGroup is already gone (`convox rack uninstall`, and rackfile's
# uninstall, force-delete the groups first) as AWS does, taking the missing group as deleted; moto's group
# raises ValidationError "AutoScalingGroup name not found" there, which would fail the stack's deletion.
from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends

_delete_auto_scaling_group = FakeAutoScalingGroup.delete


def delete_auto_scaling_group_if_present(self, account_id, region_name):
    if self.name in autoscaling_backends[account_id][region_name].autoscaling_groups:
        _delete_auto_scaling_group(self, account_id, region_name)


FakeAutoScalingGroup.delete = delete_auto_scaling_group_if_present


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    moto = DomainDispatcherApplication(create_backend_app)

    def app(environ, start_response):
        if environ.get("PATH_INFO") == "/moto-api/reset":
            # A reset starts every test afresh: the quotas a test set and the updates it made go with moto's
            # own state.
            EC2_QUOTAS.clear()
            BEFORE_UPDATE.clear()
            DRIFT_DETECTIONS.clear()
            LAST_DRIFT.clear()
            # ... and without IAM enforcement, whatever the last test on this server switched on.
            settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
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
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        request = cloudformation_action(environ, body)
        if request is not None:
            action, fields, region, account = request
            if action == "CancelUpdateStack":
                return cancel_update_stack(start_response, region, fields, account)
            if action == "UpdateStack":
                remember_before_update(region, fields, account)
            if action == "DetectStackDrift":
                return detect_stack_drift(start_response, region, fields, account)
            if action == "DescribeStackDriftDetectionStatus":
                return describe_drift_detection_status(start_response, fields)
            if action == "ListStackResources":
                return list_stack_resources(start_response, region, fields, account)
            if action == "DescribeStackResourceDrifts":
                return describe_stack_resource_drifts(start_response, region, fields, account)
            # Read again with the empty values (a parameter set to ""), which the rewritten body must keep.
            every_field = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if action == "CreateChangeSet" and keep_ssm_names(region, every_field, account):
                body = urllib.parse.urlencode(every_field).encode()
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
        return moto(environ, start_response)

    # One log line per request, written under a lock every request thread takes, read by no one: only
    # werkzeug's warnings and errors (a request that raised) are kept.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
