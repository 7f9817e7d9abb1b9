// Command disclose is the whole portal: the web server, the mail gateway and
// the operator's tools, one binary on one SQLite file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
)

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a command sees of the process, so tests can run
// commands in-process.
type environment struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	// ready, when set, is called by serve with the URL it listens on.
	ready func(url string)
}

var commands = []command{
	{"serve", "run the portal: web pages, dashboard and mail workers", runServe},
	{"mailin", "read the security mailbox once (--once) or continuously", runMailin},
	{"user", "manage staff accounts: add, list, disable, reset", runUser},
	{"token", "personal access tokens of the JSON API: add, list, revoke", runToken},
	{"org", "manage organisations: add, list", runOrg},
	{"sso", "single sign-on providers (OpenID Connect): add, list, remove", runSSO},
	{"program", "manage programs: add", runProgram},
	{"mailbox", "intake mailboxes of organisations: add, list", runMailbox},
	{"advisory", "security advisories: add, approve, list", runAdvisory},
	{"audit", "check the audit log's hash chain: audit verify", runAudit},
	{"version", "print the version", runVersion},
	{"backup", "copy the database while the portal runs; --verify checks a copy", runBackup},
	{"restore", "restore a backup into an empty data directory", runRestore},
	{"secrets", "the local key file is lost: secrets reset starts over without what it sealed", runSecrets},
	{"purge", "apply the retention rules now (--dry-run lists what would go)", runPurge},
	{"retention", "show or set retention rules; put reports on legal hold", runRetention},
	{"demo", "fill the database with realistic demo reports", runDemo},
	{"export", "write the reports of a filter as JSON or CSV to standard output", runExport},
	{"incident", "incidents and their notification clocks: open, list, evidence", runIncident},
	{"seal", "encrypt the reports already stored to the team key (resumable)", runSeal},
	{"unseal", "decrypt sealed reports back to plaintext (needs the passphrase)", runUnseal},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin, getenv: os.Getenv}
	if err := run(ctx, env, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "disclose:", err)
			os.Exit(exitCode(err))
		}
	}
}

func run(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, env, []string{args[1], "--help"})
		}
		usage(env.stdout)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `disclose is a self-hosted responsible-disclosure intake portal.

Usage:
  disclose <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every flag can also be set with an environment variable: --base-url is
DISCLOSE_BASE_URL. Secrets can be read from a file with DISCLOSE_<NAME>_FILE.
Run "disclose <command> --help" for the flags of a command.
`)
}

// newFlagSet makes a command's flag set whose help lists each flag with its
// environment variable and default.
func newFlagSet(env *environment, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		w := env.stdout
		fmt.Fprintf(w, "Usage: disclose %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		var flags []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		for _, f := range flags {
			def := ""
			if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "  --%s  [%s]\n      %s%s\n", f.Name, envName(f.Name), f.Usage, def)
		}
	}
	return fs
}

func runVersion(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "version", "Print the version of this binary: the module version and the commit it was built from.")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(env.stdout, versionLine(info))
	return nil
}

// versionLine says what a binary was built from, read from the build
// information the Go tool records: the module version (a tag for a binary
// made with `go install …@version`, "(devel)" for one built in a checkout)
// and, for a checkout, the commit, its time and whether the tree had
// uncommitted changes.
func versionLine(info *debug.BuildInfo) string {
	if info == nil {
		return "disclose (no build information)"
	}
	line := "disclose " + info.Main.Version
	var rev, at, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", with uncommitted changes"
			}
		}
	}
	if rev != "" {
		line += " commit " + rev
		if at != "" {
			line += " (" + at + dirty + ")"
		}
	}
	return line + " " + info.GoVersion
}
