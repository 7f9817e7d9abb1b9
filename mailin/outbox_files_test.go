package mailin

import (
	"context"
	"crypto/rand"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/mailin/pgp"
)

// transportFunc is a Transport that hands the message to a function.
type transportFunc func(ctx context.Context, from string, to []string, msg []byte) error

func (f transportFunc) Send(ctx context.Context, from string, to []string, msg []byte) error {
	return f(ctx, from, to, msg)
}

// TestSealedOutboxMemory: a staff reply carrying five files of 10 MB, in
// sealed mode, to a reporter with a key. Its files stream out of the
// database opened as the mail is composed, and the encrypted body is armored
// as it is made: the live heap of sending it stays within outboxMemory
// (before: each file's sealed chunks joined, opened into a copy, then the
// entity encrypted into a binary message, an armored string and its
// copies).
func TestSealedOutboxMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 50 MB")
	}
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	setNotifier(t, d, nil)
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reporter, err := pgp.Generate(pgp.GenerateOptions{Email: "reporter@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	reporterKey, _ := reporter.ArmoredPublic()
	d.SetSealer(team, true)
	pr, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: pr.ID, Source: db.SourceWeb, Title: "XSS", Description: "The name is not escaped.",
		Reporter: db.Reporter{Email: "reporter@example.org", PGPKey: reporterKey, Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	en := testNotifier()
	en.Encrypting = true
	setNotifier(t, d, en)
	r, err := d.ReportByID(ctx, rc.ReportID)
	if err != nil {
		t.Fatal(err)
	}
	func() {
		files := make([]db.NewAttachment, 5)
		for i := range files {
			data := make([]byte, 10<<20)
			rand.Read(data)
			files[i] = db.NewAttachment{Filename: "dump.bin", ContentType: "application/octet-stream", Data: data}
		}
		if err := d.Reply(ctx, r.ID, r.Version, db.Actor{Name: "tri@example.org"}, "The dumps.", files, db.DefaultLimits); err != nil {
			t.Fatal(err)
		}
	}()
	var sent atomic.Int64
	w := &Outbox{Store: drainingStore{d, t}, Composer: &Composer{From: testFrom(), Encrypter: &PGPMIME{Key: team}, Signer: &PGPSigner{Key: team}},
		Transport: transportFunc(func(_ context.Context, _ string, _ []string, msg []byte) error {
			if len(msg) > 50<<20 {
				sent.Store(int64(len(msg)))
			}
			return nil
		}),
		Retry: Retry{Base: time.Minute, Max: time.Hour, GiveUp: 24 * time.Hour}, Lease: 10 * time.Minute, Log: discardLog()}
	runtime.GC()
	idle := liveHeap()
	var peak atomic.Int64
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if h := liveHeap() - idle; h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Microsecond):
			}
		}
	}()
	n, err := w.SendDue(ctx)
	close(stop)
	<-sampled
	if err != nil || sent.Load() == 0 {
		t.Fatalf("sent %d mails, %v; want the reply with its files", n, err)
	}
	t.Logf("a sealed reply with five files of 10 MB, encrypted to the reporter (%d MiB sent): live heap peak %d MiB above idle",
		sent.Load()>>20, peak.Load()>>20)
	if got := peak.Load(); got > outboxMemory {
		t.Errorf("sending it held %d MiB of heap, more than %d MiB", got>>20, outboxMemory>>20)
	}
}

// outboxMemory bounds the heap of sending the largest reply: SMTP sends
// the composed message (94 MB) from memory, encrypted from the clear entity
// (68 MB), with the garbage of streaming the files out of the database
// until the collector runs; the files themselves are never held. Under the
// race detector everything runs slower and more garbage is seen.
var outboxMemory int64 = 288 << 20

func init() {
	if raceEnabled {
		outboxMemory = 416 << 20
	}
}

// lockingStore locks the team key once a mail's files are listed: between
// the claim and the composing of the mail, as an admin may.
type lockingStore struct {
	*db.DB
	key *pgp.TeamKey
}

func (s lockingStore) MailAttachments(ctx context.Context, id int64) ([]*db.MailAttachment, error) {
	atts, err := s.DB.MailAttachments(ctx, id)
	s.key.Lock()
	return atts, err
}

// TestSealedOutboxLockedMidway: a sealed file that cannot be read while the
// mail is composed (the key was locked meanwhile) is not the mail's fault:
// it is tried again later, not marked failed for good.
func TestSealedOutboxLockedMidway(t *testing.T) {
	ctx := context.Background()
	d, _ := mustOpenMailDB(t)
	setNotifier(t, d, nil)
	team, err := pgp.Generate(pgp.GenerateOptions{Email: "security@example.org"}, []byte(teamPass), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d.SetSealer(team, true)
	pr, _ := d.DefaultProgram(ctx)
	rc, err := d.CreateReport(ctx, &db.NewReport{ProgramID: pr.ID, Source: db.SourceWeb, Title: "XSS", Description: "The name is not escaped.",
		Reporter: db.Reporter{Email: "reporter@example.org", Credit: db.CreditAnonymous}})
	if err != nil {
		t.Fatal(err)
	}
	setNotifier(t, d, testNotifier())
	r, _ := d.ReportByID(ctx, rc.ReportID)
	if err := d.Reply(ctx, r.ID, r.Version, db.Actor{Name: "tri@example.org"}, "The fix.",
		[]db.NewAttachment{{Filename: "fix.diff", Data: []byte("+fixed\n")}}, db.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	drainEvents(t, d)
	w := &Outbox{Store: lockingStore{d, team}, Composer: &Composer{From: testFrom()},
		Transport: transportFunc(func(context.Context, string, []string, []byte) error {
			t.Error("a mail went out without its file")
			return nil
		}),
		Retry: Retry{Base: time.Minute, Max: time.Hour, GiveUp: 24 * time.Hour}, Lease: 10 * time.Minute, Log: discardLog()}
	if _, err := w.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	drainEvents(t, d)
	mails, err := d.Mails(ctx, "", 10)
	if err != nil || len(mails) != 1 {
		t.Fatalf("mails %v, %v", mails, err)
	}
	if m := mails[0]; m.Status != db.OutboxPending || m.Attempts != 1 {
		t.Errorf("the mail is %s after %d attempts (%s), want pending, to be tried again", m.Status, m.Attempts, m.LastError)
	}
}
