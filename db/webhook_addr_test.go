package db_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestCheckWebhookAddr is the table of where a webhook may post in each
// reach: "-" refused, "+" allowed, in the order public, private, loopback.
func TestCheckWebhookAddr(t *testing.T) {
	tests := []struct {
		addr  string
		allow string // public, private, loopback
		kind  string // of the refusal in the default reach
	}{
		{"8.8.8.8", "+++", ""},
		{"2001:4860::8888", "+++", ""},
		{"::ffff:8.8.8.8", "+++", ""},
		{"64:ff9b::808:808", "+++", ""}, // NAT64 of 8.8.8.8
		{"127.0.0.1", "--+", "a loopback address"},
		{"127.8.9.10", "--+", "a loopback address"},
		{"::1", "--+", "a loopback address"},
		{"::ffff:127.0.0.1", "--+", "a loopback address"},
		{"10.0.0.5", "-++", "a private address"},
		{"172.16.3.4", "-++", "a private address"},
		{"192.168.1.1", "-++", "a private address"},
		{"::ffff:10.0.0.5", "-++", "a private address"},
		{"64:ff9b::a00:5", "-++", "a private address"}, // NAT64 of 10.0.0.5
		{"fd00::1", "-++", "a private address"},
		{"fc12::1", "-++", "a private address"},
		{"100.64.0.1", "-++", "a private address"},
		{"100.127.255.254", "-++", "a private address"},
		{"0.0.0.0", "---", "the unspecified address"},
		{"::", "---", "the unspecified address"},
		{"0.1.2.3", "---", "a reserved address"},
		{"169.254.169.254", "---", "a cloud metadata address"},
		{"::ffff:169.254.169.254", "---", "a cloud metadata address"},
		{"fd00:ec2::254", "---", "a cloud metadata address"},
		{"100.100.100.200", "---", "a cloud metadata address"},
		{"169.254.170.2", "---", "a link-local address"},
		{"fe80::1", "---", "a link-local address"},
		{"fe80::1%eth0", "---", "a link-local address"},
		{"224.0.0.1", "---", "a multicast address"},
		{"ff02::1", "---", "a multicast address"},
		{"255.255.255.255", "---", "a reserved address"},
		{"192.0.2.1", "---", "a reserved address"},
		{"198.18.0.1", "---", "a reserved address"},
		{"2001:db8::1", "---", "a reserved address"},
		{"::10.0.0.5", "---", "a reserved address"}, // IPv4-compatible
	}
	reaches := []db.WebhookReach{db.WebhookReachPublic, db.WebhookReachPrivate, db.WebhookReachLoopback}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			for i, r := range reaches {
				err := db.CheckWebhookAddr(ip, r)
				if got, want := err == nil, tt.allow[i] == '+'; got != want {
					t.Errorf("reach %s: allowed %t, want %t (%v)", r, got, want, err)
				}
			}
			err := db.CheckWebhookAddr(ip, db.WebhookReachPublic)
			if tt.kind == "" {
				return
			}
			if got := db.ErrorCode(err); got != db.EFORBIDDEN {
				t.Fatalf("error %v: code %q, want %q", err, got, db.EFORBIDDEN)
			}
			if got, want := db.ErrorMessage(err), fmt.Sprintf("refused: %s is %s", ip.WithZone(""), tt.kind); !strings.HasPrefix(got, want+";") && got != want+" and never allowed" {
				t.Errorf("message %q, want it to say %q", got, want)
			}
		})
	}
}

func TestWebhookAddrRefusalText(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"10.0.0.5", "refused: 10.0.0.5 is a private address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE to allow it"},
		{"127.0.0.1", "refused: 127.0.0.1 is a loopback address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE=loopback to allow it"},
		{"169.254.169.254", "refused: 169.254.169.254 is a cloud metadata address and never allowed"},
	} {
		err := db.CheckWebhookAddr(netip.MustParseAddr(tt.addr), db.WebhookReachPublic)
		if err == nil {
			t.Fatalf("%s allowed", tt.addr)
		}
		if got := db.ErrorMessage(err); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestParseWebhookReach(t *testing.T) {
	for in, want := range map[string]db.WebhookReach{"false": db.WebhookReachPublic, "true": db.WebhookReachPrivate, "loopback": db.WebhookReachLoopback} {
		got, err := db.ParseWebhookReach(in)
		if err != nil || got != want {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("%v prints as %q, want %q", got, got.String(), in)
		}
	}
	if _, err := db.ParseWebhookReach("private"); err == nil {
		t.Error(`"private" accepted`)
	}
}

// TestWebhookURLLiteralAddress: a URL whose host is an address outside the
// reach gets a field error when saved; a host name is left to the sender.
func TestWebhookURLLiteralAddress(t *testing.T) {
	tests := []struct {
		url   string
		reach db.WebhookReach
		ok    bool
	}{
		{"https://hooks.example.org/x", db.WebhookReachPublic, true},
		{"https://8.8.8.8/x", db.WebhookReachPublic, true},
		{"https://localhost/x", db.WebhookReachPublic, true}, // checked when the sender connects
		{"http://10.0.0.5/x", db.WebhookReachPublic, false},
		{"http://10.0.0.5:8065/x", db.WebhookReachPrivate, true},
		{"http://127.0.0.1:8065/x", db.WebhookReachPrivate, false},
		{"http://127.0.0.1:8065/x", db.WebhookReachLoopback, true},
		{"http://[::1]/x", db.WebhookReachPublic, false},
		{"http://[::ffff:10.0.0.5]/x", db.WebhookReachPublic, false},
		{"http://[fd00::1]/x", db.WebhookReachPublic, false},
		{"http://169.254.169.254/latest/meta-data/", db.WebhookReachLoopback, false},
		{"http://[fd00:ec2::254]/", db.WebhookReachLoopback, false},
		{"http://0.0.0.0:8080/", db.WebhookReachLoopback, false},
	}
	for _, tt := range tests {
		in := &db.NewWebhook{ProgramID: 1, URL: tt.url, Format: db.WebhookGeneric, Reach: tt.reach}
		errs := in.Validate()
		if got := errs["url"] == ""; got != tt.ok {
			t.Errorf("%s in reach %s: url error %q, want ok %t", tt.url, tt.reach, errs["url"], tt.ok)
		}
	}
	in := &db.NewWebhook{ProgramID: 1, URL: "http://10.0.0.5/x", Format: db.WebhookGeneric}
	if got, want := in.Validate()["url"], "Refused: 10.0.0.5 is a private address; set DISCLOSE_WEBHOOK_ALLOW_PRIVATE to allow it."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
