package views

import (
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/cwe"
)

// Table tests of the pure view-model functions: what each label, time and
// URL reads like.

func TestAgeUntilDuration(t *testing.T) {
	now := t0
	for _, c := range []struct {
		name, got, want string
	}{
		{"Age minutes", Age(now, now.Add(-59*time.Minute)), "59 m"},
		{"Age hours from one hour", Age(now, now.Add(-time.Hour)), "1 h"},
		{"Age hours up to two days", Age(now, now.Add(-47*time.Hour)), "47 h"},
		{"Age days from two days", Age(now, now.Add(-48*time.Hour)), "2 d"},
		{"Age days", Age(now, now.Add(-400*24*time.Hour)), "400 d"},
		{"Until ahead", Until(now, now.Add(3*24*time.Hour)), "in 3 d"},
		{"Until due now", Until(now, now), "in 0 m"},
		{"Until late", Until(now, now.Add(-5*time.Hour)), "5 h late"},
		{"Duration no data", MilestoneMedian(db.Milestone{}), "no data"},
		{"Duration minutes", MilestoneMedian(db.Milestone{Median: 42 * time.Minute, N: 3}), "42 minutes"},
		{"Duration hours", MilestoneMedian(db.Milestone{Median: 90 * time.Minute, N: 1}), "1.5 hours"},
		{"Duration days from 72 h", MilestoneMedian(db.Milestone{Median: 84 * time.Hour, N: 1}), "3.5 days"},
		{"When", When(time.Date(2026, 3, 1, 11, 0, 0, 0, time.FixedZone("CET", 3600))), "2026-03-01 10:00 UTC"},
		{"When never", When(time.Time{}), "never"},
		{"intakeTime", intakeTime(now.Add(time.Second)), "2026-03-01 10:00:01 UTC"},
		{"intakeTime never", intakeTime(time.Time{}), "never"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestEntryLabels(t *testing.T) {
	for _, c := range []struct {
		e             db.Message
		staff, public string
	}{
		{db.Message{Kind: db.KindInbound, Event: "submitted", Source: db.SourceWeb}, "Report received (web)", "You sent the report"},
		{db.Message{Kind: db.KindInbound, Event: "submitted", Source: db.SourceEmail}, "Report received (email)", "You sent the report"},
		{db.Message{Kind: db.KindInbound, Source: db.SourceEmail}, "Reporter wrote (email)", "You wrote"},
		{db.Message{Kind: db.KindReply, AuthorName: "Tom"}, "Public reply by Tom", "The security team replied"},
		{db.Message{Kind: db.KindReply}, "Public reply by the system", "The security team replied"},
		{db.Message{Kind: db.KindNote, AuthorName: "Tom"}, "Internal note by Tom", ""},
		{db.Message{Kind: db.KindEvent, Event: "state", AuthorName: "Tom"}, "State change by Tom", "Status change"},
		{db.Message{Kind: db.KindEvent, Event: "mail.omitted"}, "Mail intake", "Status change"},
		{db.Message{Kind: db.KindEvent, Event: "assign", AuthorName: "Ann"}, "Edit by Ann", "Status change"},
		{db.Message{Kind: db.KindEvent, Event: "edit:cwe"}, "Edit by the system", "Status change"},
	} {
		if got := entryKindLabel(&c.e); got != c.staff {
			t.Errorf("%s/%s for staff: %q, want %q", c.e.Kind, c.e.Event, got, c.staff)
		}
		if got := entryLabel(&c.e); got != c.public {
			t.Errorf("%s/%s for the reporter: %q, want %q", c.e.Kind, c.e.Event, got, c.public)
		}
	}
}

func TestReporterSees(t *testing.T) {
	for _, c := range []struct {
		name string
		e    db.Message
		want bool
	}{
		{"PublicInbound", db.Message{Kind: db.KindInbound, Public: true}, true},
		{"Reply", db.Message{Kind: db.KindReply, Public: true}, true},
		{"StateEvent", db.Message{Kind: db.KindEvent, Event: "state", Public: true}, true},
		{"Note", db.Message{Kind: db.KindNote}, false},
		{"NoteMarkedPublic", db.Message{Kind: db.KindNote, Public: true}, false},
		{"StaffOnlyEdit", db.Message{Kind: db.KindEvent, Event: "edit:cwe"}, false},
		{"Unverified", db.Message{Kind: db.KindInbound, Unverified: true}, false},
		{"UnverifiedMarkedPublic", db.Message{Kind: db.KindInbound, Public: true, Unverified: true}, false},
	} {
		if got := reporterSees(&c.e); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFormHelpers(t *testing.T) {
	t.Run("ErrorTarget", func(t *testing.T) {
		for _, c := range []struct{ form, field, want string }{
			{"report", "title", "f-title"},
			{"report", "form", ""},
			{"reply", "body", "f-reply-body"},
			{"note", "body", "f-note-body"},
			{"reply", "attachments", "f-reply-files"},
			{"note", "attachments", "f-note-files"},
			{"fields", "disclosure", "f-disclosure_date"},
			{"fields", "cve", "f-cve"},
			{"-new", "url", "f-url-new"},
			{"queue", "page", ""},
			{"queue", "sort", "f-sort"},
			{"", "password2", "f-password2"},
		} {
			if got := errorTarget(c.form, c.field); got != c.want {
				t.Errorf("errorTarget(%q, %q) = %q, want %q", c.form, c.field, got, c.want)
			}
		}
	})
	t.Run("OrderedErrors", func(t *testing.T) {
		errs := db.FieldErrors{"zeta": "z", "email": "e", "title": "t", "form": "f", "alpha": "a", "program": "p"}
		var got []string
		for _, e := range orderedErrors(errs) {
			got = append(got, e.Field)
		}
		if strings.Join(got, " ") != "program title email form alpha zeta" {
			t.Errorf("order %q: the form's order first, then unknown fields sorted", got)
		}
	})
	t.Run("ErrAttrs", func(t *testing.T) {
		errs := db.FieldErrors{"title": "bad"}
		for _, c := range []struct {
			name, field, hint string
			want              string
		}{
			{"ErrorAndHint", "title", "h-title", "aria-describedby=h-title e-title aria-invalid=true"},
			{"ErrorOnly", "title", "", "aria-describedby=e-title aria-invalid=true"},
			{"HintOnly", "asset", "h-asset", "aria-describedby=h-asset"},
			{"Neither", "asset", "", ""},
		} {
			a := errAttrs(errs, c.field, c.hint)
			var got []string
			for _, k := range []string{"aria-describedby", "aria-invalid"} {
				if v, ok := a[k]; ok {
					got = append(got, k+"="+v.(string))
				}
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
		a := fieldAttrs(errs, "title", true)
		if a["id"] != "f-title" || a["name"] != "title" || a["aria-describedby"] != "h-title e-title" {
			t.Errorf("fieldAttrs %v", a)
		}
		if got := describedBy("h-reply-body", true, "e-body"); got != "h-reply-body e-body" {
			t.Errorf("describedBy %q", got)
		}
		if ariaInvalid(false) != "false" || ariaInvalid(true) != "true" {
			t.Errorf("ariaInvalid must spell the state out")
		}
		if fieldClass(errs, "title") != "field invalid" || fieldClass(errs, "asset") != "field" {
			t.Errorf("fieldClass")
		}
		if codeErrs("") != nil || codeErrs("wrong")["code"] != "wrong" {
			t.Errorf("codeErrs")
		}
	})
	t.Run("LimitsText", func(t *testing.T) {
		lim := db.Limits{MaxFiles: 5, MaxFileBytes: 10 << 20}
		if got := limitsText(lim, 64<<20); got != "Up to 5 files, 10.0 MB each, 64.0 MB in all." {
			t.Errorf("limitsText %q", got)
		}
		if got := fileLimitsText(db.Limits{MaxFiles: 1, MaxFileBytes: 512 << 10}); got != "Up to 1 file, 512 KB each." {
			t.Errorf("fileLimitsText %q", got)
		}
	})
	t.Run("AssetIsOther", func(t *testing.T) {
		ps := testPrograms()
		for _, c := range []struct {
			prog  *db.Program
			asset string
			want  bool
		}{
			{ps[1], "", false}, {ps[1], "shop.acme.example", false}, {ps[1], "elsewhere.example", true}, {nil, "elsewhere.example", false},
		} {
			f := &ReportForm{Program: c.prog, Values: map[string]string{"asset": c.asset}}
			if got := assetIsOther(f); got != c.want {
				t.Errorf("asset %q: other=%v", c.asset, got)
			}
		}
	})
	t.Run("Words", func(t *testing.T) {
		for _, c := range []struct{ got, want string }{
			{plural(1, "this field", "these fields"), "this field"},
			{plural(2, "this field", "these fields"), "these fields"},
			{plural(0, "this field", "these fields"), "these fields"},
			{emailNote(false), ""},
			{reasonSuffix(""), ""},
			{reasonSuffix("Fixed."), " Fixed."},
			{policyURL(Page{}), "/policy"},
			{policyURL(Page{PolicyURL: "/policy/acme-web"}), "/policy/acme-web"},
			{severityLabel(""), "unrated"},
			{severityLabel(db.SeverityHigh), "high"},
			{shortHash("abcdef0123456789"), "abcdef012345…"},
			{shortHash("abc"), "abc"},
			{cweText("CWE-79"), "CWE-79 " + mustCWE(t, "CWE-79")},
			{cweText("CWE-0"), "CWE-0"},
			{cweText(""), "none"},
			{orText("", "unassigned"), "unassigned"},
			{yesNo(true) + yesNo(false), "yesno"},
			{invalidIf(true) + "|" + invalidIf(false), " invalid|"},
		} {
			if c.got != c.want {
				t.Errorf("%q, want %q", c.got, c.want)
			}
		}
	})
}

func mustCWE(t *testing.T, id string) string {
	c, ok := cwe.Lookup(id)
	if !ok {
		t.Fatalf("no %s", id)
	}
	return c.Name
}

func TestPGPClass(t *testing.T) {
	for _, c := range []struct {
		st   db.PGPState
		sig  db.PGPSignature
		want string
	}{
		{db.PGPDecrypted, db.SigNone, "ok"},
		{db.PGPDecrypted, db.SigVerified, "ok"},
		{db.PGPPlain, db.SigIntegrity, "warn"},
		{db.PGPPlain, db.SigUnknownKey, "warn"},
		{db.PGPPending, db.SigNone, "warn"},
		{db.PGPDecrypted, db.SigBad, "bad"},
		{db.PGPFailed, db.SigNone, "bad"},
		{db.PGPFailed, db.SigVerified, "bad"},
	} {
		if got := pgpClass(&db.Message{PGPState: c.st, PGPSignature: c.sig}); got != c.want {
			t.Errorf("%q/%q: %q, want %q", c.st, c.sig, got, c.want)
		}
	}
}

func TestStaffModels(t *testing.T) {
	ps := testPrograms()
	for _, c := range []struct{ name, got, want string }{
		{"ProgramNames", ProgramNames(ps, []int64{2, 1}), "Security, Acme web shop"},
		{"ProgramNames none", ProgramNames(ps, nil), "—"},
		{"ProgramNames unknown id", ProgramNames(ps, []int64{9}), "—"},
		{"RetentionField", RetentionField("spam_days", 12), "spam_days-12"},
		{"programAction new", programAction(&db.Program{}), "/admin/programs"},
		{"programAction edit", programAction(&db.Program{ID: 4}), "/admin/programs/4"},
		{"statusQuery all", statusQuery(""), ""},
		{"statusQuery", statusQuery("failed"), "?status=failed"},
		{"mailTo reporter", mailTo(&db.Mail{To: "ada@example.org"}), "ada@example.org"},
		{"mailTo staff", mailTo(&db.Mail{To: "tom@example.org", UserID: 2}), "tom@example.org (staff)"},
		{"mailStatus sending", mailStatus(&db.Mail{Status: db.OutboxPending, LeaseUntil: t0.Add(time.Minute)}, t0), "sending"},
		{"mailStatus pending", mailStatus(&db.Mail{Status: db.OutboxPending, LeaseUntil: t0.Add(-time.Minute)}, t0), db.OutboxPending},
		{"mailStatus failed", mailStatus(&db.Mail{Status: db.OutboxFailed}, t0), db.OutboxFailed},
		{"mailKindLabel bounce", mailKindLabel(db.MailBounce), "Bounce"},
		{"mailKindLabel unknown", mailKindLabel("odd"), "odd"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if !(StaffPage{User: testAdmin}).IsAdmin() || (StaffPage{User: testTriager}).IsAdmin() || (StaffPage{}).IsAdmin() {
		t.Errorf("IsAdmin")
	}
	s := Sessions{Sessions: []*db.SessionInfo{{Current: true}, {}, {}}}
	if s.others() != 2 {
		t.Errorf("others %d", s.others())
	}
	w := AdminWebhooks{EditID: 5, EditErrors: db.FieldErrors{"url": "bad"}}
	if editErrors(w, 5)["url"] != "bad" || editErrors(w, 6) != nil {
		t.Errorf("editErrors goes to the wrong webhook")
	}
}

func TestRetentionModel(t *testing.T) {
	r := &db.RetentionRule{ProgramID: 3, AttachmentsDays: 30, AnonymiseDays: 365, SpamDeleteDays: 7}
	m := AdminRetention{Values: map[string]string{RetentionField("anonymise_days", 3): "abc"},
		Due: []db.Disposal{{Action: db.DisposeDelete}, {Action: db.DisposeAnonymise}, {Action: db.DisposeDelete}}}
	for _, c := range []struct{ name, got, want string }{
		{"stored attachments rule", m.value("attachments_days", r), "30"},
		{"typed value wins", m.value("anonymise_days", r), "abc"},
		{"stored spam rule", m.value("spam_days", r), "7"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if m.dueCount(db.DisposeDelete) != 2 || m.dueCount(db.DisposeAnonymise) != 1 || m.dueCount(db.DisposeAttachments) != 0 {
		t.Errorf("dueCount")
	}
}

func TestZone(t *testing.T) {
	for name, want := range map[string]string{"": "UTC", "Europe/Paris": "Europe/Paris", "Mars/Olympus": "UTC", "../../etc/passwd": "UTC"} {
		if got := zone(name).String(); got != want {
			t.Errorf("zone(%q) = %q, want %q", name, got, want)
		}
	}
}
