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
// writer, for its fields and the acknowledgement composed in the writing
// transaction alike, and no decryption: the event the Notifier gets is
// built from the submission rather than read back and opened in the writer
// (with the key unlocked that made sealed submissions 2.3 times the cost
// of plain ones).
func TestSealedSubmissionCost(t *testing.T) {
	ctx := context.Background()
	d := MustOpenDB(t)
	d.Notifier = &mailin.Notifier{BaseURL: &url.URL{Scheme: "https", Host: "portal.example.org"}, Domain: "portal.example.org"}
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
