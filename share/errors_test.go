package share

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidationErrorText(t *testing.T) {
	for _, tt := range []struct {
		err  ValidationError
		want string
	}{
		{ValidationError{Field: "Title", Msg: "too long"}, "share: invalid Title: too long"},
		{ValidationError{Field: "Policy.Emails", Msg: "not an email address", Got: "bob"},
			`share: invalid Policy.Emails: not an email address (got "bob")`},
		{ValidationError{Field: "Policy.IDPs", Msg: "none allowed", Want: "okta", Got: ""},
			`share: invalid Policy.IDPs: none allowed (want "okta", got "")`},
		{ValidationError{Field: "Policy.IDPs", Msg: "none allowed", Want: "okta", Got: "entra"},
			`share: invalid Policy.IDPs: none allowed (want "okta", got "entra")`},
	} {
		assert.Equal(t, tt.want, tt.err.Error())
	}
}
