"""A relying party that verifies tokens the way pico-auth's client library (pico-client-auth
0.3, TokenValidator) does: PyJWT with the issuer's JWKS key for the token's kid, RS256 only,
the configured audience and issuer, then the `role` claim decides. Reads lines of
`<required-role> <token>` on stdin; prints one JSON verdict per line.

Written for Keypebble's e2e suite; it mirrors what that library checks, not its code.
"""

import json
import sys

import jwt

ROLES = ["superadmin", "org_admin", "operator", "viewer"]


def main() -> None:
    jwks_url, issuer, audience = sys.argv[1], sys.argv[2], sys.argv[3]
    jwks = jwt.PyJWKClient(jwks_url)
    for line in sys.stdin:
        need, token = line.strip().split(" ", 1)
        try:
            key = jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["RS256"], audience=audience, issuer=issuer
            )
        except Exception as exc:  # noqa: BLE001 - the verdict is the point
            print(json.dumps({"ok": False, "why": type(exc).__name__}), flush=True)
            continue
        role = claims.get("role", "")
        allowed = role in ROLES and ROLES.index(role) <= ROLES.index(need)
        print(json.dumps({"ok": allowed, "why": "role" if not allowed else "", "role": role,
                          "sub": claims.get("sub")}), flush=True)


if __name__ == "__main__":
    main()
