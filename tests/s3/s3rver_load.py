"""Loads a dataset folder into a bucket of s3rver's file store, as the objects s3rver would
have written for PUTs: <key>._S3rver_object with its .md5, plus a zero-byte "folder/" marker
object (Content-Type application/x-directory) for every folder, which s3fs needs to show
folders. Much faster than thousands of PUTs; s3rver serves the objects as if uploaded.

    python3 tests/s3/s3rver_load.py STORE/BUCKET SRC_DIR PREFIX
"""
import hashlib
import json
import os
import shutil
import sys

SUFFIX = "._S3rver_"


def put_marker(bucket_dir, key_dir):
    """The object "key_dir/" (s3rver stores it as key_dir/._S3rver_object)."""
    folder = os.path.join(bucket_dir, key_dir)
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, SUFFIX + "object")
    if os.path.exists(base):
        return
    open(base, "wb").close()
    with open(base + ".md5", "w") as f:
        f.write(hashlib.md5(b"").hexdigest())
    with open(os.path.join(folder, SUFFIX + "metadata.json"), "w") as f:
        json.dump({"content-type": "application/x-directory"}, f)


def main():
    bucket_dir, src, prefix = sys.argv[1], sys.argv[2], sys.argv[3].strip("/")
    if not os.path.isdir(bucket_dir):
        sys.exit(f"s3rver_load: {bucket_dir} is not a bucket of s3rver's store")
    parts = prefix.split("/") if prefix else []
    for i in range(1, len(parts) + 1):
        put_marker(bucket_dir, "/".join(parts[:i]))
    objects = total = 0
    for root, dirs, files in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(root, src)
        key_dir = "/".join(p for p in [prefix, "" if rel == "." else rel] if p)
        if key_dir:
            put_marker(bucket_dir, key_dir)
        for name in sorted(files):
            data_path = os.path.join(root, name)
            target = os.path.join(bucket_dir, key_dir, name + SUFFIX + "object")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(data_path, target)
            with open(data_path, "rb") as f:
                digest = hashlib.md5(f.read()).hexdigest()
            with open(target + ".md5", "w") as f:
                f.write(digest)
            objects += 1
            total += os.path.getsize(data_path)
    print(f"s3rver_load: {objects} objects, {total / 1e6:.1f} MB under {prefix or '/'}")


if __name__ == "__main__":
    main()
