package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secureshare/secureshare/idp"
	"github.com/secureshare/secureshare/saml"
)

// refusedError is a refusal that check-response decides itself, before the
// verifier sees the response.
type refusedError struct {
	check string
	msg   string
}

func (e *refusedError) Error() string { return e.msg }

// printRefusal prints the one line that names the failed check, followed
// by what to change in the command, when there is something.
func printRefusal(w io.Writer, f *checkResponseFlags, err error) {
	check := refusalCheck(err)
	msg := strings.Join(strings.Fields(err.Error()), " ")
	msg = strings.TrimPrefix(msg, "saml: "+check+": ")
	if hint := refusalHint(f, err); hint != "" {
		msg += "; " + hint
	}
	if f.json {
		out, _ := json.Marshal(map[string]any{"accepted": false, "check": check, "error": msg})
		fmt.Fprintf(w, "%s\n", out)
		return
	}
	fmt.Fprintf(w, "refused: %s: %s\n", check, msg)
}

// refusalCheck names the check that refused err.
func refusalCheck(err error) string {
	var re *refusedError
	var ve *saml.ValidationError
	switch {
	case errors.As(err, &re):
		return re.check
	case errors.As(err, &ve):
		return string(ve.Check)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "mapping"
}

// refusalHint says which flag of this command would change the outcome,
// when one would: a refusal should say what to change.
func refusalHint(f *checkResponseFlags, err error) string {
	var ve *saml.ValidationError
	var me *idp.MappingError
	switch {
	case errors.As(err, &ve):
		return validationHint(f, ve)
	case errors.As(err, &me) && errors.Is(err, idp.ErrNoEmail):
		if f.emailAttribute != "" {
			return "check the name given to --email-attribute"
		}
		return "pass --email-attribute NAME to name the attribute that holds the email " +
			"address, or --preset NAME for the IdP product (such as --preset google, " +
			"whose NameID is the email address)"
	}
	return ""
}

// validationHint is [refusalHint] for the verifier's checks.
func validationHint(f *checkResponseFlags, ve *saml.ValidationError) string {
	switch ve.Check {
	case saml.CheckIssueInstant, saml.CheckNotOnOrAfter, saml.CheckNotBefore:
		if !f.now.IsZero() {
			return ""
		}
		if t, err := time.Parse(time.RFC3339, ve.Got); err == nil &&
			ve.Check == saml.CheckIssueInstant {
			return fmt.Sprintf("for an old capture pass --now %s (its IssueInstant) to check "+
				"it as of when it was issued", t.UTC().Format(time.RFC3339))
		}
		return "for an old capture pass --now with the time it was captured (RFC3339)"
	case saml.CheckInResponseTo:
		if f.requestID == "" && ve.Got != "" {
			return fmt.Sprintf("pass --request-id (the InResponseTo of the response: %s)",
				ve.Got)
		}
	case saml.CheckUnsolicited:
		return "pass --allow-idp-initiated to accept IdP-initiated responses"
	case saml.CheckAlgorithm:
		if !f.allowSHA1 && strings.Contains(strings.ToLower(ve.Got), "sha1") {
			return "pass --allow-sha1 to accept SHA-1 anyway (insecure; better switch the " +
				"IdP to SHA-256)"
		}
	case saml.CheckIssuer:
		return "check the response against the metadata of the IdP its Issuer names"
	}
	return ""
}
