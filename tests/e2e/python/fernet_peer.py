"""The other side of tests/e2e/fernet_cryptography_test.ts: Python's cryptography.fernet (Debian
python3-cryptography) making and reading Fernet tokens.

Reads {"ops": [...]} on stdin, answers {"results": [...]} on stdout, in order; a failing op
answers {"error": "<exception class>"}.

Ops:
  {"op": "decrypt", "token": "...", "keys": ["<key>", ...], "ttl": N?, "now": T?}
        -> {"message": "..."}   (MultiFernet: any key; ttl checked against the timestamp)
  {"op": "encrypt", "key": "<key>", "message": "...", "at": T?} -> {"token": "..."}
"""

import json
import sys
import time

from cryptography.fernet import Fernet, MultiFernet


def main():
    request = json.load(sys.stdin)
    results = []
    for op in request["ops"]:
        try:
            if op["op"] == "decrypt":
                f = MultiFernet([Fernet(k.encode()) for k in op["keys"]])
                now = op.get("now", int(time.time()))
                message = f.decrypt_at_time(op["token"].encode(), op.get("ttl", 10**9), now)
                results.append({"message": message.decode()})
            elif op["op"] == "encrypt":
                f = Fernet(op["key"].encode())
                at = op.get("at", int(time.time()))
                results.append({"token": f.encrypt_at_time(op["message"].encode(), at).decode()})
            else:
                results.append({"error": "unknown op"})
        except Exception as e:
            results.append({"error": type(e).__name__})
    json.dump({"results": results}, sys.stdout)


main()
