package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/disclose/disclose/mailin/pgp"
	"golang.org/x/term"
)

func init() {
	commands = append(commands, command{"key", "manage the team's OpenPGP key: generate, import, export, show", runKey})
	secretFlags["key-passphrase"] = true
}

const keyUsage = `Manage the security team's OpenPGP key. It is stored passphrase-locked in
the data directory; its public part is published (security.txt Encryption,
/pgp-key.asc and Web Key Directory) and the private part is unlocked only in
memory, from DISCLOSE_KEY_PASSPHRASE_FILE or typed on the terminal.

Usage:
  disclose key generate [--name N] [--email E] [--rsa] [--expires 2y] [--force]
  disclose key import FILE [--force]
  disclose key export
  disclose key show`

func runKey(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stdout, keyUsage)
		if len(args) == 0 {
			return errors.New("key: name a subcommand: generate, import, export or show")
		}
		return nil
	}
	sub, args := args[0], args[1:]
	var cfg serveConfig
	fs := newFlagSet(env, "key "+sub, keyUsage)
	cfg.coreFlags(fs)
	var passphrase string
	fs.StringVar(&passphrase, "key-passphrase", "", "passphrase of the team key (prefer --key-passphrase-file or the terminal prompt)")
	name := fs.String("name", "Security team", "generate: the key's user name")
	email := fs.String("email", "", "generate: the key's address (default DISCLOSE_SECURITY_EMAIL)")
	rsa := fs.Bool("rsa", false, "generate: RSA-4096 instead of curve25519")
	expires := fs.String("expires", "2y", "generate: lifetime, like 2y, 365d or 0 for never")
	force := fs.Bool("force", false, "generate, import: replace an existing key")
	if err := parseFlags(fs, args, env.getenv); err != nil {
		return err
	}
	if err := cfg.validateCore(); err != nil {
		return err
	}
	path := filepath.Join(cfg.Data, pgp.KeyFile)
	switch sub {
	case "generate":
		if err := refuseOverwrite(path, *force); err != nil {
			return err
		}
		if *email == "" {
			*email = env.getenv("DISCLOSE_SECURITY_EMAIL")
		}
		lifetime, err := parseLifetime(*expires)
		if err != nil {
			return err
		}
		return storeNewKey(env, passphrase, cfg.Data, path, func(pass []byte) (*pgp.TeamKey, error) {
			fmt.Fprintln(env.stderr, "generating the key…")
			return pgp.Generate(pgp.GenerateOptions{Name: *name, Email: *email, RSA: *rsa, Lifetime: lifetime}, pass, time.Now())
		})
	case "import":
		if fs.NArg() != 1 {
			return errors.New("key import: name the file of the armored private key")
		}
		if err := refuseOverwrite(path, *force); err != nil {
			return err
		}
		buf, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("key import: %w", err)
		}
		return storeNewKey(env, passphrase, cfg.Data, path, func(pass []byte) (*pgp.TeamKey, error) {
			return pgp.Import(string(buf), pass)
		})
	case "export", "show":
		k, err := pgp.LoadTeamKey(path)
		if err != nil {
			return err
		} else if k == nil {
			return fmt.Errorf("key %s: no team key in %s; run disclose key generate", sub, cfg.Data)
		}
		if sub == "show" {
			printKeyInfo(env, k.Info())
			return nil
		}
		pub, err := k.ArmoredPublic()
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, pub)
		return nil
	}
	return fmt.Errorf("key: unknown subcommand %q (generate, import, export, show)", sub)
}

func refuseOverwrite(path string, force bool) error {
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("a team key already exists in %s; export it first, then use --force to replace it", path)
	}
	return nil
}

// storeNewKey is the end of key generate and key import: it asks for the
// passphrase that locks the new key, makes the key, saves it and prints what
// the operator publishes.
func storeNewKey(env *environment, passphrase, dir, path string, makeKey func(pass []byte) (*pgp.TeamKey, error)) error {
	pass, err := newPassphrase(env, passphrase)
	if err != nil {
		return err
	}
	k, err := makeKey(pass)
	if err != nil {
		return err
	}
	if err := saveKey(k, dir, path); err != nil {
		return err
	}
	printKeyInfo(env, k.Info())
	return nil
}

func saveKey(k *pgp.TeamKey, dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return k.Save(path)
}

func printKeyInfo(env *environment, i pgp.KeyInfo) {
	fmt.Fprintf(env.stdout, "fingerprint: %s\nalgorithm:   %s\ncreated:     %s\n", i.Fingerprint, i.Algorithm, i.Created.Format(time.RFC3339))
	if i.Expires.IsZero() {
		fmt.Fprintln(env.stdout, "expires:     never")
	} else {
		fmt.Fprintf(env.stdout, "expires:     %s\n", i.Expires.Format(time.RFC3339))
	}
	for _, id := range i.UserIDs {
		fmt.Fprintf(env.stdout, "user id:     %s\n", id)
	}
}

// parseLifetime reads 2y, 365d, a Go duration, or 0 for never.
func parseLifetime(s string) (time.Duration, error) {
	bad := fmt.Errorf("--expires: %q must look like 2y, 365d or 0 (never)", s)
	if s == "0" || s == "" {
		return 0, nil
	}
	unit := map[byte]time.Duration{'y': 365 * 24 * time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, bad
		}
		return d, nil
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 {
		return 0, bad
	}
	return time.Duration(n) * unit, nil
}

// newPassphrase takes the passphrase from the flag or file, or asks twice on
// the terminal.
func newPassphrase(env *environment, given string) ([]byte, error) {
	if given != "" {
		return []byte(given), nil
	}
	f, ok := env.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("no passphrase: set DISCLOSE_KEY_PASSPHRASE_FILE (or --key-passphrase-file), or run on a terminal")
	}
	fmt.Fprint(env.stderr, "passphrase for the team key: ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, err
	}
	fmt.Fprint(env.stderr, "again: ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.stderr)
	if err != nil {
		return nil, err
	}
	if string(p1) != string(p2) {
		return nil, errors.New("the passphrases differ")
	}
	return p1, nil
}
