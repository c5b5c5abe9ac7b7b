// Package share decides who may open what, and remembers who did: links to
// Confluence pages, page trees and spaces; per-space settings; viewer
// sessions; outstanding AuthnRequests; and the audit log.
//
// # Links and tokens
//
// A [Link] shares one page ([ScopePage]), a page and everything below it
// ([ScopePageTree]) or a whole space ([ScopeSpace]), with a [Policy] that
// says who may follow it: which IdPs may sign the viewer in, groups (at
// least one must match), and an email and domain allow-list. Each link is
// opened by a token of 256 random bits, shown once by
// [Service.CreateLink]; only its SHA-256 digest is stored. Revoking a link
// kills its token for good; [Service.ReenableLink] issues a new one.
//
// # Deciding
//
// [Evaluate] is a pure function of the link, the space's settings, the
// viewer's profile (nil when signed out), the page asked for and the time.
// It allows, asks for a sign-in at a named IdP, or denies with a [Reason]
// and a sentence the viewer can act on ([Decision.Message]). Anything
// unexpected is denied. It allocates nothing when it allows.
//
//	d := share.Evaluate(&link, &space, profile, page, now)
//	switch d.Outcome {
//	case share.Allow:
//		// render the page
//	case share.LoginRequired:
//		// send an AuthnRequest to d.IDP (or let the viewer choose)
//	default:
//		// show d.Message() with status 403
//	}
//
// # The Service
//
// A host application (or share/sharehttp) calls a [Service], built by
// [NewService] from a [Config] whose Store implements the storage
// interfaces of this package ([LinkStore], [SpaceStore], [SessionStore],
// [AuditStore], [RequestStore]); the store package provides memory,
// SQLite and PostgreSQL backends. The Service creates, lists, revokes and
// opens links, keeps space settings and the kill switch, starts and ends
// viewer sessions (ending them also by SAML Single Logout), remembers
// AuthnRequest IDs so that InResponseTo can be checked, and records every
// step as an [AuditEvent] that can be queried and exported as CSV.
//
// This package does not validate SAML responses or map attributes; the
// saml and idp packages do, and the Service is told the result. It does
// not fetch pages either: the host tells it which page was asked for, its
// ancestors and whether Confluence restricts it.
package share
