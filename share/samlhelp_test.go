package share

import "github.com/secureshare/secureshare/saml"

func samlNameID(v string) saml.NameID {
	return saml.NameID{Value: v, Format: saml.NameIDFormatEmailAddress}
}
