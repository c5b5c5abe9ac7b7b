// Command secureshare is the Secure Share reference server and its
// administration tools.
//
// Usage:
//
//	secureshare [<command>] [flags]
//
// Commands:
//
//	serve            serve Secure Share; the default, a demo without flags
//	check-response   check a captured SAMLResponse offline against IdP metadata
//
// With no arguments at all, secureshare runs "serve" with no flags: a demo
// on http://127.0.0.1:8080 that needs no set-up. Flags without a command
// are serve's.
//
// Exit status: 0 on success, 1 when a checked message is refused or the
// server fails, 2 for bad usage or configuration.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Exit statuses shared by every subcommand.
const (
	exitOK       = 0
	exitRefused  = 1
	exitBadUsage = 2
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order usage shows them.
var commands = []command{
	{name: "serve", summary: "serve Secure Share (the default; with no flags, a demo)",
		run: runServe},
	{name: "check-response", summary: "check a captured SAMLResponse offline against IdP metadata",
		run: runCheckResponse},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runServe(nil, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	if strings.HasPrefix(args[0], "-") {
		// Flags without a command are serve's: "secureshare --listen :9090".
		return runServe(args, stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "secureshare: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitBadUsage
}

// usage prints the list of commands.
func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: secureshare [<command>] [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nWith no command, secureshare runs serve (with any flags given): "+
		"a demo on http://127.0.0.1:8080.\n")
	fmt.Fprintf(w, "Run 'secureshare <command> -h' for a command's flags.\n")
}
