package db

import (
	"fmt"
	"net/netip"
)

// WebhookReach says which network destinations a webhook may post to. A
// webhook URL is chosen by an admin, and the delivery log shows what the
// destination answered, so without a limit an admin account (or whoever took
// it over) could use the portal to probe and call services on its own
// network: the cloud metadata endpoint, databases, admin consoles. The zero
// value is the safe default.
type WebhookReach int

// The reaches, from the narrowest. Link-local addresses (169.254.0.0/16,
// fe80::/10, where cloud metadata and credential endpoints live), the named
// metadata addresses, unspecified, multicast, broadcast and reserved
// addresses are refused in every reach.
const (
	// WebhookReachPublic allows public (globally routable) addresses only.
	WebhookReachPublic WebhookReach = iota
	// WebhookReachPrivate also allows private networks: RFC 1918, unique
	// local fc00::/7 and carrier-grade NAT 100.64.0.0/10, for a chat server on
	// the internal network.
	WebhookReachPrivate
	// WebhookReachLoopback also allows the portal's own host (127.0.0.0/8,
	// ::1), for a chat server on the same machine.
	WebhookReachLoopback
)

// ParseWebhookReach reads the setting: "false" (public only), "true"
// (private too) or "loopback" (private and loopback too).
func ParseWebhookReach(s string) (WebhookReach, error) {
	switch s {
	case "false", "0", "no", "":
		return WebhookReachPublic, nil
	case "true", "1", "yes":
		return WebhookReachPrivate, nil
	case "loopback":
		return WebhookReachLoopback, nil
	}
	return 0, fmt.Errorf("want false, true or loopback")
}

// String is the setting's value for r.
func (r WebhookReach) String() string {
	switch r {
	case WebhookReachPrivate:
		return "true"
	case WebhookReachLoopback:
		return "loopback"
	}
	return "false"
}

// addrRefusal is the refusal (EFORBIDDEN) of a destination address of
// kind ("a private address", "a loopback address", ...); its message is
// what the admin reads in the delivery log and next to the URL field.
// setting names the value of DISCLOSE_WEBHOOK_ALLOW_PRIVATE that would
// allow the address, "" when none does.
func addrRefusal(addr netip.Addr, kind, setting string) *Error {
	s := fmt.Sprintf("refused: %s is %s", addr, kind)
	switch setting {
	case "":
		s += " and never allowed"
	case "true":
		s += "; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE to allow it"
	default:
		s += "; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE=" + setting + " to allow it"
	}
	return &Error{Code: EFORBIDDEN, Message: s}
}

// metadataAddrs are cloud instance-metadata endpoints, which hand out
// credentials: refused in every reach even where their range is allowed.
// 169.254.169.254 (AWS, GCP, Azure, OpenStack …) is link-local and refused
// anyway; fd00:ec2::254 (AWS over IPv6) is unique-local and
// 100.100.100.200 (Alibaba Cloud) carrier-grade NAT, both otherwise allowed
// by WebhookReachPrivate.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true,
	netip.MustParseAddr("fd00:ec2::254"):   true,
	netip.MustParseAddr("100.100.100.200"): true,
}

// Special-purpose ranges that netip has no predicate for (IANA special-purpose
// address registries). Loopback, private, link-local, multicast and
// unspecified come from netip itself.
var (
	cgnatPrefix = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598, private in practice
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")  // RFC 6052: the IPv4 address is in the last 4 bytes
	reserved    = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
		netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
		netip.MustParsePrefix("192.0.2.0/24"),    // documentation
		netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
		netip.MustParsePrefix("198.51.100.0/24"), // documentation
		netip.MustParsePrefix("203.0.113.0/24"),  // documentation
		netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and 255.255.255.255 broadcast
		netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
		netip.MustParsePrefix("100::/64"),        // discard
		netip.MustParsePrefix("2001:db8::/32"),   // documentation
	}
)

// CheckWebhookAddr returns an EFORBIDDEN *Error when a webhook may not post to
// ip under reach, nil when it may. IPv4-mapped (::ffff:a.b.c.d) and NAT64
// (64:ff9b::a.b.c.d) addresses are judged by the IPv4 address they reach.
func CheckWebhookAddr(ip netip.Addr, reach WebhookReach) error {
	ip = ip.WithZone("")
	shown := ip
	if ip.Is4In6() {
		ip = ip.Unmap()
	} else if nat64Prefix.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:16]))
	}
	refuse := func(kind, setting string) error {
		return addrRefusal(shown, kind, setting)
	}
	switch {
	case !ip.IsValid():
		return refuse("not an address", "")
	case metadataAddrs[ip]:
		return refuse("a cloud metadata address", "")
	case ip.IsUnspecified():
		return refuse("the unspecified address", "")
	case ip.IsLoopback():
		if reach >= WebhookReachLoopback {
			return nil
		}
		return refuse("a loopback address", "loopback")
	case ip.IsLinkLocalUnicast():
		return refuse("a link-local address", "")
	case ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsLinkLocalMulticast():
		return refuse("a multicast address", "")
	case ip.IsPrivate() || cgnatPrefix.Contains(ip):
		if reach >= WebhookReachPrivate {
			return nil
		}
		return refuse("a private address", "true")
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return refuse("a reserved address", "")
		}
	}
	if !ip.IsGlobalUnicast() {
		return refuse("not a public address", "")
	}
	return nil
}
