package db_test

import (
	"context"
	"io"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/disclose/disclose/mailin"
	"github.com/disclose/disclose/mailin/pgp"
)

// countingKey is the team key counting the costly operations: key
// agreements (a new public-key packet) and decryptions.
type countingKey struct {
	*pgp.TeamKey
	agreements, opens atomic.Int64
}

func (k *countingKey) Seal(b []byte) ([]byte, error) { k.agreements.Add(1); return k.TeamKey.Seal(b) }
func (k *countingKey) SealAll(b [][]byte) ([][]byte, error) {
	k.agreements.Add(1)
	return k.TeamKey.SealAll(b)
}
func (k *countingKey) SealSession() (func([]byte) ([]byte, error), func(io.Writer) (io.WriteCloser, error), func(), error) {
	k.agreements.Add(1)
	return k.TeamKey.SealSession()
}
func (k *countingKey) SealTo(w io.Writer) (io.WriteCloser, error) {
	k.agreements.Add(1)
	return k.TeamKey.SealTo(w)
}
func (k *countingKey) Open(b []byte) ([]byte, error) { k.opens.Add(1); return k.TeamKey.Open(b) }
func (k *countingKey) OpenFrom(r io.Reader) (io.ReadCloser, error) {
	k.opens.Add(1)
	return k.TeamKey.OpenFrom(r)
}
func (k *countingKey) OpenAll(b [][]byte) ([][]byte, error) {
	k.opens.Add(1)
	return k.TeamKey.OpenAll(b)
}

// A sealed web submission costs one key agreement, made before the single
// writer, and no decryption: it records its event, and the mail is
// composed afterwards (with the key unlocked, opening the report in the
// writer made sealed submissions 2.3 times the cost of plain ones). The
// composition opens only the reporter's address, and none while locked.
func TestSealedSubmissionCost(t *testing.T) {
	ctx := context.Background()
	d := newMailDB(t, MustOpenDB(t), &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org"})
	key := &countingKey{TeamKey: newTeamKey(t)}
	d.SetSealer(key, true)
	p, _ := d.DefaultProgram(ctx)
	for _, unlocked := range []bool{true, false} {
		if !unlocked {
			key.Lock()
		}
		key.agreements.Store(0)
		key.opens.Store(0)
		in := validReport(p.ID) // with a contact address: an acknowledgement is queued
		rc, err := d.CreateReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got := key.agreements.Load(); got != 1 {
			t.Errorf("unlocked=%v: %d key agreements for one submission and its acknowledgement, want 1", unlocked, got)
		}
		if got := key.opens.Load(); got != 0 {
			t.Errorf("unlocked=%v: %d decryptions while storing a submission, want 0", unlocked, got)
		}
		d.drain()
		wantOpens := int64(0)
		if unlocked {
			wantOpens = 1
		}
		if got := key.opens.Load(); got != wantOpens {
			t.Errorf("unlocked=%v: %d decryptions composing its mail, want %d (the address)", unlocked, got, wantOpens)
		}
		mails, err := d.ReportMails(ctx, rc.ReportID)
		if err != nil {
			t.Fatal(err)
		}
		if len(mails) != 1 || !mails[0].Sealed {
			t.Fatalf("unlocked=%v: %d mails queued, want the sealed acknowledgement", unlocked, len(mails))
		}
		if unlocked && mails[0].To != "alice@example.org" {
			t.Errorf("the acknowledgement sealed in the report's session opens to %q", mails[0].To)
		}
	}
}
