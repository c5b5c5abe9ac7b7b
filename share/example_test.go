package share

import (
	"context"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/idp"
)

func ExampleEvaluate() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	link := Link{Space: "ENG", Scope: ScopePageTree, PageID: "100",
		Policy: Policy{Groups: []string{"Partners", "Auditors"}}}
	space := Space{Key: "ENG"}
	page := Page{ID: "102", Space: "ENG", Ancestors: []string{"100"}}
	viewer := idp.Profile{IDP: "okta", Email: "x@example.com", Groups: []string{"Engineering"}}

	d := Evaluate(&link, &space, nil, page, now)
	fmt.Println(d.Outcome, d.Reason)

	d = Evaluate(&link, &space, &viewer, page, now)
	fmt.Println(d.Outcome, d.Reason)
	fmt.Println(d.Message())
	// Output:
	// login_required login_required
	// deny not_in_groups
	// This link is for members of Partners or Auditors; you signed in as x@example.com, who is in Engineering.
}

func ExampleService() {
	ctx := context.Background()
	svc, err := NewService(Config{Store: newFakeStore()}) // store.Open(ctx, "memory:") in real use
	if err != nil {
		fmt.Println(err)
		return
	}

	// An admin shares page 100 and everything below it with Partners.
	link, token, err := svc.CreateLink(ctx, LinkSpec{Space: "ENG", Scope: ScopePageTree,
		PageID: "100", CreatedBy: "admin@corp.com",
		Policy: Policy{Groups: []string{"Partners"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(link.Scope, len(token))

	// A partner, signed in through the IdP, opens a child page.
	viewer := &idp.Profile{IDP: "okta", Email: "p@partner.org", Groups: []string{"Partners"}}
	_, d, err := svc.Open(ctx, token, viewer, Page{ID: "101", Space: "ENG",
		Ancestors: []string{"100"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Outcome)
	// Output:
	// tree 43
	// allow
}
