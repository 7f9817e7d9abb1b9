package mailin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/disclose/disclose/db"
)

// webhookClient is the HTTP client of webhook deliveries. It checks the
// address of every connection it opens against reach in the dialer's
// Control hook, which runs after name resolution with the very IP the
// socket connects to: a host name that resolves (or re-resolves, DNS
// rebinding) to an internal address is refused the same as a literal one.
// It uses no proxy from the environment (a proxy would connect for us,
// unchecked) and follows no redirects (a 3xx is the answer, a permanent
// failure).
func webhookClient(reach db.WebhookReach) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			return checkDialAddr(address, reach)
		}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	tr.DialTLSContext = nil
	return &http.Client{Timeout: 15 * time.Second, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// checkDialAddr judges the "ip:port" a socket is about to connect to.
func checkDialAddr(address string, reach db.WebhookReach) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %q: not an address", address)
	}
	return db.CheckWebhookAddr(ap.Addr(), reach)
}

// refusedAddr returns the address refusal inside a failed post (the
// dialer's CheckWebhookAddr is the only source of a *db.Error there), if any.
func refusedAddr(err error) (*db.Error, bool) {
	var ae *db.Error
	ok := errors.As(err, &ae) && ae.Code == db.EFORBIDDEN
	return ae, ok
}
