// Package idp configures the identity providers (IdPs) that Secure Share
// trusts and turns their verified assertions into a [Profile].
//
// # Configuring an IdP
//
// A [Config] describes one IdP: its entity ID, SSO and SLO URLs, signing
// certificates, the checks to relax for it, and an [AttributeMapping].
// Administrators fill it in one of three ways:
//
//   - import metadata from XML bytes ([ParseMetadata]), a file
//     ([ReadMetadataFile]) or a URL ([Fetcher]), then [Config.ApplyMetadata];
//   - keep it current with a [Refresher], which re-fetches before validUntil
//     and after cacheDuration, keeps the last good copy when a fetch fails,
//     picks up rolled-over signing certificates, and refuses a document for
//     another entity ID than the first one ([EntityChangedError]);
//   - type the entity ID and SSO URL and paste the certificate, parsed by
//     [ParseCertificates].
//
// [Config.Validate] reports every problem at once in a *[ConfigError]
// ([ValidateAll] also checks that several IdPs used side by side have
// distinct names and entity IDs), and [Config.Warnings] lists what deserves
// attention without blocking sign-in, such as a certificate that expires
// within 30 days.
// [Config.VerifierConfig] combines a Config with our [ServiceProvider]
// identity into the [saml.VerifierConfig] that checks its responses.
//
// # Presets and mapping
//
// A [Preset] knows the attribute names a product sends by default (Okta,
// Microsoft Entra ID, AD FS, Google Workspace, Keycloak, OneLogin,
// JumpCloud, PingFederate/PingOne, Auth0, Shibboleth, SimpleSAMLphp) and its
// quirks: Entra ID sends group object IDs, compared without regard to case,
// and a groups.link overage claim instead of groups past 150 memberships;
// Google sends no groups unless configured to. Names set in the
// AttributeMapping always win over the preset.
//
// [Config.Map] maps a verified [saml.Assertion] to a [Profile]. The email
// address is mandatory; groups are taken whole, from every copy of the
// group attribute, and [Profile.HasGroup] never matches by substring. When the IdP signals a group overage,
// Profile.GroupsOverage is set and group rules must fail closed.
//
// # Test Configuration
//
// After a test sign-in, [Config.Report] shows the administrator every
// attribute the IdP sent, which profile field each filled, what is missing,
// and warnings, rendered as text, an html/template fragment or JSON:
//
//	a, err := verifier.Verify(ctx, samlResponse, requestIDs)
//	if err != nil {
//		return err // names the failed check
//	}
//	report := cfg.Report(a, idp.ReportOptions{GroupRulesInUse: true})
//	fmt.Print(report.Text())
//
// Report.Text prints every IdP-supplied value on one line, quoting values
// with line breaks or other control characters, so that a user who can edit
// their own attributes at the IdP cannot forge lines in the report.
//
// The package performs no network I/O except through a [Fetcher], keeps no
// global state, and logs nothing unless given a logger
// ([RefresherConfig.Logger]). URLs in errors and logs are passed through
// [RedactURL], so that a password in a metadata URL is never shown.
package idp
