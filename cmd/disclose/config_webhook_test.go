package main

import (
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// TestWebhookAllowPrivate: the setting is off by default, a bare flag turns
// it on, and loopback widens it to this host too.
func TestWebhookAllowPrivate(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want db.WebhookReach
	}{
		{"OKDefault", nil, "", db.WebhookReachPublic},
		{"OKBareFlag", []string{"--webhook-allow-private"}, "", db.WebhookReachPrivate},
		{"OKFlagFalse", []string{"--webhook-allow-private=false"}, "true", db.WebhookReachPublic},
		{"OKFlagLoopback", []string{"--webhook-allow-private=loopback"}, "", db.WebhookReachLoopback},
		{"OKEnvTrue", nil, "true", db.WebhookReachPrivate},
		{"OKEnvLoopback", nil, "loopback", db.WebhookReachLoopback},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c serveConfig
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			c.flags(fs)
			if err := parseFlags(fs, tt.args, func(k string) string {
				return map[string]string{"DISCLOSE_WEBHOOK_ALLOW_PRIVATE": tt.env}[k]
			}); err != nil {
				t.Fatal(err)
			}
			if got, want := c.WebhookReach, tt.want; got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		})
	}
	t.Run("ErrValue", func(t *testing.T) {
		env, _, _ := testEnv(map[string]string{"DISCLOSE_WEBHOOK_ALLOW_PRIVATE": "everything"})
		err := run(context.Background(), env, []string{"serve", "--data", t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), "DISCLOSE_WEBHOOK_ALLOW_PRIVATE: invalid value") {
			t.Fatalf("err=%v", err)
		}
	})
}
