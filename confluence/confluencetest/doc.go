// Package confluencetest provides an in-process fake Confluence for tests
// and demos, the way net/http/httptest provides a server.
//
// A [Server] holds spaces, pages (with status, labels and read
// restrictions) and attachments in memory, and answers the HTTP calls the
// confluence package makes, in both API flavours, with the JSON field
// names and error envelopes that Atlassian documents:
//
//   - Confluence Cloud REST v2 under /wiki/api/v2 (pages with
//     body-format=view and include-labels, ancestors, children, labels,
//     attachments, spaces by keys and by ID), cursor pagination through
//     _links.next (which starts with /wiki) and the Link header, and
//     errors as {"errors":[{status, code, title, detail}]}. The same paths
//     are served behind /ex/confluence/{cloudId}, as the api.atlassian.com
//     gateway does, for Bearer tokens. The v1 restriction resource and
//     attachment downloads are served under /wiki too.
//   - Confluence Data Center REST v1 under /rest/api (content with
//     expand, child pages and attachments with start and limit, spaces,
//     the current user) and /download, with errors as {statusCode, data,
//     message, reason}. With [Config.AnonymousAccess] a wrong token is
//     served as the anonymous user, as a real instance does, and with
//     [Config.ContextPath] everything moves below a context path.
//
// [Server.Inject] queues faults: status codes such as 429 (with
// Retry-After or X-RateLimit-Reset) and 503, and slow answers.
// [Server.Requests] lists what was served, so tests can count calls.
//
// A path holding an encoded slash or backslash (%2F, %5C) is answered 400
// Bad Request with a plain-text body, as Data Center's Tomcat does by
// default, instead of being decoded into other path segments.
//
// Only what the confluence package uses is modelled. Writes, search,
// blog posts, comments, permissions other than page read restrictions,
// and page versions history are not.
//
//	s := confluencetest.NewServer(confluencetest.Config{})
//	s.AddSpace(confluencetest.Space{ID: "100", Key: "ENG", Name: "Engineering", HomePageID: "1"})
//	s.AddPage(confluencetest.Page{ID: "1", SpaceKey: "ENG", Title: "Home", Body: "<p>Hi</p>"})
//	ts := confluencetest.Start(t, s)
//	client, err := confluence.NewCloud(confluence.CloudConfig{
//		BaseURL: ts.URL, HTTPClient: ts.Client(),
//		Email: confluencetest.DefaultEmail, APIToken: confluencetest.DefaultAPIToken,
//	})
package confluencetest
