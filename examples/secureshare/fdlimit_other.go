//go:build !unix

package main

// fdLimit is the process's limit on open files, and whether it is known:
// not on this system.
func fdLimit() (uint64, bool) { return 0, false }
