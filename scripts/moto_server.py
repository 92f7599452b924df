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

It also makes CloudFormation actions moto does not implement (the drift APIs,
ContinueUpdateRollback, ...) answer as an AWS endpoint without them would: an AWS-shaped
error, HTTP 501 `NotImplemented`, instead of moto's HTML page with HTTP 500, which clients
retry as a transient server error.
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
    args = parser.parse_args()
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.server import main as moto_main

    moto_main(["-H", "127.0.0.1", "-p", str(args.port)])


if __name__ == "__main__":
    main()
