#!/usr/bin/env python3
"""Build gapfill's embedded model bundle from an unpacked botocore wheel.

Usage: build_models.py BOTOCORE_ROOT OUT_DIR VERSION

BOTOCORE_ROOT is the directory holding `botocore/data/` and `botocore-*.dist-info/`.
For every service, the latest api-version directory's service-2, paginators-1, waiters-2 and
endpoint-rule-set-1 documents are kept (with `*.sdk-extras.json` merged in as botocore's loader
does), documentation strings are stripped, and each service becomes one zstd frame. All frames
are compressed against one zstd dictionary trained on the services themselves: the models share
much structure (endpoint rule sets above all), which independent frames could not exploit.

Bundle layout (`models/bundle.bin`), all integers little-endian:
  b"GFMB1\\n" | u32 index length | index JSON | dictionary | frames...
The index is {"botocore": VERSION, "dictionary": [offset, length], "partitions": [offset, length],
"services": {name: {"api_version": str, "frame": [offset, length]}}}; offsets are relative to the
first byte after the index. Each service frame decompresses to
{"service": ..., "paginators": ..., "waiters": ..., "endpoint_rules": ...} (absent documents null).
"""

import datetime
import glob
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

DOCUMENTS = {
    "service": "service-2",
    "paginators": "paginators-1",
    "waiters": "waiters-2",
    "endpoint_rules": "endpoint-rule-set-1",
}
# Keys that only carry prose; removed wherever their value is a string.
DOC_KEYS = {"documentation", "documentationUrl", "examples", "deprecatedMessage"}
ZSTD_LEVEL = "-19"
DICTIONARY_SIZE = 112640


def load_json(path_without_ext):
    for ext, opener in ((".json", open), (".json.gz", gzip.open)):
        path = path_without_ext + ext
        if os.path.exists(path):
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    return None


def deep_merge(base, extra):
    """botocore.utils.deep_merge: nested dicts merge, anything else overwrites."""
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value


def strip_docs(value):
    if isinstance(value, dict):
        return {
            k: strip_docs(v)
            for k, v in value.items()
            if not (k in DOC_KEYS and isinstance(v, (str, list)))
        }
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def latest_version_dir(service_dir):
    versions = sorted(
        d for d in os.listdir(service_dir) if os.path.isdir(os.path.join(service_dir, d))
    )
    return versions[-1] if versions else None


def load_document(version_dir, type_name):
    doc = load_json(os.path.join(version_dir, type_name))
    if doc is None:
        return None
    extras = load_json(os.path.join(version_dir, type_name + ".sdk-extras"))
    if extras is not None and isinstance(extras.get("merge"), dict):
        deep_merge(doc, extras["merge"])
    return strip_docs(doc)


def compress(data, dictionary):
    result = subprocess.run(
        ["zstd", ZSTD_LEVEL, "-q", "-c", "--no-check", "-D", dictionary],
        input=data,
        stdout=subprocess.PIPE,
        check=True,
    )
    return result.stdout


def minified(doc):
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def service_documents(data_dir):
    """Yields (name, api_version, minified documents) for every service, sorted by name."""
    for name in sorted(os.listdir(data_dir)):
        service_dir = os.path.join(data_dir, name)
        if not os.path.isdir(service_dir):
            continue
        api_version = latest_version_dir(service_dir)
        if api_version is None:
            continue
        version_dir = os.path.join(service_dir, api_version)
        docs = {key: load_document(version_dir, t) for key, t in DOCUMENTS.items()}
        if docs["service"] is not None:
            yield name, api_version, minified(docs)


def train_dictionary(samples, work):
    paths = []
    for i, sample in enumerate(samples):
        path = os.path.join(work, f"{i}.json")
        with open(path, "wb") as f:
            f.write(sample)
        paths.append(path)
    dictionary = os.path.join(work, "dictionary")
    subprocess.run(
        ["zstd", "-q", "--train", f"--maxdict={DICTIONARY_SIZE}", "-o", dictionary, *paths],
        check=True,
    )
    return dictionary


def build(root, out_dir, version):
    data_dir = os.path.join(root, "botocore", "data")
    services = list(service_documents(data_dir))
    partitions = minified(load_json(os.path.join(data_dir, "partitions")))
    work = tempfile.mkdtemp()
    try:
        dictionary = train_dictionary([docs for _, _, docs in services], work)
        with open(dictionary, "rb") as f:
            frames = bytearray(f.read())
        index = {"botocore": version, "dictionary": [0, len(frames)], "services": {}}
        blob = compress(partitions, dictionary)
        index["partitions"] = [len(frames), len(blob)]
        frames += blob
        for name, api_version, docs in services:
            blob = compress(docs, dictionary)
            index["services"][name] = {"api_version": api_version, "frame": [len(frames), len(blob)]}
            frames += blob
    finally:
        shutil.rmtree(work)

    index_bytes = minified(index)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "bundle.bin"), "wb") as f:
        f.write(b"GFMB1\n")
        f.write(struct.pack("<I", len(index_bytes)))
        f.write(index_bytes)
        f.write(frames)

    dist_info = glob.glob(os.path.join(root, "botocore-*.dist-info"))[0]
    for src, dst in (("LICENSE.txt", "LICENSE.txt"), ("NOTICE", "NOTICE")):
        shutil.copyfile(os.path.join(dist_info, src), os.path.join(out_dir, dst))
    with open(os.path.join(out_dir, "VERSION"), "w", encoding="utf-8") as f:
        f.write(f"botocore {version}\nbuilt {datetime.date.today().isoformat()}\n")
    print(f"{len(index['services'])} services, bundle {os.path.getsize(os.path.join(out_dir, 'bundle.bin'))} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    build(sys.argv[1], sys.argv[2], sys.argv[3])
