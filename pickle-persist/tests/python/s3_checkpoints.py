"""Reads pickle-persist checkpoints from S3 with boto3 and plain pickle.loads,
as README.md shows; also makes the test bucket.

Usage:
  s3_checkpoints.py ENDPOINT mkbucket BUCKET
  s3_checkpoints.py ENDPOINT latest BUCKET PREFIX
      prints "STEP SHARDS TYPE METRICS-JSON" and checks every shard is a
      crash_state.JobState of that step
  s3_checkpoints.py ENDPOINT steps BUCKET PREFIX STEP...
      loads each listed step the same way; prints "ok N"
"""
import json
import pickle
import sys

import boto3

import crash_state


def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def newest_marker_key(s3, bucket, prefix):
    """The key of the newest commit marker (names sort by step)."""
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/commits/"):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return max(keys) if keys else None


def load_step(s3, bucket, prefix, marker_key):
    """The marker (a dict) and the objects of every shard, in rank order."""
    marker = pickle.loads(s3.get_object(Bucket=bucket, Key=marker_key)["Body"].read())
    shards = []
    for obj in sorted(marker["objects"], key=lambda o: o["rank"]):
        data = s3.get_object(Bucket=bucket, Key=f"{prefix}/{obj['key']}")["Body"].read()
        assert len(data) == obj["size"], (len(data), obj["size"])
        shards.append(pickle.loads(data))  # stops at STOP: the trailer is ignored
    return marker, shards


def check(marker, shards):
    for state in shards:
        if type(state) is not crash_state.JobState or state.step != marker["step"]:
            sys.exit(f"step {marker['step']}: got {state!r:.80}")
        if state.note != f"step {state.step}" or any(w != state.step + i * 0.5 for i, w in enumerate(state.weights)):
            sys.exit(f"step {marker['step']}: damaged state")


endpoint, command, bucket = sys.argv[1:4]
s3 = client(endpoint)
if command == "mkbucket":
    s3.create_bucket(Bucket=bucket)
    print("ok")
elif command == "latest":
    prefix = sys.argv[4]
    marker, shards = load_step(s3, bucket, prefix, newest_marker_key(s3, bucket, prefix))
    check(marker, shards)
    info = marker["info"]
    print(marker["step"], marker["shards"], info["type"], json.dumps(info["metrics"], sort_keys=True),
          [len(s.weights) for s in shards])
elif command == "steps":
    prefix = sys.argv[4]
    for step in sys.argv[5:]:
        marker, shards = load_step(s3, bucket, prefix, f"{prefix}/commits/{int(step):020}.pickle")
        check(marker, shards)
    print("ok", len(sys.argv) - 5)
