#!/usr/bin/python3
"""A SAML 2.0 IdP for the interoperability suite, on Debian's python3-lasso.

Lasso (the C library inside LemonLDAP::NG) is a library; this file is the
web server around it (the standard library's http.server). Lasso does the
SAML: it checks the AuthnRequest (and its signature) against our SP
metadata, builds and signs the Response and Assertion, and processes and
builds the logout messages. This file adds users with passwords, a login
form, an IdP session cookie holding Lasso's session dump, the IdP's own
metadata (Lasso takes it as input), IdP-initiated sign-in and logout.
Attributes go out with basic names and, as Lasso writes them, no xsi:type.

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
import time
import urllib.parse

import lasso

COOKIE = "lasso_idp_session"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
BINDINGS = ("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", required=True,
                   help="JSON file: {user: {password, attributes: {name: [values]}}}")
    p.add_argument("--sp-metadata", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--metadata-out", required=True, help="where to write the IdP's metadata")
    return p.parse_args()


ARGS = parse_args()
BASE = "http://127.0.0.1:%d" % ARGS.port
ENTITY_ID = BASE + "/metadata"
with open(ARGS.users) as fh:
    USERS = json.load(fh)


def idp_metadata():
    """The IdP's metadata: the signing certificate and the SSO and SLO
    endpoints, each in both bindings."""
    with open(ARGS.cert) as fh:
        cert = "".join(l.strip() for l in fh if not l.startswith("-----"))
    eps = "".join('<md:SingleLogoutService Binding="%s" Location="%s/slo"/>' % (b, BASE)
                  for b in BINDINGS)
    eps += '<md:NameIDFormat>%s</md:NameIDFormat>' % lasso.SAML2_NAME_IDENTIFIER_FORMAT_EMAIL
    eps += "".join('<md:SingleSignOnService Binding="%s" Location="%s/sso"/>' % (b, BASE)
                   for b in BINDINGS)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<md:EntityDescriptor xmlns:md="%s" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
            'entityID="%s"><md:IDPSSODescriptor WantAuthnRequestsSigned="true" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s'
            '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>%s'
            '</md:IDPSSODescriptor></md:EntityDescriptor>\n' % (MD, ENTITY_ID, cert, eps))


METADATA = idp_metadata()
with open(ARGS.metadata_out, "w") as fh:
    fh.write(METADATA)
_server = lasso.Server(ARGS.metadata_out, ARGS.key, None, ARGS.cert)
_server.signatureMethod = lasso.SIGNATURE_METHOD_RSA_SHA256
_server.addProvider(lasso.PROVIDER_ROLE_SP, ARGS.sp_metadata, None, None)
SERVER_DUMP = _server.dump()
LOCK = threading.Lock()

# Server-side state: sign-ins waiting for the password, and IdP sessions.
WAITING = {}   # form key -> {"msg" or "sp", "relay"}
SESSIONS = {}  # cookie -> {"user", "session", "identity"} (Lasso dumps)


def new_server():
    """A fresh lasso.Server per request: Lasso objects are not shared."""
    return lasso.Server.newFromDump(SERVER_DUMP)


def attribute(name, values):
    a = lasso.Saml2Attribute()
    a.name = name
    a.nameFormat = lasso.SAML2_ATTRIBUTE_NAME_FORMAT_BASIC
    out = []
    for v in values:
        node = lasso.MiscTextNode.newWithString(v)
        node.textChild = True
        av = lasso.Saml2AttributeValue()
        av.any = [node]
        out.append(av)
    a.attributeValue = out
    return a


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def post_form(url, field, value, relay):
    fields = '<input type="hidden" name="%s" value="%s">' % (field, html.escape(value))
    if relay:
        fields += '<input type="hidden" name="RelayState" value="%s">' % html.escape(relay)
    return ('<!DOCTYPE html><html><body onload="document.forms[0].submit()">'
            '<form method="post" action="%s">%s<noscript><button type="submit">Continue'
            '</button></noscript></form></body></html>' % (html.escape(url), fields))


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "secureshare-interop-lasso/1"

    def do_GET(self):
        self.route(urllib.parse.urlsplit(self.path).query)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.route(self.rfile.read(n).decode())

    def route(self, raw):
        self.raw = raw
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        path = urllib.parse.urlsplit(self.path).path
        routes = {"/metadata": self.metadata, "/sso": self.sso, "/initiate": self.initiate,
                  "/login": self.login, "/slo": self.slo, "/logout": self.logout}
        if path not in routes:
            return self.send(404, "not found")
        try:
            with LOCK:
                routes[path](form)
        except lasso.Error as e:  # Lasso's complaint goes to the log and the page
            import traceback
            traceback.print_exc()
            self.send(500, "Lasso error: %s: %s" % (type(e).__name__, html.escape(str(e))))

    # --- sign-in

    def metadata(self, form):
        self.send(200, METADATA, "application/samlmetadata+xml")

    def sso(self, form):
        # The Redirect binding's signature covers the raw query string.
        msg = self.raw if self.command == "GET" else form["SAMLRequest"]
        login = lasso.Login(new_server())
        login.processAuthnRequestMsg(msg)  # checks it before the login form shows
        relay = form.get("RelayState", "") if self.command == "POST" else ""
        self.authenticate({"msg": msg, "relay": relay})

    def initiate(self, form):
        self.authenticate({"sp": form["sp"], "relay": form.get("RelayState", "")})

    def authenticate(self, pending):
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
        """Builds the signed Response with Lasso and posts it to the SP;
        Lasso's session then records the SP for Single Logout."""
        login = lasso.Login(new_server())
        if "msg" in pending:
            login.processAuthnRequestMsg(pending["msg"])
        else:
            login.initIdpInitiatedAuthnRequest(pending["sp"])
            login.request.protocolBinding = lasso.SAML2_METADATA_BINDING_POST
            login.request.nameIdPolicy.format = lasso.SAML2_NAME_IDENTIFIER_FORMAT_EMAIL
            login.processAuthnRequestMsg(None)
        if login.request.nameIdPolicy is not None and not login.request.nameIdPolicy.format:
            login.request.nameIdPolicy.format = lasso.SAML2_NAME_IDENTIFIER_FORMAT_EMAIL
        if pending["relay"]:
            login.msgRelayState = pending["relay"]
        login.validateRequestMsg(True, True)  # authenticated, consent given
        now = time.time()
        login.buildAssertion(lasso.SAML2_AUTHN_CONTEXT_PASSWORD, iso(now), iso(now + 3600),
                             iso(now - 60), iso(now + 300))
        attrs = USERS[user]["attributes"]
        name_id = lasso.Saml2NameID()
        name_id.format = lasso.SAML2_NAME_IDENTIFIER_FORMAT_EMAIL
        name_id.content = attrs["email"][0]
        login.assertion.subject.nameID = name_id
        login.nameIdentifier = name_id
        stmt = lasso.Saml2AttributeStatement()
        stmt.attribute = [attribute(k, v) for k, v in attrs.items()]
        login.assertion.attributeStatement = [stmt]
        login.buildAuthnResponseMsg()
        SESSIONS[cookie] = {"user": user, "session": login.session.dump(),
                            "identity": login.identity.dump() if login.identity else None}
        self.send(200, post_form(login.msgUrl, "SAMLResponse", login.msgBody,
                                 login.msgRelayState), cookie=cookie)

    # --- logout

    def slo(self, form):
        post = self.command == "POST"
        logout = lasso.Logout(new_server())
        if "SAMLResponse" in form:
            logout.processResponseMsg(form["SAMLResponse"] if post else self.raw)
            return self.send(200, "<p>You are signed out everywhere.</p>")
        logout.processRequestMsg(form["SAMLRequest"] if post else self.raw)
        sess = SESSIONS.pop(self.cookie(), None)
        if sess is not None:
            logout.setSessionFromDump(sess["session"])
            if sess["identity"]:
                logout.setIdentityFromDump(sess["identity"])
        logout.validateRequest()
        logout.buildResponseMsg()
        if logout.msgBody:
            return self.send(200, post_form(logout.msgUrl, "SAMLResponse", logout.msgBody,
                                            logout.msgRelayState), cookie="")
        self.redirect(logout.msgUrl, cookie="")

    def logout(self, form):
        sess = SESSIONS.pop(self.cookie(), None)
        if sess is None:
            return self.send(200, "<p>You were not signed in.</p>", cookie="")
        logout = lasso.Logout(new_server())
        logout.setSessionFromDump(sess["session"])
        logout.initRequest(None, lasso.HTTP_METHOD_REDIRECT)
        logout.buildRequestMsg()
        self.redirect(logout.msgUrl, cookie="")

    # --- HTTP

    def cookie(self):
        c = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        return c[COOKIE].value if COOKIE in c else ""

    def login_form(self, key, error):
        self.send(200, """<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<h1>Lasso interop IdP</h1><p>%s</p>
<form method="post" action="/login"><input type="hidden" name="key" value="%s">
<label>User <input name="username"></label>
<label>Password <input type="password" name="password"></label>
<button type="submit">Sign in</button></form></body></html>""" % (html.escape(error), key))

    def redirect(self, url, cookie=None):
        self.send(303, "", location=url, cookie=cookie)

    def send(self, status, body, ctype="text/html; charset=utf-8", cookie=None, location=None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if location:
            self.send_header("Location", location)
        if cookie is not None:
            self.send_header("Set-Cookie", "%s=%s; Path=/; HttpOnly%s" % (
                COOKIE, cookie, "" if cookie else "; Max-Age=0"))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))


if __name__ == "__main__":
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    print("Lasso IdP on %s" % BASE, flush=True)
    httpd.serve_forever()
