// Command ctifeed runs a CTI feed hub from a configuration file.
//
//	ctifeed serve -config FILE            serve until SIGINT or SIGTERM
//	ctifeed check -config FILE            validate and print what would be served
//	ctifeed ingest -config FILE BUNDLE…   load STIX bundles (files or directories) once
//	ctifeed hash-password                 read a password on stdin, print its bcrypt hash
//	ctifeed new-token                     print a random API token and its SHA-256
//	ctifeed version                       print the version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  ctifeed serve -config FILE
  ctifeed check -config FILE
  ctifeed ingest -config FILE BUNDLE...
  ctifeed hash-password   (reads the password on stdin)
  ctifeed new-token
  ctifeed version
`

// run is the command without the process: tests call it. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "check":
		err = check(ctx, args[1:], stdout, stderr)
	case "ingest":
		err = ingest(ctx, args[1:], stdout, stderr)
	case "hash-password":
		err = hashPassword(args[1:], stdin, stdout)
	case "new-token":
		err = newToken(args[1:], stdout)
	case "version":
		err = version(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ctifeed: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if ue, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "ctifeed %s: %s\n%s", args[0], ue.msg, usage)
			return 2
		}
		fmt.Fprintf(stderr, "ctifeed %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
