package share

import (
	"strconv"
	"strings"
)

// maxListed is how many names a sentence lists before "and N others".
const maxListed = 5

// Message returns a sentence that tells the viewer what happened and what
// they can do, such as "This link is for members of Partners or Auditors;
// you signed in as x@example.com, who is in Engineering." It is built on
// each call, so that [Evaluate] allocates nothing.
//
// The sentence may contain group names, domains, IdP names and the
// viewer's own email address; it never lists the other email addresses a
// link allows. It is plain text: escape it before putting it in HTML.
func (d Decision) Message() string {
	switch d.Reason {
	case ReasonAllowed:
		return "You may open this page."
	case ReasonUnknownLink:
		return "This link does not exist; check that it was copied whole, " +
			"or ask the person who shared it for a new one."
	case ReasonRevoked:
		return "This link was turned off; ask the person who shared it for a new one."
	case ReasonExpired:
		return d.expiredMessage()
	case ReasonSpaceSuspended:
		return "Sharing from this space is paused by its administrators; " +
			"try again later or ask the person who shared the link."
	case ReasonLoginRequired:
		if d.IDP != "" {
			return "Sign in at " + d.IDP + " to open this link."
		}
		return "Sign in to open this link."
	case ReasonWrongIDP:
		return d.wrongIDPMessage()
	case ReasonGroupsNotInToken:
		return d.overageMessage()
	case ReasonNotInGroups:
		return d.groupsMessage()
	case ReasonEmailNotAllowed:
		return d.emailMessage()
	case ReasonDomainNotAllowed:
		return d.domainMessage()
	case ReasonOutsideScope:
		return "This page is not part of what this link shares; " +
			"ask the person who shared it for a link to this page."
	case ReasonWithheld:
		return "This page is restricted and is not shared through this link; " +
			"ask the person who shared it for a link to this page."
	}
	return "This link cannot be opened; ask the person who shared it."
}

// expiredMessage names the expiry time when the link is known.
func (d Decision) expiredMessage() string {
	if d.link == nil || d.link.Expires.IsZero() {
		return "This link has expired; ask the person who shared it for a new one."
	}
	return "This link expired on " + d.link.Expires.UTC().Format("2 January 2006 at 15:04 MST") +
		"; ask the person who shared it for a new one."
}

// wrongIDPMessage names the IdP the viewer used and the one to use.
func (d Decision) wrongIDPMessage() string {
	var b strings.Builder
	if d.IDP != "" {
		b.WriteString("This link needs a sign-in at " + d.IDP)
	} else {
		b.WriteString("This link needs a sign-in at a different identity provider")
	}
	if d.profile != nil && d.profile.IDP != "" {
		b.WriteString("; you signed in at " + d.profile.IDP)
	}
	b.WriteString(". Sign out and sign in again there.")
	return b.String()
}

// overageMessage explains Entra ID's group overage.
func (d Decision) overageMessage() string {
	s := "Your identity provider did not send your group memberships " +
		"(you may be in too many groups), so we cannot check that you are a member of " +
		d.groupList() + "; ask its administrator to send the groups this link needs."
	return s
}

// groupsMessage names the link's groups and the viewer's.
func (d Decision) groupsMessage() string {
	s := "This link is for members of " + d.groupList()
	if d.profile == nil {
		return s + "."
	}
	s += "; you signed in as " + d.profile.Email
	if len(d.profile.Groups) == 0 {
		return s + ", and your sign-in carried no groups."
	}
	return s + ", who is in " + joinList(d.profile.Groups, "and") + "."
}

// emailMessage refuses without listing who else is allowed.
func (d Decision) emailMessage() string {
	s := "This link is for particular people"
	if d.link != nil && len(d.link.Policy.Domains) > 0 {
		s += " and for people at " + joinList(d.link.Policy.Domains, "or")
	}
	if d.profile == nil {
		return s + "."
	}
	return s + "; you signed in as " + d.profile.Email +
		", which is not among them. Ask the person who shared the link to add you."
}

// domainMessage names the allowed domains and the viewer's address.
func (d Decision) domainMessage() string {
	s := "This link is for people with an address at "
	if d.link != nil {
		s += joinList(d.link.Policy.Domains, "or")
	}
	if d.profile == nil {
		return s + "."
	}
	return s + "; you signed in as " + d.profile.Email + "."
}

// groupList is the link's groups joined with "or".
func (d Decision) groupList() string {
	if d.link == nil || len(d.link.Policy.Groups) == 0 {
		return "certain groups"
	}
	return joinList(d.link.Policy.Groups, "or")
}

// joinList writes "A", "A or B", "A, B or C", or "A, B, C, D, E or 3
// others", with conj as the last connective.
func joinList(items []string, conj string) string {
	n := len(items)
	shown := items
	if n > maxListed {
		shown = items[:maxListed]
	}
	var b strings.Builder
	for i, it := range shown {
		switch {
		case i == 0:
		case i == len(shown)-1 && n <= maxListed:
			b.WriteString(" " + conj + " ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(it)
	}
	if n > maxListed {
		b.WriteString(" " + conj + " " + strconv.Itoa(n-maxListed) + " others")
	}
	return b.String()
}
