package saml

// XML namespaces used by SAML 2.0 messages.
const (
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsXMLEnc    = "http://www.w3.org/2001/04/xmlenc#"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
)

// Status codes (SAML 2.0 Core, section 3.2.2.2).
const (
	StatusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	StatusResponder = "urn:oasis:names:tc:SAML:2.0:status:Responder"
)

// NameID formats (SAML 2.0 Core, section 8.3).
const (
	NameIDFormatUnspecified  = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDFormatEmailAddress = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDFormatPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDFormatTransient    = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// Binding identifies a SAML protocol binding (SAML 2.0 Bindings).
type Binding string

// The bindings this package supports. The Artifact and SOAP bindings are
// not supported.
const (
	BindingHTTPRedirect Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingHTTPPost     Binding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// String returns the binding URI.
func (b Binding) String() string { return string(b) }

// Signature and digest algorithm URIs (XML-DSig, RFC 6931).
const (
	AlgRSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	AlgRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	AlgRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	AlgRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	AlgECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	AlgECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	AlgECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"
	AlgSHA1        = "http://www.w3.org/2000/09/xmldsig#sha1"
	AlgSHA256      = "http://www.w3.org/2001/04/xmlenc#sha256"
	AlgSHA384      = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	AlgSHA512      = "http://www.w3.org/2001/04/xmlenc#sha512"
)
