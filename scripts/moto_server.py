"""Launch moto's server for gapfill's demo, tests and benchmarks.

moto (pinned in scripts/python/requirements.lock) gets three things wrong on gapfill's deploy path:
- executing a change set leaves the stack's outputs, parameters, tags and exports as they
  were before (a CREATE change set leaves no outputs at all);
- stacks never report the Capabilities they were deployed with;
- a TemplateURL on the emulator's own loopback address (path style, as any S3 client writes
  to it) is read as a virtual-hosted bucket; only "localhost" URLs are read path style.
Real CloudFormation does both. This launcher corrects them inside moto, where the emulator is
started, so gapfill's product code never needs to know which endpoint it talks to. Re-check
when moving the moto version.

It also keeps one live stack per name, as AWS does: moto's CreateChangeSet of type CREATE makes a
new stack every time (a retried request leaves two stacks of one name), and CreateStack's
AlreadyExistsException lacks AWS's brackets. Here a CREATE change set for a name whose live
stack is in REVIEW_IN_PROGRESS joins that stack; a change set name already on the stack is
AlreadyExistsException "ChangeSet [NAME] already exists"; a live stack in any other state is
ValidationError "Stack [NAME] already exists and cannot be created again with the changeSet
[CS]."

It also makes CloudFormation actions moto does not implement (the drift APIs,
ContinueUpdateRollback, ...) answer as an AWS endpoint without them would: an AWS-shaped
error, HTTP 501 `NotImplemented`, instead of moto's HTML page with HTTP 500, which clients
retry as a transient server error.

`--async-cloudformation` (or GAPFILL_EMULATOR_ASYNC=1) adds scripts/moto_async.py: stacks take
time and go through *_IN_PROGRESS with resource events, as in AWS (documented there).
"""

import argparse
import os

from moto.cloudformation import models as cfn
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation import utils as cfn_utils


def _find_change_set(backend, change_set_name):
    if change_set_name in backend.change_sets:
        return backend.change_sets[change_set_name]
    for change_set in backend.change_sets.values():
        if change_set.change_set_name == change_set_name:
            return change_set
    return None


_original_execute_change_set = cfn.CloudFormationBackend.execute_change_set


def _execute_change_set(self, change_set_name, stack_name=None):
    change_set = _find_change_set(self, change_set_name)
    _original_execute_change_set(self, change_set_name, stack_name)
    if change_set is None:
        return
    stack = self.stacks[change_set.stack_id]
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.parameters = change_set.parameters or {}
    if change_set.tags is not None:
        stack.tags = change_set.tags
    stack.capabilities = getattr(change_set, "capabilities", [])
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        self.exports[export.name] = export


cfn.CloudFormationBackend.execute_change_set = _execute_change_set

_original_create_change_set = cfn_responses.CloudFormationResponse.create_change_set


def _create_change_set(self):
    result = _original_create_change_set(self)
    change_set = _find_change_set(self.cloudformation_backend, self._get_param("ChangeSetName"))
    if change_set is not None:
        change_set.capabilities = self._get_param("Capabilities", [])
    return result


cfn_responses.CloudFormationResponse.create_change_set = _create_change_set


def _live_stack(backend, stack_name):
    for stack in backend.stacks.values():
        if stack.name == stack_name or stack.stack_id == stack_name:
            return stack
    return None


def _change_set_exists(backend, stack, change_set_name):
    return any(
        change_set.stack_id == stack.stack_id and change_set.change_set_name == change_set_name
        for change_set in backend.change_sets.values()
    )


_original_backend_create_change_set = cfn.CloudFormationBackend.create_change_set


def _backend_create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, **kwargs):
    cfn_utils.validate_create_change_set(change_set_name)
    stack = _live_stack(self, stack_name)
    if stack is not None and _change_set_exists(self, stack, change_set_name):
        raise cfn.AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
    if change_set_type == "UPDATE" or stack is None:
        return _original_backend_create_change_set(
            self, stack_name, change_set_name, template, parameters, description, change_set_type, **kwargs
        )
    if stack.status != "REVIEW_IN_PROGRESS":
        raise cfn.ValidationError(
            stack_name,
            message=f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{change_set_name}].",
        )
    return _add_change_set(self, stack, change_set_name, template, parameters, description, change_set_type, **kwargs)


def _add_change_set(backend, stack, change_set_name, template, parameters, description, change_set_type, **kwargs):
    """A CREATE change set on the stack a previous one left in REVIEW_IN_PROGRESS."""
    change_set_id = cfn_utils.generate_changeset_id(change_set_name, backend.region_name, backend.account_id)
    change_set = cfn.ChangeSet(
        change_set_type=change_set_type,
        change_set_id=change_set_id,
        change_set_name=change_set_name,
        stack=stack,
        template=template,
        parameters=parameters,
        description=description,
        **kwargs,
    )
    change_set.status = "CREATE_COMPLETE"
    change_set.execution_status = "AVAILABLE"
    backend.change_sets[change_set_id] = change_set
    return change_set_id, stack.stack_id


cfn.CloudFormationBackend.create_change_set = _backend_create_change_set

_original_create_stack = cfn.CloudFormationBackend.create_stack


def _create_stack(self, name, *args, **kwargs):
    if _live_stack(self, name) is not None:
        raise cfn.AlreadyExistsException(f"Stack [{name}] already exists")
    return _original_create_stack(self, name, *args, **kwargs)


cfn.CloudFormationBackend.create_stack = _create_stack


_original_get_stack_from_s3_url = cfn_utils.get_stack_from_s3_url


def _get_stack_from_s3_url(template_url, *args, **kwargs):
    return _original_get_stack_from_s3_url(template_url.replace("//127.0.0.1:", "//localhost:", 1), *args, **kwargs)


for _module in (cfn_utils, cfn, cfn_responses):
    if hasattr(_module, "get_stack_from_s3_url"):
        _module.get_stack_from_s3_url = _get_stack_from_s3_url


_original_call_action = cfn_responses.CloudFormationResponse.call_action


def _call_action(self):
    from moto.core.utils import camelcase_to_underscores, method_names_from_class

    action = self._get_action()
    if action and camelcase_to_underscores(action) not in method_names_from_class(self.__class__):
        body = (
            '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            "<Error><Type>Receiver</Type><Code>NotImplemented</Code>"
            f"<Message>{action} is not implemented by this endpoint</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        )
        return 501, {"Content-Type": "text/xml"}, body
    return _original_call_action(self)


cfn_responses.CloudFormationResponse.call_action = _call_action


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--async-cloudformation",
        action="store_true",
        default=os.environ.get("GAPFILL_EMULATOR_ASYNC", "") not in ("", "0"),
        help="stacks take time, as in AWS (scripts/moto_async.py); also GAPFILL_EMULATOR_ASYNC=1",
    )
    args = parser.parse_args()
    if args.async_cloudformation:
        import moto_async

        moto_async.install()
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import main as moto_main

    moto_main(["-H", "127.0.0.1", "-p", str(args.port)])


if __name__ == "__main__":
    main()
