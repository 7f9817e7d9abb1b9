package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/disclose/disclose/db"
)

// authConfig is the staff sign-in settings of serve.
type authConfig struct {
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	LockoutAfter    int
	LockoutClient   int
	LockoutDuration time.Duration
	InactiveAfter   dayDuration
	InactiveDisable bool
}

func (a *authConfig) flags(fs *flag.FlagSet) {
	d := db.DefaultAuthPolicy
	fs.DurationVar(&a.SessionIdle, "session-idle", d.SessionIdle, "a staff session unused this long ends")
	fs.DurationVar(&a.SessionLifetime, "session-lifetime", d.SessionLifetime, "a staff session ends this long after sign-in, however active")
	fs.IntVar(&a.LockoutAfter, "lockout-after", d.MaxAccountFailures, "failed sign-ins of one account from one network (IPv4 /24, IPv6 /64) that lock it for that network")
	fs.IntVar(&a.LockoutClient, "lockout-client-after", d.MaxClientFailures, "failed sign-ins from one client address that lock that address")
	fs.DurationVar(&a.LockoutDuration, "lockout-duration", d.Lockout, "how long a lock lasts; also the window in which failures count")
	inactiveAfterFlag(fs, &a.InactiveAfter)
	fs.BoolVar(&a.InactiveDisable, "inactive-disable", false, "disable accounts inactive longer than --inactive-after by themselves (hourly)")
}

func (a *authConfig) validate() error {
	switch {
	case a.SessionIdle < time.Minute:
		return errors.New("DISCLOSE_SESSION_IDLE (--session-idle): must be at least 1m")
	case a.SessionLifetime < a.SessionIdle:
		return errors.New("DISCLOSE_SESSION_LIFETIME (--session-lifetime): must be at least the idle timeout (--session-idle)")
	case a.LockoutAfter < 1 || a.LockoutClient < 1:
		return errors.New("DISCLOSE_LOCKOUT_AFTER / DISCLOSE_LOCKOUT_CLIENT_AFTER: must be 1 or more")
	case a.LockoutDuration < time.Second:
		return errors.New("DISCLOSE_LOCKOUT_DURATION (--lockout-duration): must be at least 1s")
	case a.InactiveDisable && time.Duration(a.InactiveAfter) < 24*time.Hour:
		return errors.New("DISCLOSE_INACTIVE_AFTER (--inactive-after): must be at least 1d when DISCLOSE_INACTIVE_DISABLE is on")
	}
	return nil
}

func (a *authConfig) apply(d *db.DB) {
	d.Auth.SessionIdle, d.Auth.SessionLifetime = a.SessionIdle, a.SessionLifetime
	d.Auth.MaxAccountFailures, d.Auth.MaxClientFailures = a.LockoutAfter, a.LockoutClient
	// Past two networks' worth of failures an account is under attack.
	d.Auth.AccountBackoffAfter = 2 * a.LockoutAfter
	d.Auth.Lockout, d.Auth.FailureWindow = a.LockoutDuration, a.LockoutDuration
	d.Auth.InactiveAfter = time.Duration(a.InactiveAfter)
}

// printFirstAdminLink prints the one-time link that creates the first admin
// when the portal has no account yet. It goes to the console only, never to
// the log.
func printFirstAdminLink(ctx context.Context, w io.Writer, d *db.DB, baseURL string) error {
	token, err := d.FirstAdminToken(ctx)
	if err != nil || token == "" {
		return err
	}
	fmt.Fprintf(w, "\nNo staff account exists yet. Create the first admin with this one-time link (valid for %s):\n\n  %s/setup/%s\n\n",
		d.Auth.SetupLinkLifetime, baseURL, token)
	return nil
}
