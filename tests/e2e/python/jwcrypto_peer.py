"""The other side of tests/e2e/jwe_jwcrypto_test.ts: Python's jwcrypto (Debian python3-jwcrypto)
encrypting and decrypting JWEs, and pyca/cryptography reading our PEM keys.

Reads one JSON request on stdin: {"ops": [...]}, answers {"results": [...]} on stdout, one result
per op, in order. An op that fails answers {"error": "<exception class>: <message>"}.

Ops:
  {"op": "pem_to_jwk", "pem": "..."}                       -> {"jwk": private JWK}
  {"op": "decrypt", "token": "...", "key": JWK, "jwks": {...}?}
        -> {"header": {...}, "plaintext": "...", "claims": {...}?}  (claims: the nested JWS,
           verified with jwks, when the header says cty JWT and jwks is given)
  {"op": "encrypt", "plaintext": "...", "header": {...}, "key": JWK (public)} -> {"token": "..."}
  {"op": "sign_encrypt", "claims": {...}, "sign_pem": "...", "kid": "...", "header": {...},
   "key": JWK}                                              -> {"token": "..."} (nested, ES256)
"""

import base64
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from jwcrypto import jwe, jwk, jws, jwt
from jwcrypto.common import json_encode


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_to_jwk(pem):
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if isinstance(key, x25519.X25519PrivateKey):
        # jwcrypto 1.1 does not read X25519 PEM: build the OKP JWK (RFC 8037 §2) from the raw keys.
        d = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        x = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "X25519", "x": b64u(x), "d": b64u(d)}
    return json.loads(jwk.JWK.from_pem(pem.encode()).export_private())


def decrypt(token, key, jwks=None):
    k = jwk.JWK(**key)
    obj = jwe.JWE()
    obj.deserialize(token, key=k)
    header = obj.jose_header
    out = {"header": header, "plaintext": obj.payload.decode()}
    if jwks is not None and str(header.get("cty", "")).upper() == "JWT":
        keyset = jwk.JWKSet.from_json(json.dumps(jwks))
        inner = jwt.JWT(jwt=obj.payload.decode(), key=keyset, algs=["ES256", "RS256", "EdDSA"])
        out["claims"] = json.loads(inner.claims)
    return out


def encrypt(plaintext, header, key):
    obj = jwe.JWE(plaintext.encode(), json_encode(header))
    obj.add_recipient(jwk.JWK(**key))
    return {"token": obj.serialize(compact=True)}


def sign_encrypt(claims, sign_pem, kid, header, key):
    signer = jwk.JWK.from_pem(sign_pem.encode())
    inner = jws.JWS(json.dumps(claims).encode())
    inner.add_signature(signer, None, json_encode({"alg": "ES256", "typ": "JWT", "kid": kid}))
    return encrypt(inner.serialize(compact=True), header, key)


def main():
    request = json.load(sys.stdin)
    results = []
    for op in request["ops"]:
        try:
            name = op["op"]
            if name == "pem_to_jwk":
                results.append({"jwk": pem_to_jwk(op["pem"])})
            elif name == "decrypt":
                results.append(decrypt(op["token"], op["key"], op.get("jwks")))
            elif name == "encrypt":
                results.append(encrypt(op["plaintext"], op["header"], op["key"]))
            elif name == "sign_encrypt":
                results.append(
                    sign_encrypt(op["claims"], op["sign_pem"], op["kid"], op["header"], op["key"])
                )
            else:
                results.append({"error": "unknown op " + name})
        except Exception as e:  # every failure is an answer: the test decides
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    json.dump({"results": results}, sys.stdout)


main()
