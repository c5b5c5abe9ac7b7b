package store_test

import (
	"context"
	"fmt"
	"time"

	"github.com/secureshare/secureshare/store"
)

// A store opened from a DSN serves as the SAML replay cache (and as every
// storage interface of package share).
func ExampleOpen() {
	ctx := context.Background()
	st, err := store.Open(ctx, "memory:") // or "sqlite:/var/lib/secureshare/share.db"
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	expires := time.Now().Add(5 * time.Minute)
	first, _ := st.ClaimAssertion(ctx, "_7f3a9c", expires)
	again, _ := st.ClaimAssertion(ctx, "_7f3a9c", expires)
	fmt.Println(st.Backend(), first, again)
	// Output: memory true false
}

// A DSN the store cannot use says what is wrong, without the password.
func ExampleOpen_badDSN() {
	_, err := store.Open(context.Background(), "mysql://admin:secret@db/share")
	fmt.Println(err)
	// Output: store: bad DSN "mysql://admin:xxxxx@db/share": unknown scheme "mysql"; want memory, sqlite, postgres or postgresql
}

// SweepLoop runs until its context ends; a ticker paces it.
func ExampleStore_SweepLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, "memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	ticker := time.NewTicker(5 * time.Minute)
	defer ticker.Stop()
	go st.SweepLoop(ctx, ticker.C)
}
