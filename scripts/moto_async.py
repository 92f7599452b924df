"""Asynchronous CloudFormation for the emulator: stacks take time, as in AWS.

Loaded by scripts/moto_server.py only with `--async-cloudformation` (`scripts/emulator.sh start
--async`, or GAPFILL_EMULATOR_ASYNC=1). Off by default: the plain emulator completes every stack
inside the call that starts it.

With it, CreateStack, UpdateStack, ExecuteChangeSet, DeleteStack and ContinueUpdateRollback
return at once and the stack moves through *_IN_PROGRESS to its final status over time:

- Resources are provisioned in the template's dependency order (Ref, Fn::GetAtt, Fn::Sub,
  DependsOn), independent ones concurrently. Each takes a duration from DURATIONS by type
  (DEFAULT_DURATION otherwise), or from its own Metadata; every duration is multiplied by
  GAPFILL_EMULATOR_TIME_SCALE (default 1), so tests can run fast.
- Each resource gets its IN_PROGRESS and COMPLETE events, with physical ids, through
  DescribeStackEvents (newest first), as do the stack's own status changes.
- Outputs appear when a create completes; an update shows the old outputs until its cleanup.
- On an update only added and modified resources take time (removed ones are deleted in the
  cleanup phase).

Per resource, in the template:

    Metadata:
      Emulator:
        Duration: 3             # seconds (before the scale factor)
        Fail: "reason"          # the create or update of this resource fails with this reason
        RollbackFail: "reason"  # rolling this resource back fails: UPDATE_ROLLBACK_FAILED

A failed create: the resource is CREATE_FAILED with the reason, resources still in progress are
cancelled, ROLLBACK_IN_PROGRESS, every started resource is deleted in reverse dependency order,
ROLLBACK_COMPLETE (and moto's resources are really deleted). A failed update:
UPDATE_ROLLBACK_IN_PROGRESS, the modified resources are updated back, the added ones deleted,
UPDATE_ROLLBACK_COMPLETE; the stack keeps its previous template, parameters and outputs (the
update is never applied to moto's resources). With RollbackFail on a modified resource the
rollback ends in UPDATE_ROLLBACK_FAILED; ContinueUpdateRollback then finishes it.

How: moto still does the work inside the call (so its resources, physical ids and outputs are
right), and this module hides the result behind a timeline: the stack's status, events and
outputs are what they would be at that moment. Due changes are applied by one scheduler thread
and by every CloudFormation request before it is answered (so an answer never lags the clock),
all under one lock.

GAPFILL_EMULATOR_CALL_LOG=PATH appends one line per CloudFormation request to PATH:
`START END ACTION STACK` (epoch seconds), for the benchmark's API call counts.
"""

import datetime
import heapq
import itertools
import os
import random
import re
import string
import sys
import threading
import time
import traceback

from moto.cloudformation import models as cfn
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import EmptyResult

# Seconds per resource type, before GAPFILL_EMULATOR_TIME_SCALE: the order of magnitude AWS
# takes, kept small so tests stay quick.
DURATIONS = {
    "AWS::SQS::Queue": 2,
    "AWS::SQS::QueuePolicy": 1,
    "AWS::SNS::Topic": 2,
    "AWS::SNS::Subscription": 1,
    "AWS::S3::Bucket": 3,
    "AWS::S3::BucketPolicy": 1,
    "AWS::DynamoDB::Table": 6,
    "AWS::Lambda::Function": 5,
    "AWS::Lambda::Permission": 1,
    "AWS::IAM::Role": 10,
    "AWS::IAM::Policy": 3,
    "AWS::IAM::ManagedPolicy": 3,
    "AWS::IAM::User": 3,
    "AWS::SSM::Parameter": 1,
    "AWS::Logs::LogGroup": 1,
    "AWS::Events::Rule": 2,
    "AWS::KMS::Key": 5,
    "AWS::SecretsManager::Secret": 2,
    "AWS::ECR::Repository": 2,
    "AWS::EC2::VPC": 3,
    "AWS::EC2::Subnet": 2,
    "AWS::EC2::SecurityGroup": 3,
}
DEFAULT_DURATION = 1

LOCK = threading.RLock()
STACK_TYPE = "AWS::CloudFormation::Stack"
IN_PROGRESS = re.compile(r"_IN_PROGRESS$")
_LIVE = object()  # no override: the stack's real outputs


def _scale():
    try:
        return max(float(os.environ.get("GAPFILL_EMULATOR_TIME_SCALE", "1")), 0.0)
    except ValueError:
        return 1.0


# --- the scheduler -------------------------------------------------------------------------


class Scheduler:
    """Actions due at wall-clock times, run in order: by its thread, and by `advance()` which
    every CloudFormation request calls first. Actions get their due time (event timestamps)."""

    def __init__(self):
        self._heap = []
        self._order = itertools.count()
        self._wake = threading.Condition(LOCK)
        threading.Thread(target=self._run, name="cfn-async", daemon=True).start()

    def at(self, due, action):
        with LOCK:
            heapq.heappush(self._heap, (due, next(self._order), action))
            self._wake.notify()

    def advance(self):
        with LOCK:
            now = time.time()
            while self._heap and self._heap[0][0] <= now:
                due, _, action = heapq.heappop(self._heap)
                try:
                    action(due)
                except Exception:  # one broken action must not stop every stack
                    traceback.print_exc(file=sys.stderr)

    def _run(self):
        with LOCK:
            while True:
                self.advance()
                timeout = max(self._heap[0][0] - time.time(), 0.001) if self._heap else None
                self._wake.wait(timeout)


SCHEDULER = None


# --- templates: dependencies, durations, failure markers -----------------------------------


def _emulator_metadata(resource_json):
    metadata = resource_json.get("Metadata") or {}
    emulator = metadata.get("Emulator") if isinstance(metadata, dict) else None
    return emulator if isinstance(emulator, dict) else {}


def duration(resource_json):
    """Seconds a resource takes, scaled."""
    own = _emulator_metadata(resource_json).get("Duration")
    try:
        seconds = float(own) if own is not None else DURATIONS.get(resource_json.get("Type"), DEFAULT_DURATION)
    except (TypeError, ValueError):
        seconds = DEFAULT_DURATION
    return max(seconds, 0.0) * _scale()


def fail_reason(resource_json):
    reason = _emulator_metadata(resource_json).get("Fail")
    return str(reason) if reason else None


def rollback_fail_reason(resource_json):
    reason = _emulator_metadata(resource_json).get("RollbackFail")
    return str(reason) if reason else None


_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


def _references(node, names):
    """Logical ids of `names` that `node` refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str) and value in names:
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) and value else value
                if isinstance(target, str):
                    target = target.split(".")[0]
                    if target in names:
                        found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) and value else value
                if isinstance(text, str):
                    for name in _SUB_NAME.findall(text):
                        name = name.split(".")[0].strip()
                        if name in names:
                            found.add(name)
                if isinstance(value, list) and len(value) > 1:
                    found |= _references(value[1], names)
            else:
                found |= _references(value, names)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item, names)
    return found


def dependencies(resources):
    """{logical id: the logical ids it depends on} within `resources` (a template's Resources)."""
    names = set(resources)
    graph = {}
    for name, resource_json in resources.items():
        body = {k: v for k, v in resource_json.items() if k not in ("Metadata", "DependsOn")}
        depends_on = resource_json.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        graph[name] = (_references(body, names) | {d for d in depends_on if d in names}) - {name}
    return graph


def topological(graph):
    """Logical ids, each after what it depends on (template order among equals; a cycle,
    which AWS would refuse, is broken where it is met)."""
    ordered, state = [], {}

    def visit(name):
        if state.get(name):
            return
        state[name] = "visiting"
        for dependency in sorted(graph.get(name, ())):
            if state.get(dependency) != "visiting":
                visit(dependency)
        state[name] = "done"
        ordered.append(name)

    for name in graph:
        visit(name)
    return ordered


def forward_schedule(graph, work, durations):
    """{logical id: (start, end)} for the resources in `work`, each starting when the ones it
    depends on have ended; resources outside `work` are already there (end 0)."""
    times = {}
    for name in topological(graph):
        if name not in work:
            continue
        start = max((times[d][1] for d in graph[name] if d in times), default=0.0)
        times[name] = (start, start + durations[name])
    return times


def reverse_schedule(graph, work, durations, begin):
    """{logical id: (start, end)} deleting `work` from `begin`, each after every resource that
    depends on it."""
    dependents = {name: set() for name in graph}
    for name, deps in graph.items():
        for dependency in deps:
            dependents.setdefault(dependency, set()).add(name)
    times = {}
    for name in reversed(topological(graph)):
        if name not in work:
            continue
        start = max((times[d][1] for d in dependents.get(name, ()) if d in times), default=begin)
        times[name] = (start, start + durations[name])
    return times


def _condition_holds(stack, resource_json):
    condition = resource_json.get("Condition")
    if not condition:
        return True
    try:
        return bool(stack.resource_map.lazy_condition_map[condition])
    except Exception:
        return True


def _invented_physical_id(stack_name, logical_id):
    suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=12))
    return f"{stack_name}-{logical_id}-{suffix}"


def _physical_id(stack, logical_id):
    resource = stack.resource_map._parsed_resources.get(logical_id)
    physical = getattr(resource, "physical_resource_id", None)
    if isinstance(physical, str) and physical:
        return physical
    return _invented_physical_id(stack.name, logical_id)


# --- the visible state of a stack ------------------------------------------------------------


def _hide_outputs(stack, visible):
    stack._async_outputs = visible


def _show_outputs(stack):
    stack._async_outputs = _LIVE


_original_outputs = cfn.Stack.outputs


def _outputs(self):
    visible = getattr(self, "_async_outputs", _LIVE)
    return _original_outputs.fget(self) if visible is _LIVE else visible


cfn.Stack.outputs = property(_outputs)


def _known_resources(stack):
    """{logical id: (type, physical id)} of the resources the stack has, as its events told."""
    known = getattr(stack, "_async_resources", None)
    if known is None:
        known = {}
        for logical_id, resource_json in (stack.template_dict or {}).get("Resources", {}).items():
            if logical_id in stack.resource_map._parsed_resources:
                known[logical_id] = (resource_json.get("Type"), _physical_id(stack, logical_id))
        stack._async_resources = known
    return known


def _is_busy(stack):
    return bool(IN_PROGRESS.search(stack.status or "")) and stack.status != "REVIEW_IN_PROGRESS"


UPDATABLE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"}


def _refuse_unless_updatable(stack):
    if stack.status not in UPDATABLE:
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
        )


def _refuse_if_busy(stack):
    if _is_busy(stack):
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
        )


class Plan:
    """One operation's timeline: events and state changes at offsets from its start."""

    def __init__(self, stack):
        self.stack = stack
        self.steps = []  # (offset, order, action(due))
        self._order = itertools.count()

    def add(self, offset, action):
        self.steps.append((offset, next(self._order), action))

    def event(self, offset, logical_id, resource_type, physical_id, status, reason=None):
        stack = self.stack

        def append(due):
            event = cfn.Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=logical_id,
                physical_resource_id=physical_id,
                resource_type=resource_type,
                resource_status=status,
                resource_status_reason=reason,
                resource_properties=None,
            )
            event.timestamp = datetime.datetime.fromtimestamp(due, datetime.timezone.utc).replace(tzinfo=None)
            stack.events.append(event)

        self.add(offset, append)

    def status(self, offset, status, reason=None, then=None):
        """The stack's status changes (and its event is recorded); `then(stack)` runs first."""
        stack = self.stack

        def change(_due):
            if then is not None:
                then(stack)
            stack.status = status
            stack.stack_status_reason = reason

        self.add(offset, change)
        self.event(offset, stack.name, STACK_TYPE, stack.stack_id, status, reason)

    def start(self, now=None):
        begin = time.time() if now is None else now
        for offset, _, action in sorted(self.steps, key=lambda step: (step[0], step[1])):
            SCHEDULER.at(begin + offset, action)
        SCHEDULER.advance()


def _resource_events(plan, times, types, physical, verbs, stop=None, failing=None):
    """IN_PROGRESS and COMPLETE (or FAILED) events of `times` up to `stop`; returns the ids
    that started, and those that failed at `stop`."""
    failing = failing or {}
    started, failed = [], []
    for name, (start, end) in times.items():
        if stop is not None and start >= stop:
            continue
        verb = verbs[name]
        started.append(name)
        plan.event(start, name, types[name], "" if verb == "CREATE" else physical[name], f"{verb}_IN_PROGRESS")
        if verb == "CREATE":
            plan.event(start, name, types[name], physical[name], "CREATE_IN_PROGRESS", "Resource creation Initiated")
        if stop is None or end < stop or (end == stop and name not in failing):
            plan.event(end, name, types[name], physical[name], f"{verb}_COMPLETE")
    if stop is not None:
        for name in started:
            if name in failing and times[name][1] == stop:
                failed.append(name)
                plan.event(stop, name, types[name], physical[name], f"{verbs[name]}_FAILED", failing[name])
        for name in started:
            if times[name][1] > stop:
                noun = "creation" if verbs[name] == "CREATE" else "update"
                plan.event(stop, name, types[name], physical[name], f"{verbs[name]}_FAILED", f"Resource {noun} cancelled")
    return started, failed


def _first_failure(times, failing):
    ends = [times[name][1] for name in failing if name in times]
    return min(ends) if ends else None


# --- create ------------------------------------------------------------------------------------


def _create_plan(stack, resources_json):
    """The timeline of a create moto has already carried out."""
    resources = {n: r for n, r in resources_json.items() if _condition_holds(stack, r)}
    graph = dependencies(resources)
    durations = {n: duration(r) for n, r in resources.items()}
    types = {n: r.get("Type") for n, r in resources.items()}
    physical = {n: _physical_id(stack, n) for n in resources}
    failing = {n: reason for n, r in resources.items() if (reason := fail_reason(r))}
    times = forward_schedule(graph, set(resources), durations)
    stop = _first_failure(times, failing)
    plan = Plan(stack)
    plan.status(0.0, "CREATE_IN_PROGRESS", "User Initiated")
    started, failed = _resource_events(plan, times, types, physical, dict.fromkeys(resources, "CREATE"), stop, failing)
    if stop is None:
        end = max((t[1] for t in times.values()), default=0.0)
        known = {n: (types[n], physical[n]) for n in resources}

        def complete(stack):
            stack._async_resources = known
            _show_outputs(stack)

        plan.status(end, "CREATE_COMPLETE", then=complete)
        return plan
    cancelled = sorted(n for n in started if times[n][1] > stop)
    reason = f"The following resource(s) failed to create: [{', '.join(sorted(failed) + cancelled)}]. Rollback requested by user."
    plan.status(stop, "ROLLBACK_IN_PROGRESS", reason)
    deletions = reverse_schedule(graph, set(started), durations, stop)
    _resource_events(plan, deletions, types, physical, dict.fromkeys(started, "DELETE"))
    end = max((t[1] for t in deletions.values()), default=stop)
    plan.status(end, "ROLLBACK_COMPLETE", then=_roll_back_create)
    return plan


def _roll_back_create(stack):
    """A failed create's end: moto's resources really go, and the stack has no outputs."""
    backend = cfn.cloudformation_backends[stack.account_id][stack.region_name]
    for export in stack.exports:
        backend.exports.pop(export.name, None)
    try:
        stack.resource_map.delete()
    except Exception:
        traceback.print_exc(file=sys.stderr)
    # moto's resource map is lazy: reading a resource it lacks (ListStackResources) would
    # create it again.
    stack.resource_map._resource_json_map = {}
    stack._async_resources = {}
    _hide_outputs(stack, None)


def _begin_create(stack, events_before, resources_json):
    """Rewinds a stack moto just created to the start of its create, and plays the rest."""
    del stack.events[events_before:]
    stack.status = "CREATE_IN_PROGRESS"
    stack.stack_status_reason = None
    _hide_outputs(stack, None)
    _create_plan(stack, resources_json).start()


# --- update ------------------------------------------------------------------------------------


def _update_plan(stack, old, new, diff, physical, on_complete):
    """The timeline of an update: `old` and `new` are the templates' Resources, `diff` moto's
    Add/Modify/Remove, `physical` the physical ids; `on_complete(stack)` runs at the cleanup."""
    graph = dependencies(new)
    work = set(diff["Add"]) | set(diff["Modify"])
    durations = {n: duration(r) for n, r in new.items()}
    types = {n: r.get("Type") for n, r in new.items()}
    verbs = {n: ("CREATE" if n in diff["Add"] else "UPDATE") for n in work}
    failing = {n: reason for n in work if (reason := fail_reason(new[n]))}
    times = forward_schedule(graph, work, durations)
    stop = _first_failure(times, failing)
    plan = Plan(stack)
    plan.status(0.0, "UPDATE_IN_PROGRESS", "User Initiated")
    started, failed = _resource_events(plan, times, types, physical, verbs, stop, failing)
    if stop is None:
        end = max((t[1] for t in times.values()), default=0.0)
        plan.status(end, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", then=on_complete)
        old_graph = dependencies(old)
        removed = set(diff["Remove"])
        deletions = reverse_schedule(old_graph, removed, {n: duration(old[n]) for n in removed}, end)
        old_types = {n: old[n].get("Type") for n in removed}
        _resource_events(plan, deletions, old_types, physical, dict.fromkeys(removed, "DELETE"))
        plan.status(max((t[1] for t in deletions.values()), default=end), "UPDATE_COMPLETE")
        return plan
    noun = "create" if all(verbs[n] == "CREATE" for n in failed) else "update"
    reason = f"The following resource(s) failed to {noun}: [{', '.join(sorted(failed))}]."
    plan.status(stop, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
    pending = {
        "revert": [n for n in started if verbs[n] == "UPDATE"],
        "delete": [n for n in started if verbs[n] == "CREATE"],
        "types": types,
        "physical": physical,
        "durations": durations,
        "graph": graph,
        "rollback_fail": {n: r for n in started if (r := rollback_fail_reason(new[n]))},
    }
    _rollback_plan(plan, pending, stop)
    return plan


def _rollback_plan(plan, pending, begin):
    """Rolls an update back from `begin`: modified resources updated back in dependency order,
    then the cleanup deletes added ones. A RollbackFail marker stops it in UPDATE_ROLLBACK_FAILED
    with what is left kept on the stack for ContinueUpdateRollback."""
    graph, types, physical = pending["graph"], pending["types"], pending["physical"]
    reverts = forward_schedule(graph, set(pending["revert"]), pending["durations"])
    reverts = {n: (begin + s, begin + e) for n, (s, e) in reverts.items()}
    failing = {n: r for n, r in pending["rollback_fail"].items() if n in reverts}
    stop = _first_failure(reverts, failing)
    started, failed = _resource_events(plan, reverts, types, physical, dict.fromkeys(reverts, "UPDATE"), stop, failing)
    if stop is not None:
        left = dict(pending, revert=[n for n in pending["revert"] if n in failed or n not in started or reverts[n][1] > stop], rollback_fail={})

        def keep(stack):
            stack._async_pending_rollback = left

        reason = f"The following resource(s) failed to update: [{', '.join(sorted(failed))}]."
        end = max((reverts[n][1] for n in started if reverts[n][1] <= stop), default=stop)
        plan.status(max(end, stop), "UPDATE_ROLLBACK_FAILED", reason, then=keep)
        return
    end = max((t[1] for t in reverts.values()), default=begin)

    def forget(stack):
        stack._async_pending_rollback = None

    plan.status(end, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", then=forget)
    deletions = reverse_schedule(graph, set(pending["delete"]), pending["durations"], end)
    _resource_events(plan, deletions, types, physical, dict.fromkeys(deletions, "DELETE"))
    plan.status(max((t[1] for t in deletions.values()), default=end), "UPDATE_ROLLBACK_COMPLETE")


def _update(stack, new_template_dict, parameters, apply):
    """Starts an update of `stack` to `new_template_dict`; `apply()` makes moto carry it out.
    A failing update is never applied: the stack keeps its previous state."""
    _refuse_unless_updatable(stack)
    old = dict((stack.template_dict or {}).get("Resources", {}))
    new = dict(new_template_dict.get("Resources", {}))
    diff = stack.resource_map.build_resource_diff(new_template_dict, parameters)
    work = set(diff["Add"]) | set(diff["Modify"])
    old_physical = {n: _physical_id(stack, n) for n in old}
    old_outputs = stack.outputs
    if any(fail_reason(new[n]) for n in work):
        physical = dict(old_physical)
        physical.update({n: _invented_physical_id(stack.name, n) for n in diff["Add"]})
        plan = _update_plan(stack, old, new, diff, physical, on_complete=None)
        stack.status = "UPDATE_IN_PROGRESS"
        plan.start()
        return
    events_before = len(stack.events)
    apply()
    del stack.events[events_before:]
    physical = dict(old_physical)
    physical.update({n: _physical_id(stack, n) for n in new})
    known = {n: (new[n].get("Type"), physical[n]) for n in new}

    def complete(stack):
        stack._async_resources = known
        _show_outputs(stack)

    _hide_outputs(stack, old_outputs)
    stack.status = "UPDATE_IN_PROGRESS"
    _update_plan(stack, old, new, diff, physical, on_complete=complete).start()


# --- delete and continue-update-rollback ---------------------------------------------------------


def _delete(backend, stack, original_delete):
    if stack.status == "DELETE_IN_PROGRESS":
        return
    if _is_busy(stack):
        raise ValidationError(
            stack.stack_id,
            message=f"Stack [{stack.name}] cannot be deleted while in status {stack.status}",
        )
    known = _known_resources(stack)
    resources = (stack.template_dict or {}).get("Resources", {})
    graph = dependencies({n: resources.get(n, {}) for n in known})
    durations = {n: duration(resources.get(n, {"Type": t})) for n, (t, _) in known.items()}
    plan = Plan(stack)
    plan.status(0.0, "DELETE_IN_PROGRESS", "User Initiated")
    deletions = reverse_schedule(graph, set(known), durations, 0.0)
    types = {n: t for n, (t, _) in known.items()}
    physical = {n: p for n, (_, p) in known.items()}
    _resource_events(plan, deletions, types, physical, dict.fromkeys(known, "DELETE"))
    end = max((t[1] for t in deletions.values()), default=0.0)

    def gone(_due):
        events = list(stack.events)
        try:
            original_delete(backend, stack.stack_id)
        except Exception:  # a resource moto cannot delete: the stack goes all the same
            traceback.print_exc(file=sys.stderr)
            backend.stacks.pop(stack.stack_id, None)
            backend.deleted_stacks[stack.stack_id] = stack
        stack.events[:] = events
        stack.status = "DELETE_COMPLETE"
        stack.stack_status_reason = None

    plan.add(end, gone)
    plan.event(end, stack.name, STACK_TYPE, stack.stack_id, "DELETE_COMPLETE")
    stack.status = "DELETE_IN_PROGRESS"
    plan.start()


def _continue_update_rollback(stack, resources_to_skip):
    if stack.status != "UPDATE_ROLLBACK_FAILED":
        raise ValidationError(
            stack.stack_id,
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.",
        )
    pending = getattr(stack, "_async_pending_rollback", None) or {
        "revert": [],
        "delete": [],
        "types": {},
        "physical": {},
        "durations": {},
        "graph": {},
        "rollback_fail": {},
    }
    skipped = set(resources_to_skip)
    plan = Plan(stack)
    plan.status(0.0, "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated")
    for name in sorted(skipped & set(pending["revert"])):
        plan.event(0.0, name, pending["types"].get(name), pending["physical"].get(name), "UPDATE_COMPLETE", "Resource skipped during rollback")
    pending = dict(pending, revert=[n for n in pending["revert"] if n not in skipped])
    _rollback_plan(plan, pending, 0.0)
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    plan.start()


# --- the API, patched ----------------------------------------------------------------------------


def _backend(response):
    return response.cloudformation_backend


def _live_stack(backend, name_or_id):
    for stack in backend.stacks.values():
        if stack.name == name_or_id or stack.stack_id == name_or_id:
            return stack
    return None


def install():
    """Makes CloudFormation asynchronous in this moto process."""
    global SCHEDULER
    SCHEDULER = Scheduler()
    _patch_stack_operations(cfn_responses.CloudFormationResponse, cfn.CloudFormationBackend)
    _patch_change_sets(cfn.CloudFormationBackend)
    _patch_requests(cfn_responses.CloudFormationResponse)


def _patch_stack_operations(responses, backend_class):
    """CreateStack, UpdateStack, DeleteStack and ContinueUpdateRollback on the timeline."""
    original_create_stack = responses.create_stack

    def create_stack(self):
        backend = _backend(self)
        result = original_create_stack(self)
        stack = _live_stack(backend, self._get_param("StackName"))
        # moto has recorded CREATE_IN_PROGRESS and, when done, CREATE_COMPLETE: replay instead.
        _begin_create(stack, 0, stack.template_dict.get("Resources", {}))
        return result

    responses.create_stack = create_stack

    original_update_stack = backend_class.update_stack

    def update_stack(self, name, template, role_arn, parameters, tags):
        stack = self.get_stack(name)
        resolved = self._resolve_update_parameters(instance=stack, incoming_params=parameters)
        _update(
            stack,
            cfn.Stack.parse_template(template),
            resolved,
            lambda: original_update_stack(self, name, template, role_arn, parameters, tags),
        )
        return stack

    backend_class.update_stack = update_stack

    original_delete_stack = backend_class.delete_stack

    def delete_stack(self):
        backend = _backend(self)
        stack = _live_stack(backend, self._get_param("StackName"))
        if stack is None:
            return EmptyResult()
        _delete(backend, stack, original_delete_stack)
        return EmptyResult()

    responses.delete_stack = delete_stack

    def continue_update_rollback(self):
        backend = _backend(self)
        name = self._get_param("StackName")
        stack = _live_stack(backend, name)
        if stack is None:
            raise ValidationError(name)
        _continue_update_rollback(stack, self._get_param("ResourcesToSkip", []))
        return EmptyResult()

    responses.continue_update_rollback = continue_update_rollback


def _patch_change_sets(backend_class):
    """ExecuteChangeSet on the timeline; no update change set for a stack that cannot update."""
    original_execute = backend_class.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.describe_change_set(change_set_name)
        stack = self.stacks[change_set.stack_id]
        if change_set.change_set_type == "CREATE":
            _refuse_if_busy(stack)
            events_before = len(stack.events)
            original_execute(self, change_set_name, stack_name)
            _begin_create(stack, events_before, change_set.template_dict.get("Resources", {}))
        else:
            _update(
                stack,
                change_set.template_dict,
                change_set.parameters,
                lambda: original_execute(self, change_set_name, stack_name),
            )
        change_set.execution_status = "EXECUTE_COMPLETE"

    backend_class.execute_change_set = execute_change_set

    original_create_change_set = backend_class.create_change_set

    def create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, **kwargs):
        if change_set_type == "UPDATE":
            stack = _live_stack(self, stack_name)
            if stack is not None:
                _refuse_unless_updatable(stack)
        return original_create_change_set(self, stack_name, change_set_name, template, parameters, description, change_set_type, **kwargs)

    backend_class.create_change_set = create_change_set


def _patch_requests(responses):
    """Due changes applied before every request is answered, under the lock; the call log."""
    original_call_action = responses.call_action
    call_log = os.environ.get("GAPFILL_EMULATOR_CALL_LOG")

    def call_action(self):
        started = time.time()
        with LOCK:
            SCHEDULER.advance()
            result = original_call_action(self)
        if call_log:
            _log_call(call_log, started, self._get_action(), self._get_param("StackName") or "-")
        return result

    responses.call_action = call_action


_LOG_LOCK = threading.Lock()


def _log_call(path, started, action, stack):
    with _LOG_LOCK, open(path, "a", encoding="utf-8") as log:
        log.write(f"{started:.6f} {time.time():.6f} {action} {stack}\n")
