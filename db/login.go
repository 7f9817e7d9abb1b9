package db

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// ErrLoginFailed is the one answer to a wrong email, a wrong password, a
// disabled account or an account without a password: telling them apart
// would tell an attacker which addresses have accounts.
var ErrLoginFailed = Errorf(EUNAUTHORIZED, "Email or password is wrong.")

// ErrCodeWrong answers a wrong second-factor or recovery code.
var ErrCodeWrong = Errorf(EUNAUTHORIZED, "That code is not right. Check your authenticator app and try again.")

// ErrSignInNotFinished ends a login awaiting its code that cannot go on:
// it expired, or (while the account is under attack) its password or its
// code was wrong. One answer for all, so that the code step never tells
// whether the password was right.
var ErrSignInNotFinished = Errorf(EUNAUTHORIZED, "Sign-in not finished: the password or the code was wrong, or it took too long. Enter your email and password again.")

// lockedError refuses a sign-in while an account or client address waits
// after failed attempts, until until (wait from now on the database clock).
func lockedError(until time.Time, wait time.Duration) *Error {
	msg := fmt.Sprintf("Too many failed sign-ins. Try again after %s.", until.UTC().Format("15:04 UTC"))
	if wait < time.Minute {
		msg = fmt.Sprintf("Too many failed sign-ins. Wait %d seconds and try again.", int(wait.Seconds())+1)
	}
	return &Error{Code: ELOCKED, Message: msg, RetryAfter: wait}
}

// LoginResult is a successful password check: either a full session, or a
// pending one that awaits the second factor.
type LoginResult struct {
	User         *User
	Token        string // full session
	PendingToken string // set instead of Token when the user has TOTP
	// LockedNow is set on a failure that just locked the account or client,
	// so the caller can log it.
	LockedNow bool
	// Decoy is set on a wrong password of an account under attack, which
	// gets a PendingToken like a right one (Login): for the log only, never
	// for the answer.
	Decoy bool
}

// backoffAfter failures, each further failure doubles a short wait.
const backoffAfter = 3

// Sign-in failures are counted under four keys (login_failures.key):
//
//   - pairKey: one account from one client network. This is the lock a user
//     meets who mistypes, and the only lock a stranger's wrong passwords put
//     on an account: it holds for the stranger's network, never for the
//     network the real user signs in from (Django-axes' default of counting
//     by username and address; OWASP's advice against account-wide lockout).
//   - accountKey: one account from everywhere. Never a lock of a right
//     password plus second factor: past AuthPolicy.AccountBackoffAfter the
//     account is "under attack", and then a password step answers alike
//     for right and wrong passwords (the code decides, see Login), and an
//     account without a second factor waits a short backoff between tries.
//   - codeKey: wrong codes after a right password. Only someone who has the
//     password can raise it, so it locks the account everywhere.
//   - clientKey: one client over all accounts (password spraying).
func accountKey(email string) string { return "email:" + normalEmail(email) }
func codeKey(email string) string    { return "2fa:" + normalEmail(email) }
func clientKey(addr string) string   { return "addr:" + ClientNetwork(addr) }
func pairKey(email, addr string) string {
	return pairPrefix(email) + PairNetwork(addr)
}
func pairPrefix(email string) string  { return "pair:" + normalEmail(email) + "|" }
func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ClientNetwork is the unit a per-client limit counts: an IPv4 address
// (also when a dual-stack listener shows it as ::ffff:a.b.c.d), or the /64
// of an IPv6 address, since one subscriber or server holds a whole /64 and
// could otherwise take a fresh address for every attempt. Anything that is
// not an address is returned as it is.
func ClientNetwork(addr string) string {
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return addr
	case ip.To4() != nil:
		return ip.To4().String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// PairNetwork is the network one account's failures are counted in: the
// /24 of an IPv4 address and the /64 of an IPv6 one. It is wider than
// ClientNetwork for IPv4 so that a stranger cannot step through the
// addresses of one subnet to keep trying one account; a user and a stranger
// rarely share a /24.
func PairNetwork(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() == nil {
		return ClientNetwork(addr)
	}
	return (&net.IPNet{IP: ip.To4().Mask(net.CIDRMask(24, 32)), Mask: net.CIDRMask(24, 32)}).String()
}

// auditEmail is what the audit log keeps of the address typed at sign-in:
// the address when it is one, and otherwise a placeholder, because what
// people type in the wrong field is most often their password, and the
// audit log is append-only.
func auditEmail(email string) string {
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return "(not an email address)"
	}
	return email
}
