package sharehttp

import (
	"net/http"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/share"
)

// resumeCookiePrefix names the short-lived cookie that holds a link token
// while the viewer signs in, so that the token never reaches the store.
const resumeCookiePrefix = "ss_resume_"

// resumeLifetime bounds the resume cookie; an AuthnRequest outlives it
// only when the Service's RequestLifetime is raised above it.
const resumeLifetime = 15 * time.Minute

// viewer returns the signed-in viewer's session ID and profile, or "" and
// nil when there is no live session. The error is non-nil, and wraps
// share.ErrUnavailable, only when the session could not be read because
// the store is unavailable: the caller should answer with
// [Handler.unavailable] rather than treat the viewer as signed out. Other
// failures are logged and count as no session.
func (h *Handler) viewer(r *http.Request) (string, *idp.Profile, error) {
	c, err := r.Cookie(h.sessionCookie)
	if err != nil || c.Value == "" {
		return "", nil, nil
	}
	sess, err := h.svc.Session(r.Context(), c.Value)
	if isUnavailable(err) {
		return "", nil, err
	}
	if err != nil {
		if !isNotFound(err) && !isExpired(err) {
			h.errorf(r, "reading session", err)
		}
		return "", nil, nil
	}
	if !h.stillTrusted(&sess.Profile) {
		// The IdP that signed this person in was removed, or its name now
		// belongs to another entity: the session no longer proves anything.
		if err := h.svc.EndSession(r.Context(), c.Value); err != nil && !isNotFound(err) {
			h.errorf(r, "ending a session of an IdP no longer trusted", err)
		}
		return "", nil, nil
	}
	return c.Value, &sess.Profile, nil
}

// stillTrusted reports whether the IdP that signed p in is still
// configured under p.IDP with the same entity ID. Profiles from before
// Issuer was recorded carry none and are judged by name alone.
func (h *Handler) stillTrusted(p *idp.Profile) bool {
	e, ok := h.idps[p.IDP]
	return ok && (p.Issuer == "" || e.cfg.EntityID == p.Issuer)
}

// setSession gives the browser a new session cookie, replacing any older
// one: a new ID at every sign-in is the rotation that defeats session
// fixation. It ends when the session does.
func (h *Handler) setSession(w http.ResponseWriter, id string, s share.Session) {
	age := int(s.Expires.Sub(h.now()) / time.Second)
	if age < 1 {
		age = 1
	}
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie, Value: id, Path: "/", MaxAge: age,
		Secure: h.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// clearSession removes the session cookie.
func (h *Handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.sessionCookie, Value: "", Path: "/", MaxAge: -1,
		Secure: h.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// setResume keeps a link's token in the browser, readable only by the
// resume route of that link, while the viewer signs in.
func (h *Handler) setResume(w http.ResponseWriter, linkID, token string) {
	http.SetCookie(w, &http.Cookie{Name: resumeCookiePrefix + linkID, Value: token,
		Path: h.resumePath(linkID), MaxAge: int(resumeLifetime / time.Second),
		Secure: h.secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// clearResume removes a link's resume cookie.
func (h *Handler) clearResume(w http.ResponseWriter, linkID string) {
	http.SetCookie(w, &http.Cookie{Name: resumeCookiePrefix + linkID, Value: "",
		Path: h.resumePath(linkID), MaxAge: -1, Secure: h.secure, HttpOnly: true,
		SameSite: http.SameSiteLaxMode})
}

// resumePath is where a sign-in for a link comes back to.
func (h *Handler) resumePath(linkID string) string {
	return h.prefix + "/saml/resume/" + linkID
}
