"""Figures for scripts/bench_async.sh (run with the emulator's venv: it reads templates the way
the asynchronous emulator does, through scripts/moto_async.py).

  critical-path GAPFILL_YAML MAX_CONCURRENCY
      Seconds the project takes with no overhead at all: each stack lasts the longest chain of
      resource durations through its template (as the emulator times it), stacks start when
      the stacks they read have finished, at most MAX_CONCURRENCY at once (longest remaining
      chain first). Prints the seconds.
  calls CALL_LOG FIRST_LINE STACK...
      From the emulator's call log (GAPFILL_EMULATOR_CALL_LOG), lines FIRST_LINE on, the calls
      naming these stacks. Prints: calls, calls per stack, calls per stack per minute of
      waiting (each stack's calls over the time from its first call to its last), the most
      Describe* calls one stack had in flight at once, and the most one stack made in one
      polling tick while waiting for its operation (calls less than TICK_GAP apart).
  sceptre-project GAPFILL_YAML DIR GROUP
      Writes the same project as a Sceptre project into DIR (config/GROUP/STACK.yaml), each
      `${stack.Output}` parameter as `!stack_output`.
"""

import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moto_async  # noqa: E402  (the emulator's own timing rules)
from moto.cloudformation.models import Stack  # noqa: E402

TICK_GAP = 0.5
# Calls that start an operation: what follows them is waiting.
WRITES = {"ExecuteChangeSet", "CreateStack", "UpdateStack", "DeleteStack", "ContinueUpdateRollback"}
REFERENCE = re.compile(r"\$\{([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)\}")


def load_project(path):
    with open(path, encoding="utf-8") as file:
        project = yaml.safe_load(file)
    return project, os.path.dirname(os.path.abspath(path))


def stack_dependencies(project):
    stacks = project["stacks"]
    graph = {}
    for name, stack in stacks.items():
        needs = set(stack.get("depends_on") or [])
        for value in (stack.get("parameters") or {}).values():
            needs |= {ref for ref, _ in REFERENCE.findall(str(value)) if ref in stacks}
        graph[name] = needs
    return graph


def stack_seconds(template_path):
    with open(template_path, encoding="utf-8") as file:
        resources = Stack.parse_template(file.read()).get("Resources", {})
    graph = moto_async.dependencies(resources)
    durations = {name: moto_async.duration(resource) for name, resource in resources.items()}
    times = moto_async.forward_schedule(graph, set(resources), durations)
    return max((end for _, end in times.values()), default=0.0)


def critical_path(gapfill_yaml, max_concurrency):
    project, base = load_project(gapfill_yaml)
    graph = stack_dependencies(project)
    seconds = {name: stack_seconds(os.path.join(base, stack["template"])) for name, stack in project["stacks"].items()}
    dependents = {name: {d for d, needs in graph.items() if name in needs} for name in graph}
    tail = {}

    def longest_from(name):
        if name not in tail:
            tail[name] = seconds[name] + max((longest_from(d) for d in dependents[name]), default=0.0)
        return tail[name]

    finished, running, clock = {}, {}, 0.0
    while len(finished) < len(graph):
        ready = [n for n in graph if n not in finished and n not in running and graph[n] <= set(finished)]
        ready.sort(key=lambda n: -longest_from(n))
        for name in ready[: max(max_concurrency - len(running), 0)]:
            running[name] = clock + seconds[name]
        clock = min(running.values())
        for name in [n for n, end in running.items() if end <= clock]:
            finished[name] = running.pop(name)
    return clock


def stack_name_of(value):
    """A stack name from a StackName parameter: a name or a stack ARN."""
    if value.startswith("arn:"):
        parts = value.split(":stack/", 1)
        if len(parts) == 2:
            return parts[1].split("/")[0]
    return value


def calls(call_log, first_line, stacks):
    wanted = set(stacks)
    per_stack = {name: [] for name in stacks}
    with open(call_log, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if number < first_line:
                continue
            start, end, action, stack = line.split()
            name = stack_name_of(stack)
            if name in wanted:
                per_stack[name].append((float(start), float(end), action))
    total = sum(len(c) for c in per_stack.values())
    rates, in_flight, per_tick = [], 0, 0
    for made in per_stack.values():
        if not made:
            continue
        span = max(e for _, e, _ in made) - min(s for s, _, _ in made)
        if span > 0:
            rates.append(len(made) / (span / 60))
        describes = sorted((s, e) for s, e, a in made if a.startswith("Describe"))
        in_flight = max(in_flight, most_overlapping(describes))
        writes = [e for _, e, a in made if a in WRITES]
        if writes:
            waiting = [(s, e) for s, e in describes if s >= max(writes)]
            per_tick = max(per_tick, most_in_one_tick(waiting))
    rate = sum(rates) / len(rates) if rates else 0.0
    return total, total / max(len(stacks), 1), rate, in_flight, per_tick


def most_overlapping(intervals):
    edges = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def most_in_one_tick(intervals):
    """The most calls in one tick (calls less than TICK_GAP apart) while waiting, the last
    tick excepted: it reads the result (gapfill's outputs, Sceptre's final status)."""
    ticks, last_end = [], None
    for start, end in intervals:
        if last_end is None or start - last_end >= TICK_GAP:
            ticks.append(0)
        ticks[-1] += 1
        last_end = end
    return max(ticks[:-1] or ticks or [0])


def sceptre_project(gapfill_yaml, out_dir, group):
    project, base = load_project(gapfill_yaml)
    os.makedirs(os.path.join(out_dir, "config", group), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "templates"), exist_ok=True)
    with open(os.path.join(out_dir, "config", "config.yaml"), "w", encoding="utf-8") as file:
        file.write("project_code: sb\nregion: us-east-1\n")
    for name, stack in project["stacks"].items():
        template = os.path.basename(stack["template"])
        with open(os.path.join(base, stack["template"]), encoding="utf-8") as source:
            text = source.read()
        with open(os.path.join(out_dir, "templates", template), "w", encoding="utf-8") as target:
            target.write(text)
        lines = [f"template:\n  path: {template}\n"]
        parameters = stack.get("parameters") or {}
        if parameters:
            lines.append("parameters:\n")
            for key, value in parameters.items():
                lines.append(f"  {key}: {sceptre_value(str(value), group)}\n")
        with open(os.path.join(out_dir, "config", group, f"{name}.yaml"), "w", encoding="utf-8") as file:
            file.write("".join(lines))


def sceptre_value(value, group):
    refs = REFERENCE.findall(value)
    outputs = [f"!stack_output {group}/{stack}.yaml::{output}" for stack, output in refs]
    if not refs:
        return yaml.safe_dump(value).strip().removesuffix("...").strip()
    if value == ",".join(f"${{{s}.{o}}}" for s, o in refs):
        return outputs[0] if len(outputs) == 1 else "[" + ", ".join(outputs) + "]"
    sys.exit(f"bench: cannot express {value!r} for Sceptre")


def main(argv):
    command = argv[1] if len(argv) > 1 else ""
    if command == "critical-path" and len(argv) == 4:
        print(f"{critical_path(argv[2], int(argv[3])):.2f}")
    elif command == "calls" and len(argv) >= 5:
        total, per_stack, rate, in_flight, per_tick = calls(argv[2], int(argv[3]), argv[4:])
        print(f"{total} {per_stack:.1f} {rate:.1f} {in_flight} {per_tick}")
    elif command == "sceptre-project" and len(argv) == 5:
        sceptre_project(argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
