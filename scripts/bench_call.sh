#!/usr/bin/env bash
# `gapfill call` benchmarks against the local emulator. Prints numbers; asserts nothing.
#
#   scripts/bench_call.sh [CALLS]     CALLS sequential calls per client (default 200)
#
# Prints:
#   1. start-up to first byte: a process start, to the first byte of its request arriving at a
#      local TCP listener (which answers a minimal `{}`), for `gapfill call sqs:ListQueues`
#      (one model loaded), 20 runs; plus the wall time of the whole `--dry-run` and of one
#      real call against moto.
#   2. CALLS sequential sqs:GetQueueAttributes on moto: (a) CALLS `gapfill call` processes,
#      (b) CALLS `aws` CLI processes, (c) one boto3 process making CALLS calls.
#   3. peak RSS of one `gapfill call` (`/usr/bin/time -f %M`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
calls=${1:-200}
runs=20

cargo build --release --locked --quiet
gapfill="${CARGO_TARGET_DIR:-$root/target}/release/gapfill"

# A failed command substitution inside eval would not stop the script: assign first.
exports=$(scripts/emulator.sh start)
eval "$exports"
: "${AWS_ENDPOINT_URL:?the emulator did not start; refusing to talk to real AWS}"
trap 'scripts/emulator.sh stop "$GAPFILL_EMULATOR_PID"' EXIT
python="$root/.venv/bin/python"
work="$root/.emulator/bench-call"
rm -rf "$work"
mkdir -p "$work"

# The aws CLI of the pinned botocore, from the repository's venv (scripts/python/requirements.lock).
# Given --endpoint-url explicitly: some awscli v1 builds ignore AWS_ENDPOINT_URL.
aws="$root/.venv/bin/aws"

now() { date +%s.%N; }
# "TOTAL_S CALLS_PER_S" for CALLS calls that took from $1 to $2.
rate() { echo "$2 - $1" | bc -l | awk -v n="$calls" '{ printf "%8.2f s %8.1f calls/s\n", $1, n / $1 }'; }
# Mean milliseconds of `"$@"` over $runs runs.
mean_ms() {
  local start end
  start=$(now)
  for _ in $(seq 1 "$runs"); do "$@" >/dev/null; done
  end=$(now)
  echo "($end - $start) * 1000 / $runs" | bc -l | awk '{ printf "%.1f", $1 }'
}

echo "== gapfill call: start-up to first byte sent ($runs runs, sqs:ListQueues, one model loaded)"
"$python" - "$gapfill" "$runs" <<'PY'
import os, socket, statistics, subprocess, sys, time

gapfill, runs = sys.argv[1], int(sys.argv[2])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1)
endpoint = "http://127.0.0.1:%d" % listener.getsockname()[1]
env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\n"
          b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
first_byte, whole = [], []
for _ in range(runs):
    start = time.perf_counter()
    process = subprocess.Popen([gapfill, "call", "sqs:ListQueues"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    connection, _ = listener.accept()
    request = connection.recv(1)
    first_byte.append(time.perf_counter() - start)
    connection.settimeout(5)
    while b"\r\n\r\n" not in request:
        request += connection.recv(65536)
    head, body = request.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += connection.recv(65536)
    connection.sendall(answer)
    connection.close()
    _, stderr = process.communicate()
    whole.append(time.perf_counter() - start)
    if process.returncode != 0:
        sys.exit("bench: gapfill failed against the listener: %s" % stderr.decode())
ms = lambda values: "median %6.1f ms  min %6.1f ms  max %6.1f ms" % (
    statistics.median(values) * 1000, min(values) * 1000, max(values) * 1000)
print("  start to first byte:      " + ms(first_byte))
print("  start to exit (whole run):" + ms(whole))
PY

queue="bench-call-$$"
queue_url=$("$gapfill" call sqs:CreateQueue --input "{\"QueueName\": \"$queue\"}" --query QueueUrl | tr -d '"')
input="{\"QueueUrl\": \"$queue_url\", \"AttributeNames\": [\"All\"]}"
# Warm-up: moto's first request on a code path pays its lazy imports; no client should.
"$gapfill" call sqs:GetQueueAttributes --input "$input" >/dev/null

echo "  --dry-run, wall time:       mean $(mean_ms "$gapfill" call sqs:GetQueueAttributes --input "$input" --dry-run) ms"
echo "  real call on moto, wall:    mean $(mean_ms "$gapfill" call sqs:GetQueueAttributes --input "$input") ms"
echo

echo "== $calls sequential sqs:GetQueueAttributes on moto"
start=$(now)
for _ in $(seq 1 "$calls"); do "$gapfill" call sqs:GetQueueAttributes --input "$input" >/dev/null; done
end=$(now)
printf '  (a) gapfill call, %d processes: %s' "$calls" "$(rate "$start" "$end")"
echo

start=$(now)
for _ in $(seq 1 "$calls"); do "$aws" --endpoint-url "$AWS_ENDPOINT_URL" sqs get-queue-attributes --queue-url "$queue_url" --attribute-names All >/dev/null; done
end=$(now)
printf '  (b) aws CLI, %d processes:      %s' "$calls" "$(rate "$start" "$end")"
echo

start=$(now)
"$python" - "$queue_url" "$calls" <<'PY'
import sys
import boto3

queue_url, calls = sys.argv[1], int(sys.argv[2])
sqs = boto3.client("sqs")
for _ in range(calls):
    sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
PY
end=$(now)
printf '  (c) boto3, 1 process:            %s' "$(rate "$start" "$end")"
echo
echo "  (aws CLI: $("$aws" --version 2>&1 | cut -d' ' -f1); boto3 $("$python" -c 'import boto3; print(boto3.__version__)'))"
echo

echo "== peak RSS of one gapfill call (sqs:GetQueueAttributes on moto)"
/usr/bin/time -f '%M' -o "$work/rss" "$gapfill" call sqs:GetQueueAttributes --input "$input" >/dev/null
rss_kb=$(tail -n 1 "$work/rss")
echo "  $((rss_kb / 1024)) MB ($rss_kb KB)"

"$gapfill" call sqs:DeleteQueue --input "{\"QueueUrl\": \"$queue_url\"}" >/dev/null
