package sharehttp

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/secureshare/secureshare/saml"
	"github.com/secureshare/secureshare/share"
)

// serveLogout ends the viewer's session (a same-origin POST from our
// pages) and, when the IdP supports Single Logout, sends a LogoutRequest
// there so the IdP session ends too.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	if !h.sameOrigin(r) {
		h.message(w, r, http.StatusForbidden, "Not allowed",
			"Sign out from a page of this site.")
		return
	}
	id, p, err := h.viewer(r)
	if err != nil {
		h.fail(w, r, "reading session", err)
		return
	}
	h.clearSession(w)
	if id == "" {
		http.Redirect(w, r, h.prefix+"/s/", http.StatusSeeOther)
		return
	}
	if err := h.svc.EndSession(r.Context(), id); err != nil {
		h.fail(w, r, "ending session", err)
		return
	}

	e := h.idps[p.IDP]
	if e == nil || e.logout == nil || p.NameID.Value == "" {
		http.Redirect(w, r, h.prefix+"/s/", http.StatusSeeOther)
		return
	}
	b, reqID, err := h.builder(h.reqCfg.SigningKey != nil)
	if err != nil {
		h.fail(w, r, "building LogoutRequest", err)
		return
	}
	opts := saml.LogoutRequestOptions{ID: reqID, NameID: p.NameID, Reason: saml.LogoutReasonUser}
	if p.SessionIndex != "" {
		opts.SessionIndexes = []string{p.SessionIndex}
	}
	u, _, err := b.RedirectLogoutRequest(e.cfg.SLOURL, reqID, opts)
	if err != nil {
		h.fail(w, r, "building LogoutRequest", err)
		return
	}
	if _, err := h.svc.SaveAuthnRequest(r.Context(), reqID, p.IDP, h.prefix+"/s/"); err != nil {
		h.fail(w, r, "saving LogoutRequest", err)
		return
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// serveSLO is the Single Logout endpoint (SAML 2.0 Profiles, section 4.4)
// for both bindings: a LogoutRequest from an IdP ends the sessions it
// names and is answered; a LogoutResponse answers ours.
func (h *Handler) serveSLO(w http.ResponseWriter, r *http.Request) {
	post := r.Method == http.MethodPost
	if post {
		r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
		if err := r.ParseForm(); err != nil {
			msg := "The message could not be read."
			if ve := formTooLarge(err); ve != nil {
				msg = "The message could not be read (failed check: " + string(ve.Check) + "): " +
					ve.Msg + "."
			}
			h.message(w, r, http.StatusBadRequest, "Sign-out failed", msg)
			return
		}
	}
	v := r.URL.Query()
	if post {
		v = r.PostForm
	}
	switch {
	case v.Get("SAMLRequest") != "":
		h.logoutRequest(w, r, post, v.Get("SAMLRequest"), v.Get("RelayState"))
	case v.Get("SAMLResponse") != "":
		h.logoutResponse(w, r, post, v.Get("SAMLResponse"), v.Get("RelayState"))
	default:
		h.message(w, r, http.StatusBadRequest, "Sign-out failed", "No logout message was sent.")
	}
}

// logoutRequest verifies an IdP's LogoutRequest with each IdP that has
// Single Logout, ends the sessions it names and answers it.
func (h *Handler) logoutRequest(w http.ResponseWriter, r *http.Request, post bool, msg,
	relay string) {
	var firstErr error
	for _, name := range h.idpNames() {
		e := h.idps[name]
		if e.logout == nil {
			continue
		}
		var (
			req *saml.LogoutRequest
			err error
		)
		if post {
			req, err = e.logout.VerifyPostRequest(msg)
		} else {
			req, err = e.logout.VerifyRedirectRequest(r.URL.RawQuery)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		fresh, err := h.claimLogout(r, e, req)
		if err != nil {
			h.fail(w, r, "recording logout request", err)
			return
		}
		if !fresh {
			// The same signed request again, within the minutes it is
			// valid: it must not sign out whoever opens it a second time.
			h.log.WarnContext(r.Context(), "sharehttp: logout request replayed",
				slog.String("idp", name), slog.String("id", req.ID))
			h.message(w, r, http.StatusBadRequest, "Sign-out failed",
				"This sign-out request was already carried out.")
			return
		}
		status := saml.StatusSuccess
		if err := h.endSessions(r, name, req); err != nil {
			h.errorf(r, "ending sessions", err)
			status = saml.StatusResponder
		}
		b, _, err := h.builder(h.reqCfg.SigningKey != nil)
		if err != nil {
			h.fail(w, r, "building LogoutResponse", err)
			return
		}
		u, err := b.RedirectLogoutResponse(e.cfg.SLOURL, relay, req.ID, status)
		if err != nil {
			h.fail(w, r, "building LogoutResponse", err)
			return
		}
		h.clearSession(w)
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	if firstErr != nil {
		h.log.WarnContext(r.Context(), "sharehttp: logout request refused",
			slog.Any("error", firstErr))
	}
	var ve *saml.ValidationError
	if errors.As(firstErr, &ve) {
		switch ve.Check {
		case saml.CheckSize, saml.CheckEncoding, saml.CheckXML, saml.CheckSchema, saml.CheckVersion:
			h.message(w, r, http.StatusBadRequest, "Sign-out failed",
				"The logout request could not be read (failed check: "+string(ve.Check)+").")
			return
		case saml.CheckMetadataExpired:
			h.message(w, r, http.StatusBadRequest, "Sign-out failed",
				"The identity provider's metadata has expired here, so its signature cannot "+
					"be trusted (failed check: metadata_expired). Tell the administrator.")
			return
		}
	}
	h.message(w, r, http.StatusBadRequest, "Sign-out failed",
		"The logout request is not signed by a configured identity provider.")
}

// claimLogout records the request's ID in the replay cache for as long as
// the logout verifier would accept the request, and reports whether it was
// new.
func (h *Handler) claimLogout(r *http.Request, e *idpEntry, req *saml.LogoutRequest) (bool,
	error) {
	return h.replay.ClaimAssertion(r.Context(), "logout:"+e.cfg.Name+":"+req.ID,
		req.AcceptedUntil)
}

// endSessions ends every session the request names.
func (h *Handler) endSessions(r *http.Request, name string, req *saml.LogoutRequest) error {
	idx := req.SessionIndexes
	if len(idx) == 0 {
		idx = []string{""}
	}
	for _, si := range idx {
		m := share.SessionMatch{IDP: name, NameID: req.NameID.Value, SessionIndex: si}
		if _, err := h.svc.EndSessions(r.Context(), m); err != nil {
			return err
		}
	}
	return nil
}

// logoutResponse checks the IdP's answer to our LogoutRequest.
func (h *Handler) logoutResponse(w http.ResponseWriter, r *http.Request, post bool, msg,
	relay string) {
	st, ok := h.consumeRequest(w, r, relay)
	if !ok {
		return
	}
	var e *idpEntry
	if st != nil {
		e = h.idps[st.IDP]
	}
	if e == nil || e.logout == nil {
		// Nothing here began this sign-out, so nothing was ended by it: a
		// session this browser holds goes on.
		h.message(w, r, http.StatusBadRequest, "Sign-out",
			"This answer from an identity provider does not match a sign-out begun here, "+
				"so nothing was changed. To sign out, use Sign out on a shared page.")
		return
	}
	var err error
	if post {
		_, err = e.logout.VerifyPostResponse(msg, st.ID)
	} else {
		_, err = e.logout.VerifyRedirectResponse(r.URL.RawQuery, st.ID)
	}
	if err != nil {
		h.message(w, r, http.StatusBadRequest, "Sign-out",
			"You are signed out here, but the identity provider may still have you signed in.")
		return
	}
	http.Redirect(w, r, st.ReturnTo, http.StatusSeeOther)
}

// sameOrigin reports whether a state-changing request came from our own
// pages, by Sec-Fetch-Site or, failing that, Origin.
func (h *Handler) sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" {
		return s == "same-origin"
	}
	return r.Header.Get("Origin") == h.origin
}
