#!/usr/bin/python3
"""A SAML 2.0 IdP for the interoperability suite, on Debian's python3-pysaml2.

pysaml2 is a library; this file is the web server around it (the standard
library's http.server). pysaml2 does the SAML: it reads and checks the
AuthnRequest against our SP metadata, builds and signs the Response and
Assertion, names the attributes (urn:oid names with a FriendlyName, from
its saml_uri attribute map), and parses and builds the logout messages.
This file adds users with passwords, a login form, an IdP session cookie,
an IdP-initiated sign-in and an IdP-initiated logout.

  GET  /metadata                    IdP metadata
  GET  /sso?SAMLRequest=...          SSO, HTTP-Redirect binding
  POST /sso                          SSO, HTTP-POST binding
  GET  /initiate?sp=ENTITY_ID        IdP-initiated sign-in (unsolicited)
  POST /login                        the login form's target
  GET  /slo, POST /slo               Single Logout: a LogoutRequest from the
                                     SP, or the SP's LogoutResponse to ours
  GET  /logout                       logout started here: a LogoutRequest to
                                     the SP of the session
"""
import argparse
import html
import http.cookies
import http.server
import json
import secrets
import sys
import threading
import urllib.parse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

SHA256_SIG = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256_DIGEST = "http://www.w3.org/2001/04/xmlenc#sha256"
COOKIE = "pysaml2_idp_session"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", required=True,
                   help="JSON file: {user: {password, attributes: {name: [values]}}}")
    p.add_argument("--sp-metadata", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    return p.parse_args()


ARGS = parse_args()
BASE = "http://127.0.0.1:%d" % ARGS.port
with open(ARGS.users) as fh:
    USERS = json.load(fh)

CONFIG = IdPConfig()
CONFIG.load({
    "entityid": BASE + "/metadata",
    "service": {"idp": {
        "name": "secureshare interop pysaml2 IdP",
        "endpoints": {
            "single_sign_on_service": [(BASE + "/sso", BINDING_HTTP_REDIRECT),
                                       (BASE + "/sso", BINDING_HTTP_POST)],
            "single_logout_service": [(BASE + "/slo", BINDING_HTTP_REDIRECT),
                                      (BASE + "/slo", BINDING_HTTP_POST)],
        },
        "policy": {"default": {"lifetime": {"minutes": 10},
                               "attribute_restrictions": None,
                               "name_form": NAME_FORMAT_URI}},
        "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
        "sign_response": True,
        "sign_assertion": True,
    }},
    "key_file": ARGS.key,
    "cert_file": ARGS.cert,
    "metadata": {"local": [ARGS.sp_metadata]},
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "delete_tmpfiles": True,
})
IDP = Server(config=CONFIG)
LOCK = threading.Lock()  # pysaml2's Server is not documented as thread-safe

# Server-side state: sign-ins waiting for the password, and IdP sessions.
WAITING = {}   # form key -> {"sp", "resp_args", "relay"}
SESSIONS = {}  # cookie -> {"user", "sp", "name_id"}


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "secureshare-interop-pysaml2/1"

    def do_GET(self):
        self.route(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.route(urllib.parse.parse_qs(self.rfile.read(n).decode()))

    def route(self, q):
        form = {k: v[0] for k, v in q.items()}
        path = urllib.parse.urlsplit(self.path).path
        routes = {"/metadata": self.metadata, "/sso": self.sso, "/initiate": self.initiate,
                  "/login": self.login, "/slo": self.slo, "/logout": self.logout}
        if path not in routes:
            return self.send(404, "not found")
        try:
            with LOCK:
                routes[path](form)
        except Exception as e:  # the library's complaint goes to the log and the page
            import traceback
            traceback.print_exc()
            self.send(500, "IdP error: %s: %s" % (type(e).__name__, html.escape(str(e))))

    # --- sign-in

    def metadata(self, form):
        md = create_metadata_string(None, config=CONFIG, valid=24, sign=False)
        self.send(200, md.decode() if isinstance(md, bytes) else md,
                  "application/samlmetadata+xml")

    def sso(self, form):
        binding = BINDING_HTTP_REDIRECT if self.command == "GET" else BINDING_HTTP_POST
        req = IDP.parse_authn_request(form["SAMLRequest"], binding).message
        resp_args = IDP.response_args(req, [BINDING_HTTP_POST])
        resp_args.pop("binding", None)
        self.authenticate({"sp": req.issuer.text, "resp_args": resp_args,
                           "relay": form.get("RelayState", "")})

    def initiate(self, form):
        sp = form["sp"]
        acs = IDP.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]
        self.authenticate({"sp": sp, "relay": form.get("RelayState", ""),
                           "resp_args": {"in_response_to": None, "destination": acs,
                                         "sp_entity_id": sp, "name_id_policy": None}})

    def authenticate(self, pending):
        """Answers at once for a browser with an IdP session, else shows
        the login form."""
        sess = SESSIONS.get(self.cookie())
        if sess is not None:
            return self.answer(sess["user"], pending, self.cookie())
        key = secrets.token_urlsafe(16)
        WAITING[key] = pending
        self.login_form(key, "")

    def login(self, form):
        key = form.get("key", "")
        pending = WAITING.get(key)
        if pending is None:
            return self.send(400, "unknown or used login form")
        user = form.get("username", "")
        if user not in USERS or USERS[user]["password"] != form.get("password", ""):
            return self.login_form(key, "Wrong user name or password.")
        del WAITING[key]
        self.answer(user, pending, secrets.token_urlsafe(24))

    def answer(self, user, pending, cookie):
        """Starts the IdP session and posts a signed Response to the SP.
        pysaml2 7.0.1 signs with RSA-SHA1 unless sign_alg and digest_alg
        are passed to the call itself, so they are."""
        attrs = USERS[user]["attributes"]
        name_id = NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=attrs["mail"][0])
        resp = IDP.create_authn_response(
            identity=attrs, userid=user, name_id=name_id,
            authn={"class_ref": PASSWORD, "authn_auth": BASE + "/metadata"},
            sign_response=True, sign_assertion=True,
            sign_alg=SHA256_SIG, digest_alg=SHA256_DIGEST, **pending["resp_args"])
        SESSIONS[cookie] = {"user": user, "sp": pending["sp"], "name_id": name_id}
        args = IDP.apply_binding(BINDING_HTTP_POST, str(resp),
                                 pending["resp_args"]["destination"], pending["relay"],
                                 response=True)
        self.send(200, args["data"], cookie=cookie)

    # --- logout

    def slo(self, form):
        binding = BINDING_HTTP_REDIRECT if self.command == "GET" else BINDING_HTTP_POST
        if "SAMLResponse" in form:
            IDP.parse_logout_request_response(form["SAMLResponse"], binding)
            return self.send(200, "<p>You are signed out everywhere.</p>")
        req = IDP.parse_logout_request(form["SAMLRequest"], binding).message
        self.end_session()
        sp = req.issuer.text
        dest = IDP.metadata.single_logout_service(sp, BINDING_HTTP_POST, "spsso")[0]
        resp = IDP.create_logout_response(req, [BINDING_HTTP_POST], sign=True,
                                          sign_alg=SHA256_SIG, digest_alg=SHA256_DIGEST)
        args = IDP.apply_binding(BINDING_HTTP_POST, str(resp), dest["location"],
                                 form.get("RelayState", ""), response=True)
        self.send(200, args["data"], cookie="")

    def logout(self, form):
        sess = self.end_session()
        if sess is None:
            return self.send(200, "<p>You were not signed in.</p>", cookie="")
        dest = IDP.metadata.single_logout_service(sess["sp"], BINDING_HTTP_POST, "spsso")[0]
        req_id, req = IDP.create_logout_request(
            dest["location"], sess["sp"], name_id=sess["name_id"], sign=True,
            sign_alg=SHA256_SIG, digest_alg=SHA256_DIGEST)
        args = IDP.apply_binding(BINDING_HTTP_POST, str(req), dest["location"], "")
        self.send(200, args["data"], cookie="")

    def end_session(self):
        return SESSIONS.pop(self.cookie(), None)

    # --- HTTP

    def cookie(self):
        c = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        return c[COOKIE].value if COOKIE in c else ""

    def login_form(self, key, error):
        self.send(200, """<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<h1>pysaml2 interop IdP</h1><p>%s</p>
<form method="post" action="/login"><input type="hidden" name="key" value="%s">
<label>User <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button></form></body></html>""" % (html.escape(error), key))

    def send(self, status, body, ctype="text/html; charset=utf-8", cookie=None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if cookie is not None:
            self.send_header("Set-Cookie", "%s=%s; Path=/; HttpOnly%s" % (
                COOKIE, cookie, "" if cookie else "; Max-Age=0"))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))


if __name__ == "__main__":
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print("pysaml2 IdP on %s" % BASE, flush=True)
    httpd.serve_forever()
