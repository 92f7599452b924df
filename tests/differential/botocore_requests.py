"""Builds the HTTP requests botocore would send, without sending them, for the differential
test of gapfill's request serializer (tests/differential.rs).

Usage: botocore_requests.py CASES_JSON SWEEP_SERVICES_COMMA_SEPARATED

Reads the hand-written cases ({"cases": [{"id", "service", "operation", "params"}]}) and, for
each service of the sweep, generates inputs for every operation in two modes (see
`sweep_params`): "required" (the input shape's required members, placeholder values by type)
and "all" (every top-level member). Prints one JSON document:

    {"botocore": "<version>",
     "cases": [{"id", "request": REQUEST, "checksum_required"} | {"id", "error": "..."}],
     "sweep": [{"mode", "service", "operation", "params", "request", "checksum_required"}
               | {"mode", "service", "operation", "params", "error"}]}

REQUEST is {"method", "url", "headers": [[name, value], ...], "body_base64"}; a captured
request comes with "checksum_required": whether the operation requires an integrity checksum.

Every client is configured like gapfill's dry run in the test: region us-east-1, endpoint
override http://127.0.0.1:9 (S3 path style), static fake credentials, one attempt. Requests
are captured by a `before-send` handler, which stops the call before any byte leaves.
"""

import base64
import json
import os
import sys

# Environment configuration must not leak into either side of the comparison.
for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402

ENDPOINT_URL = "http://127.0.0.1:9"
REGION = "us-east-1"
# A fixed idempotency token, so that botocore does not invent one gapfill cannot know.
IDEMPOTENCY_TOKEN = "00000000-0000-4000-8000-000000000000"
PLACEHOLDER = "placeholder"
# For optional members in the "all" sweep: characters that URIs, query strings, forms and XML
# must escape.
TRICKY = "a b/c+d&e=f~g<h>"
MAX_DEPTH = 8


class Captured(Exception):
    """Raised from the before-send handler to stop the call once the request is built."""

    def __init__(self, request):
        super().__init__("captured")
        self.request = request


def capture(request, **_kwargs):
    raise Captured(request)


def body_bytes(body):
    if body is None:
        return b""
    if hasattr(body, "read"):
        data = body.read()
    else:
        data = body
    if isinstance(data, str):
        data = data.encode("utf-8")
    return bytes(data)


def describe(request):
    return {
        "method": request.method,
        "url": request.url,
        "headers": [[str(k), v.decode() if isinstance(v, bytes) else str(v)]
                    for k, v in request.headers.items()],
        "body_base64": base64.b64encode(body_bytes(request.body)).decode("ascii"),
    }


class Clients:
    def __init__(self):
        self.session = botocore.session.get_session()
        self.clients = {}

    def get(self, service):
        if service not in self.clients:
            client = self.session.create_client(
                service,
                region_name=REGION,
                endpoint_url=ENDPOINT_URL,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                config=Config(
                    s3={"addressing_style": "path"},
                    retries={"total_max_attempts": 1, "mode": "standard"},
                ),
            )
            client.meta.events.register("before-send", capture)
            self.clients[service] = client
        return self.clients[service]


def build(clients, service, operation, params):
    """The request botocore builds for one call, or the error it raises first."""
    try:
        client = clients.get(service)
        method = getattr(client, reverse_mapping(client)[operation])
        method(**params)
    except Captured as captured:
        op_model = client.meta.service_model.operation_model(operation)
        return {
            "request": describe(captured.request),
            "checksum_required": bool(
                op_model.http_checksum_required
                or op_model.http_checksum.get("requestChecksumRequired")
            ),
        }
    except Exception as err:  # noqa: BLE001 - every other outcome is reported as data
        return {"error": f"{type(err).__name__}: {err}"}
    return {"error": "botocore sent no request"}


def reverse_mapping(client):
    return {api: py for py, api in client.meta.method_to_api_mapping.items()}


# --- the generated sweep: required members only, placeholder values by type ---------------


def placeholder_string(shape, text=PLACEHOLDER):
    enum = shape.metadata.get("enum")
    if enum:
        return enum[0]
    minimum = shape.metadata.get("min", 0)
    if len(text) < minimum:
        text = text + "x" * (minimum - len(text))
    return text


def placeholder(shape, depth):
    kind = shape.type_name
    if kind == "structure":
        return required_members(shape, depth + 1)
    if kind == "list":
        count = max(int(shape.metadata.get("min", 1)), 1)
        return [placeholder(shape.member, depth + 1) for _ in range(count)]
    if kind == "map":
        return {placeholder_string(shape.key): placeholder(shape.value, depth + 1)}
    if kind == "string":
        return placeholder_string(shape)
    if kind in ("integer", "long", "short", "byte"):
        return max(int(shape.metadata.get("min", 1)), 1)
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return True
    if kind == "timestamp":
        return 1700000000
    if kind == "blob":
        return "blob"
    raise ValueError(f"no placeholder for shape type {kind}")


def required_members(shape, depth):
    if depth > MAX_DEPTH:
        return {}
    members = shape.members
    if shape.metadata.get("union") and members:
        name = next(iter(members))
        return {name: placeholder(members[name], depth)}
    return {name: placeholder(members[name], depth) for name in shape.required_members}


def sweep_params(operation_model, mode):
    """Mode "required": the required members only; mode "all": every top-level member, the
    optional strings made of TRICKY characters (nested structures still required-only)."""
    shape = operation_model.input_shape
    if shape is None:
        return {}
    params = required_members(shape, 0)
    if mode == "all" and not shape.metadata.get("union"):
        for name, member in shape.members.items():
            if name in params:
                continue
            if member.type_name == "string" and not member.metadata.get("jsonvalue"):
                params[name] = placeholder_string(member, TRICKY)
            else:
                params[name] = placeholder(member, 1)
    for name, member in shape.members.items():
        if member.metadata.get("idempotencyToken"):
            params[name] = IDEMPOTENCY_TOKEN
    return params


def sweep(clients, services):
    results = []
    for mode in ("required", "all"):
        for service in services:
            results.extend(sweep_service(clients, service, mode))
    return results


def sweep_service(clients, service, mode):
    results = []
    client = clients.get(service)
    model = client.meta.service_model
    for operation in model.operation_names:
        op_model = model.operation_model(operation)
        entry = {"mode": mode, "service": service, "operation": operation}
        try:
            entry["params"] = sweep_params(op_model, mode)
        except ValueError as err:
            entry["params"] = None
            entry["error"] = f"no input: {err}"
            results.append(entry)
            continue
        entry.update(build(clients, service, operation, entry["params"]))
        results.append(entry)
    return results


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: botocore_requests.py CASES_JSON SWEEP_SERVICES")
    with open(sys.argv[1], encoding="utf-8") as handle:
        cases = json.load(handle)["cases"]
    services = [name for name in sys.argv[2].split(",") if name]
    clients = Clients()
    case_results = []
    for case in cases:
        result = {"id": case["id"]}
        result.update(build(clients, case["service"], case["operation"], case["params"]))
        case_results.append(result)
    json.dump(
        {
            "botocore": botocore.__version__,
            "cases": case_results,
            "sweep": sweep(clients, services),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
