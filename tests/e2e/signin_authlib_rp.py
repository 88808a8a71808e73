"""A relying party written with Python's Authlib (Debian python3-authlib), unchanged, signing a
person in at a real Keypebble (issue 24): discovery, the authorization URL with PKCE S256, a
state and a nonce, the code exchanged with client_secret_basic (confidential) or none (public),
the ID token verified with the published JWKS and validated as a code-flow ID token (iss, aud,
exp, iat, nonce, azp, at_hash), UserInfo, a refresh, and RP-initiated logout.

The browser's part (our login and consent forms) is a plain `requests` session that fills in the
forms as a person would. Usage:

    python3 signin_authlib_rp.py '{"issuer": ..., "client_id": ..., "client_secret": ... | null,
        "redirect_uri": ..., "username": ..., "password": ..., "post_logout_redirect_uri": ...}'

Prints one JSON object with what the relying party saw; exits 1 with the reason otherwise.
"""

import html
import json
import re
import sys
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oidc.core import CodeIDToken


def form_of(page):
    """The action and hidden inputs of our page's form."""
    action = re.search(r'<form method="post" action="([^"]*)"', page)
    if action is None:
        raise SystemExit("no form in page: " + page[:500])
    fields = {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }
    return html.unescape(action.group(1)), fields


def browse(issuer, url, username, password):
    """Follow our pages as a browser would; the redirect back to the client, unfollowed."""
    browser = requests.Session()
    res = browser.get(url, allow_redirects=False)
    pages = []
    for _ in range(5):
        if res.status_code in (302, 303):
            return res.headers["Location"], pages
        if res.status_code != 200:
            raise SystemExit("unexpected %d: %s" % (res.status_code, res.text[:500]))
        page = res.text
        action, fields = form_of(page)
        if 'name="consent" value="allow"' in page:
            pages.append("consent")
            fields["consent"] = "allow"
        elif 'name="password"' in page:
            pages.append("login")
            fields.update(username=username, password=password)
        else:
            raise SystemExit("unexpected page: " + page[:500])
        res = browser.post(urljoin(issuer, action), data=fields, allow_redirects=False,
                           headers={"Origin": issuer})
    raise SystemExit("too many pages")


def main():
    cfg = json.loads(sys.argv[1])
    issuer = cfg["issuer"]
    meta = requests.get(issuer + "/.well-known/openid-configuration").json()
    assert meta["issuer"] == issuer, meta["issuer"]
    assert "code" in meta["response_types_supported"]
    assert "S256" in meta["code_challenge_methods_supported"]
    public = cfg["client_secret"] is None
    client = OAuth2Session(
        cfg["client_id"],
        cfg["client_secret"],
        scope="openid profile email",
        redirect_uri=cfg["redirect_uri"],
        code_challenge_method="S256",
        token_endpoint_auth_method="none" if public else "client_secret_basic",
    )
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    location, pages = browse(issuer, url, cfg["username"], cfg["password"])
    callback = parse_qs(urlparse(location).query)
    # RFC 9207: the iss of the response is the issuer we started with.
    assert callback["iss"] == [issuer], callback
    token = client.fetch_token(
        meta["token_endpoint"], authorization_response=location, code_verifier=verifier)

    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())
    claims = jwt.decode(
        token["id_token"], jwks, claims_cls=CodeIDToken,
        claims_options={"iss": {"values": [issuer]}},
        claims_params={"nonce": nonce, "client_id": cfg["client_id"],
                       "access_token": token["access_token"]})
    claims.validate()

    userinfo = client.get(meta["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"], (userinfo, claims)

    # A public client names itself (authlib's "none" method puts client_id in the body).
    refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])

    logout = requests.get(meta["end_session_endpoint"], params={
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": cfg["post_logout_redirect_uri"],
        "state": "bye-" + state,
    }, allow_redirects=False)

    print(json.dumps({
        "pages": pages,
        "state_ok": callback["state"] == [state],
        "id_token": {k: claims[k] for k in claims},
        "id_token_alg": jwt.decode(token["id_token"], jwks).header["alg"],
        "userinfo": userinfo,
        "scope": token.get("scope"),
        "refreshed": "access_token" in refreshed and refreshed["refresh_token"] != token["refresh_token"],
        "logout_status": logout.status_code,
        "logout_location": logout.headers.get("Location"),
    }))


if __name__ == "__main__":
    main()
