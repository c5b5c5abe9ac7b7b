package sharehttp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// maxACSBody bounds the form posted to the ACS; the saml package bounds
// the decoded response further.
const maxACSBody = 1 << 20

// maxMessageID bounds the length of a RelayState taken for a message ID.
const maxMessageID = 80

// serveLogin starts an SP-initiated sign-in at the named IdP. The return
// query parameter says where to go afterwards; a link URL there is sent
// back to its link route, which signs the viewer in without the token ever
// being stored.
func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if !h.linkLimit.allow(h.clientKey(r), h.now()) {
		h.tooMany(w, r)
		return
	}
	name := r.PathValue("idp")
	if _, ok := h.idps[name]; !ok {
		h.message(w, r, http.StatusNotFound, "Unknown identity provider",
			"No identity provider of that name is configured here.")
		return
	}
	ret := r.URL.Query().Get("return")
	if ret == "" {
		ret = h.defaultReturn
	}
	if !SafeReturnPath(ret, h.prefix) {
		h.message(w, r, http.StatusBadRequest, "Cannot continue",
			"The address to return to after sign-in is not a page of this site.")
		return
	}
	if rest, ok := strings.CutPrefix(ret, h.prefix+"/s/"); ok && rest != "" {
		path, _, _ := strings.Cut(ret, "?")
		http.Redirect(w, r, path+"?idp="+url.QueryEscape(name), http.StatusSeeOther)
		return
	}
	h.startLogin(w, r, name, ret)
}

// serveTestLogin starts a Test Configuration sign-in: the ACS shows the
// IdP report instead of starting a session.
func (h *Handler) serveTestLogin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("idp")
	if h.allowTest == nil || !h.allowTest(r) {
		h.message(w, r, http.StatusForbidden, "Not allowed",
			"Only an administrator may test an identity provider's configuration.")
		return
	}
	if _, ok := h.idps[name]; !ok {
		h.message(w, r, http.StatusNotFound, "Unknown identity provider",
			"No identity provider of that name is configured here.")
		return
	}
	h.startLogin(w, r, name, h.testPath(name))
}

// testPath is the ReturnTo that marks a Test Configuration sign-in. Only
// the handler writes ReturnTo, so it cannot be forged.
func (h *Handler) testPath(name string) string {
	return h.prefix + "/saml/test/" + url.PathEscape(name)
}

// startLogin sends an AuthnRequest to the IdP name, by its binding, with
// the request ID as RelayState, after remembering the request with
// returnTo.
func (h *Handler) startLogin(w http.ResponseWriter, r *http.Request, name, returnTo string) {
	e := h.idps[name]
	// With a signing key every AuthnRequest is signed, as the SP metadata
	// says (AuthnRequestsSigned="true"): IdPs that read that attribute
	// refuse unsigned requests even when their own metadata does not ask.
	b, id, err := h.builder(e.cfg.SignAuthnRequests || h.signed != nil)
	if err != nil {
		h.fail(w, r, "building AuthnRequest", err)
		return
	}
	var opts saml.AuthnRequestOptions
	opts.ID = id
	if e.cfg.NameIDFormat != "" {
		opts.NameIDPolicy = &saml.NameIDPolicy{Format: e.cfg.NameIDFormat, AllowCreate: true}
	}

	var (
		redirect string
		form     *saml.PostForm
	)
	if e.cfg.Binding() == saml.BindingHTTPPost {
		form, err = b.PostAuthnRequest(e.cfg.SSOURL, id, opts)
	} else {
		redirect, _, err = b.RedirectAuthnRequest(e.cfg.SSOURL, id, opts)
	}
	if err != nil {
		h.fail(w, r, "building AuthnRequest", err)
		return
	}
	if _, err := h.svc.SaveAuthnRequest(r.Context(), id, name, returnTo); err != nil {
		h.fail(w, r, "saving AuthnRequest", err)
		return
	}

	if form == nil {
		http.Redirect(w, r, redirect, http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := form.WriteHTML(w, nonceOf(r)); err != nil {
		h.errorf(r, "writing POST form", err)
	}
}

// builder returns the RequestBuilder for signed or unsigned messages and a
// fresh message ID for the next one, chosen up front so that the RelayState
// sent with a request can be its ID: the IdP's cross-site POST then finds
// its state without any cookie.
func (h *Handler) builder(signed bool) (*saml.RequestBuilder, string, error) {
	b := h.unsigned
	if signed {
		b = h.signed
	}
	id, err := b.NewID()
	if err != nil {
		return nil, "", err
	}
	return b, id, nil
}

// serveACS is the Assertion Consumer Service (SAML 2.0 Profiles, section
// 4.1.4): it verifies the posted Response with the IdP the RelayState's
// request went to (or, for an unsolicited response, an IdP that allows
// them), maps the profile, starts a session and sends the viewer back.
func (h *Handler) serveACS(w http.ResponseWriter, r *http.Request) {
	if !h.acsLimit.allow(h.clientKey(r), h.now()) {
		h.tooMany(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
	if err := r.ParseForm(); err != nil {
		if ve := formTooLarge(err); ve != nil {
			h.loginFailed(w, r, nil, ve)
			return
		}
		h.message(w, r, http.StatusBadRequest, "Sign-in failed",
			"The identity provider's answer could not be read. Open the link again.")
		return
	}
	resp, relay := r.PostForm.Get("SAMLResponse"), r.PostForm.Get("RelayState")
	if resp == "" {
		h.message(w, r, http.StatusBadRequest, "Sign-in failed",
			"The identity provider sent no SAML response. Open the link again.")
		return
	}

	st, ok := h.consumeRequest(w, r, relay)
	if !ok {
		return
	}
	var (
		a   *saml.Assertion
		e   *idpEntry
		err error
	)
	if st != nil {
		e = h.idps[st.IDP]
		if e == nil {
			h.message(w, r, http.StatusBadRequest, "Sign-in failed",
				"The identity provider this sign-in began with is no longer configured.")
			return
		}
		a, err = e.verify.Verify(r.Context(), []byte(resp), []string{st.ID})
	} else {
		a, e, err = h.verifyUnsolicited(r, resp)
	}
	if err != nil {
		h.loginFailed(w, r, e, err)
		return
	}

	if st != nil && st.ReturnTo == h.testPath(st.IDP) {
		h.report(w, r, e, a)
		return
	}
	h.finishLogin(w, r, e, a, h.returnPath(st, relay))
}

// formTooLarge returns the size check that failed when err is a form's
// parsing stopped at maxACSBody, and nil otherwise.
func formTooLarge(err error) *saml.ValidationError {
	var tooBig *http.MaxBytesError
	if !errors.As(err, &tooBig) {
		return nil
	}
	return &saml.ValidationError{Check: saml.CheckSize,
		Msg: fmt.Sprintf("the posted form is over %d bytes", maxACSBody)}
}

// consumeRequest finds the AuthnRequest the RelayState names. It returns
// nil and true when there is none (an unsolicited response, or one whose
// request was already answered), and false after answering the request
// itself.
func (h *Handler) consumeRequest(w http.ResponseWriter, r *http.Request,
	relay string) (*share.AuthnRequestState, bool) {
	if !isMessageID(relay) {
		return nil, true
	}
	st, err := h.svc.ConsumeAuthnRequest(r.Context(), relay)
	switch {
	case err == nil:
		return &st, true
	case isNotFound(err):
		return nil, true
	case isExpired(err):
		_ = h.svc.RecordLoginFailure(r.Context(), "", &saml.ValidationError{
			Check: saml.CheckInResponseTo, Msg: "the AuthnRequest expired before the response came"})
		h.message(w, r, http.StatusBadRequest, "Sign-in took too long",
			"The sign-in was not finished in time. Open the link again to start over.")
		return nil, false
	}
	h.failLogin(w, r, "consuming AuthnRequest", err)
	return nil, false
}

// verifyUnsolicited verifies a response that answers no outstanding
// request, with each IdP that allows IdP-initiated sign-in. Responses to a
// request that was already answered end here too, and fail, because they
// carry an InResponseTo that is no longer outstanding.
func (h *Handler) verifyUnsolicited(r *http.Request, resp string) (*saml.Assertion,
	*idpEntry, error) {
	var (
		firstErr error
		firstIDP *idpEntry
	)
	for _, name := range h.idpNames() {
		e := h.idps[name]
		if !e.cfg.AllowIDPInitiated {
			continue
		}
		a, err := e.verify.Verify(r.Context(), []byte(resp), nil)
		if err == nil {
			return a, e, nil
		}
		var ve *saml.ValidationError
		issuer := errors.As(err, &ve) && ve.Check == saml.CheckIssuer
		if firstErr == nil || (!issuer && firstIDP == nil) {
			firstErr = err
			if !issuer {
				firstIDP = e
			}
		}
	}
	if firstIDP == nil {
		// No IdP that allows IdP-initiated sign-in sent it: say what the
		// response is (most often one posted twice, or after its request
		// expired), not that it came from the wrong one of those IdPs.
		why := "no IdP allows IdP-initiated sign-in"
		if firstErr != nil {
			why = "it does not come from an IdP that allows IdP-initiated sign-in"
		}
		firstErr = &saml.ValidationError{Check: saml.CheckUnsolicited,
			Msg: "the RelayState names no outstanding request (the sign-in was not begun " +
				"here, was finished already or expired, or the IdP dropped the RelayState), " +
				"and " + why}
	}
	return nil, firstIDP, firstErr
}

// finishLogin maps the assertion, starts a session and redirects.
func (h *Handler) finishLogin(w http.ResponseWriter, r *http.Request, e *idpEntry,
	a *saml.Assertion, ret string) {
	p, err := e.cfg.Map(a)
	if err != nil {
		h.loginFailed(w, r, e, err)
		return
	}
	sess, id, err := h.svc.StartSession(r.Context(), p, a.SessionNotOnOrAfter)
	if isExpired(err) {
		h.message(w, r, http.StatusForbidden, "Sign-in failed",
			"Your session at the identity provider has already ended. Open the link again.")
		return
	}
	if err != nil && id == "" {
		h.failLogin(w, r, "starting session", err)
		return
	}
	if err != nil {
		h.errorf(r, "recording login", err)
	}
	if old, _, _ := h.viewer(r); old != "" {
		// A new sign-in replaces the session the browser had, if it sent it.
		if err := h.svc.EndSession(r.Context(), old); err != nil {
			h.errorf(r, "ending replaced session", err)
		}
	}
	h.setSession(w, id, sess)
	http.Redirect(w, r, ret, http.StatusSeeOther)
}

// returnPath is where a finished sign-in goes: the request's ReturnTo, or
// for an unsolicited response its RelayState when that is a safe local
// path, or the default.
func (h *Handler) returnPath(st *share.AuthnRequestState, relay string) string {
	if st != nil {
		return st.ReturnTo
	}
	if SafeReturnPath(relay, h.prefix) {
		return relay
	}
	return h.defaultReturn
}

// loginFailed records a refused sign-in and tells the viewer which check
// failed, without the details an attacker could use.
func (h *Handler) loginFailed(w http.ResponseWriter, r *http.Request, e *idpEntry, err error) {
	if isUnavailable(err) {
		// The replay cache could not be reached: nothing was refused.
		h.failLogin(w, r, "verifying response", err)
		return
	}
	name := ""
	if e != nil {
		name = e.cfg.Name
	}
	if rerr := h.svc.RecordLoginFailure(r.Context(), name, err); rerr != nil {
		h.errorf(r, "recording login failure", rerr)
	}
	msg := "Your identity provider's answer could not be accepted"
	var ve *saml.ValidationError
	var me *idp.MappingError
	check := "other"
	if errors.As(err, &ve) {
		check = string(ve.Check)
	}
	// The viewer sees only the check; the administrator's log gets the
	// whole error, which says what was compared.
	h.log.WarnContext(r.Context(), "sharehttp: sign-in refused", slog.String("idp", name),
		slog.String("check", check), slog.Any("error", err))
	switch {
	case errors.Is(err, idp.ErrEmailDomain):
		msg = "Your identity provider vouched for an email address in a domain it may " +
			"not sign in here"
	case errors.As(err, &me):
		msg = "Your identity provider did not say who you are in a way this site " +
			"understands (" + me.Field + " is missing)"
	case errors.As(err, &ve):
		msg += " (failed check: " + string(ve.Check) + ")"
	}
	h.message(w, r, http.StatusForbidden, "Sign-in failed", msg+
		". Open the link again; if this keeps happening, tell the person who shared it.")
}

// failLogin is [Handler.fail] for the ACS: when the store is unavailable
// it says that the sign-in could not be completed for now and that opening
// the link again starts over.
func (h *Handler) failLogin(w http.ResponseWriter, r *http.Request, doing string, err error) {
	if !isUnavailable(err) {
		h.fail(w, r, doing, err)
		return
	}
	h.errorf(r, doing, err)
	h.unavailable(w, r, "Your sign-in could not be completed right now because of a "+
		"temporary problem on this site. Wait a moment, then open the link again.")
}

// serveResume finishes a link sign-in: the resume cookie holds the token,
// which goes back into the link route once it matches the link.
func (h *Handler) serveResume(w http.ResponseWriter, r *http.Request) {
	linkID := r.PathValue("link")
	c, err := r.Cookie(resumeCookiePrefix + linkID)
	if err != nil {
		if _, p, verr := h.viewer(r); verr == nil && p != nil {
			// Most often a second tab's sign-in, after the first tab
			// used the cookie up: the sign-in itself worked.
			h.message(w, r, http.StatusBadRequest, "Open the link again",
				"You are signed in as "+p.Email+". Open the link you were given again "+
					"to see the page.")
			return
		}
		h.message(w, r, http.StatusBadRequest, "Open the link again",
			"This sign-in could not be matched to a link, perhaps because it took "+
				"longer than "+strconv.Itoa(int(resumeLifetime/time.Minute))+" minutes. Open the link you were given again.")
		return
	}
	h.clearResume(w, linkID)
	l, err := h.svc.LinkByToken(r.Context(), c.Value)
	if isUnavailable(err) {
		h.fail(w, r, "reading link", err)
		return
	}
	if err != nil || l.ID != linkID {
		h.message(w, r, http.StatusBadRequest, "Open the link again",
			"This sign-in could not be matched to a link. Open the link you were given again.")
		return
	}
	target := h.prefix + "/s/" + c.Value
	if p := r.URL.Query().Get("p"); isPageID(p) {
		target += "/p/" + p
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// isMessageID reports whether s could be one of our message IDs: a short
// NCName of ASCII letters, digits, '_', '-' and '.'.
func isMessageID(s string) bool {
	if s == "" || len(s) > maxMessageID {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z'):
		case i > 0 && (r == '-' || r == '.' || ('0' <= r && r <= '9')):
		default:
			return false
		}
	}
	return true
}

// isExpired reports whether err means a session or request expired.
func isExpired(err error) bool { return errors.Is(err, share.ErrExpired) }
