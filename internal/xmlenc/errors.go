package xmlenc

import "fmt"

// AlgorithmError reports an algorithm that is unknown, unsupported or
// refused by policy, and the element that named it.
type AlgorithmError struct {
	// Element is the element whose Algorithm attribute was rejected, such
	// as "EncryptedData/EncryptionMethod" or
	// "EncryptedKey/EncryptionMethod/DigestMethod".
	Element string
	// Algorithm is the rejected URI; empty when the attribute was missing.
	Algorithm string
	// Refused is true when the algorithm is known but disabled by policy
	// (RSA1_5 without [DecryptOptions.AllowRSA15]).
	Refused bool
}

// Error implements error.
func (e *AlgorithmError) Error() string {
	switch {
	case e.Refused:
		return fmt.Sprintf("xmlenc: %s: algorithm %q refused by policy", e.Element, e.Algorithm)
	case e.Algorithm == "":
		return fmt.Sprintf("xmlenc: %s: missing Algorithm", e.Element)
	}
	return fmt.Sprintf("xmlenc: %s: unsupported algorithm %q", e.Element, e.Algorithm)
}

// FormatError reports a missing, repeated or malformed element.
type FormatError struct {
	// Element names the element at fault, such as
	// "EncryptedData/CipherData/CipherValue".
	Element string
	// Msg says what is wrong with it.
	Msg string
}

// Error implements error.
func (e *FormatError) Error() string {
	return "xmlenc: " + e.Element + ": " + e.Msg
}

// DecryptError reports that a key or a ciphertext did not decrypt: the
// wrong private key, a tampered ciphertext, a bad padding or a failed
// authentication tag. It deliberately carries no more detail, so that it
// cannot serve as a padding oracle.
type DecryptError struct {
	// Element is "EncryptedKey" when the content key could not be
	// unwrapped with the private key (usually: the IdP encrypted for a
	// different certificate), or "EncryptedData" when the content did not
	// decrypt.
	Element string
}

// Error implements error.
func (e *DecryptError) Error() string {
	return "xmlenc: " + e.Element + ": decryption failed"
}

// formatErr builds a *FormatError.
func formatErr(element, msg string) *FormatError {
	return &FormatError{Element: element, Msg: msg}
}
