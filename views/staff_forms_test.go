package views

import (
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
)

// The staff forms come back with 422 and the errors of the real
// validators; each error must be read out on its field.

func TestAdminUsersForms(t *testing.T) {
	users := []*db.User{testAdmin, testTriager, {ID: 4, Email: "new@example.org", Role: db.RoleViewer, Disabled: true}}
	t.Run("InviteErrorsTiedToFields", func(t *testing.T) {
		in := &db.NewUser{Email: "not an address", Name: strings.Repeat("n", 101), Role: "boss"}
		// As handlers.inviteUser on an EINVALID error with field messages.
		m := AdminUsers{StaffPage: staffPage(testAdmin, "Users", "admin"), Users: users, Programs: testPrograms(),
			Values: map[string]string{"email": in.Email, "name": in.Name, "role": string(in.Role)}, Chosen: []int64{2}, Errors: in.Validate()}
		p := render(t, AdminUsersView(m))
		for field, label := range map[string]string{"email": "Email", "name": "Name (optional)", "role": "Role"} {
			if m.Errors[field] == "" {
				t.Fatalf("the validator no longer refuses %s", field)
			}
			p.fieldError(label, m.Errors[field], true)
		}
		if got := value(p.control("Email")); got != in.Email {
			t.Errorf("typed email lost: %q", got)
		}
		if value(p.control("Acme web shop ACME")) != "checked" || value(p.control("Security SEC")) != "" {
			t.Errorf("chosen programs not kept")
		}
	})
	t.Run("UsersTable", func(t *testing.T) {
		m := AdminUsers{StaffPage: staffPage(testAdmin, "Users", "admin"), Users: users, Programs: testPrograms(),
			Values: map[string]string{"role": "triager"}, Errors: db.FieldErrors{}}
		p := render(t, AdminUsersView(m))
		rows := tableRows(p.testID("users"))
		if len(rows) != 3 || rows[0]["Programs"] != "all" || rows[1]["Programs"] != "Security" || rows[2]["Status"] != "disabled" {
			t.Errorf("users table %v", rows)
		}
		if value(p.control("Role")) != "triager" || p.has("error-summary") {
			t.Errorf("the invite form does not start as a triager without errors")
		}
		p.valid("Email")
		p.named("button", "Invite")
	})
	t.Run("EditErrors", func(t *testing.T) {
		m := AdminUser{StaffPage: staffPage(testAdmin, testTriager.Email, "admin"), Account: testTriager, Programs: testPrograms(),
			Errors: db.FieldErrors{"role": "Choose admin, triager or viewer."}}
		p := render(t, AdminUserView(m))
		p.fieldError("Role", m.Errors["role"], true)
		// An error of the whole form is announced, and links nowhere.
		m.Errors = db.FieldErrors{"form": "You cannot take the admin role from yourself."}
		p = render(t, AdminUserView(m))
		if got := text(p.testID("error-summary")); !strings.Contains(got, m.Errors["form"]) {
			t.Errorf("summary %q", got)
		}
		if p.testID("error-summary").AttrOr("role", "") != "alert" {
			t.Errorf("the form error is not an alert")
		}
		p.valid("Role")
	})
}

func TestAdminProgramForm(t *testing.T) {
	typed := &db.Program{Name: "", Slug: "Bad Slug", Prefix: "bad prefix", Email: "x@", Policy: strings.Repeat("p", 200_001),
		Scope: strings.Repeat("s", 20_001), FirstResponseDays: 0, TriageDays: 10, ResolveCriticalDays: 7, ResolveHighDays: 30,
		ResolveMediumDays: 90, ResolveLowDays: 180, DisclosureDays: 4000}
	errs := typed.Validate()
	m := AdminProgram{StaffPage: staffPage(testAdmin, "New program", "admin"), Program: typed, Users: []*db.User{testAdmin, testTriager},
		Errors: errs}
	p := render(t, AdminProgramView(m))
	labels := map[string]string{"name": "Name", "slug": "URL name", "prefix": "Reference prefix", "email": "Mail address (optional)",
		"scope": "Scope (one asset per line)", "policy": "Policy (Markdown)"}
	for _, d := range typed.DeadlineFields() {
		labels[d.Name] = d.Label
	}
	for field, msg := range errs {
		label, ok := labels[field]
		if !ok {
			t.Errorf("Program.Validate refuses %q, which the form does not have", field)
			continue
		}
		if strings.HasSuffix(field, "_days") {
			// Refused with the same words, so the summary names the field.
			p.fieldError(label, msg, false)
			if got := p.summaryLinks()[label+": "+msg]; len(got) != 1 || got[0] != "f-"+field {
				t.Errorf("%s: summary links %q", label, got)
			}
			continue
		}
		p.fieldError(label, msg, true)
	}
	if len(errs) != 8 {
		t.Errorf("%d errors, want 8: %v", len(errs), errs)
	}
	for label, want := range map[string]string{"URL name": "BAD SLUG", "Reference prefix": "BAD PREFIX", "Triage": "10", "Disclosure": "4000"} {
		if got := strings.ToUpper(value(p.control(label))); got != want {
			t.Errorf("%s: %q, want what was typed %q", label, got, want)
		}
	}
	p.valid("Triage")
	if got := p.headings()[0]; got != "h1 New program" {
		t.Errorf("h1 %q", got)
	}
	if n := p.countNamed("input", "Ann Admin admin"); n != 0 {
		t.Errorf("admins are offered as members")
	}
	p.control("Tom triager")
}

func TestAdminWebhooksForm(t *testing.T) {
	hook := &db.Webhook{ID: 5, ProgramID: 2, URL: "https://hooks.example/a", Secret: "s3cret", Format: db.WebhookGeneric, Enabled: true}
	base := func() AdminWebhooks {
		return AdminWebhooks{StaffPage: staffPage(testAdmin, "Webhooks of Acme web shop", "admin"), Program: testPrograms()[1],
			Webhooks: []*db.Webhook{hook}, Deliveries: map[int64][]*db.Delivery{}, Errors: db.FieldErrors{},
			Values: map[string]string{"format": "generic"}}
	}
	t.Run("NewWebhookErrors", func(t *testing.T) {
		in := &db.NewWebhook{URL: "ftp://hooks.example", Format: "xml"}
		m := base()
		m.Errors = in.Validate()
		m.Values = map[string]string{"url": in.URL, "format": string(in.Format)}
		p := render(t, AdminWebhooksView(m))
		form := p.testID("webhook-form")
		for field, label := range map[string]string{"url": "URL", "format": "Format"} {
			if m.Errors[field] == "" {
				t.Fatalf("the validator no longer refuses %s", field)
			}
			p.errorOn(p.controlIn(form, label), label, m.Errors[field], true)
		}
		if got := value(p.controlIn(form, "URL")); got != in.URL {
			t.Errorf("typed URL lost: %q", got)
		}
		// The webhook above it is untouched.
		if got := p.controlIn(p.testID("webhook"), "URL").AttrOr("aria-invalid", ""); got == "true" {
			t.Errorf("the saved webhook's URL is marked invalid")
		}
	})
	t.Run("EditErrorsOnTheirWebhook", func(t *testing.T) {
		m := base()
		m.EditID, m.EditErrors = 5, (&db.NewWebhook{URL: "", Format: "xml"}).Validate()
		p := render(t, AdminWebhooksView(m))
		edit := p.testID("webhook")
		for field, label := range map[string]string{"url": "URL", "format": "Format"} {
			p.errorOn(p.controlIn(edit, label), label, m.EditErrors[field], false)
		}
		if p.has("error-summary") {
			t.Errorf("the new-webhook form shows the edit's errors")
		}
		if got := p.controlIn(p.testID("webhook-form"), "URL").AttrOr("aria-invalid", ""); got == "true" {
			t.Errorf("the new-webhook URL is marked invalid")
		}
	})
}

func TestAdminRetentionForm(t *testing.T) {
	rules := []*db.RetentionRule{{ProgramID: 1, ProgramSlug: "security", AttachmentsDays: 30}, {ProgramID: 2, ProgramSlug: "acme-web"}}
	t.Run("DayErrorsOnTheirProgram", func(t *testing.T) {
		// As handlers.saveRetention: keys carry the program id.
		key := RetentionField("anonymise_days", 2)
		m := AdminRetention{StaffPage: staffPage(testAdmin, "Retention", "admin"), Rules: rules,
			Values: map[string]string{key: "-1", RetentionField("attachments_days", 2): "5", RetentionField("spam_days", 2): ""},
			Errors: db.FieldErrors{key: "Enter a whole number of days from 0 (keep forever) to 36500."}}
		p := render(t, AdminRetentionView(m))
		row := p.testID("rule-acme-web")
		p.errorOn(p.controlIn(row, "Anonymise after (days)"), "acme-web anonymise", m.Errors[key], true)
		if got := value(p.controlIn(row, "Anonymise after (days)")); got != "-1" {
			t.Errorf("typed days lost: %q", got)
		}
		if got := value(p.controlIn(p.testID("rule-security"), "Delete attachments after (days)")); got != "30" {
			t.Errorf("the other program's rule shows %q", got)
		}
		if got := p.controlIn(p.testID("rule-security"), "Anonymise after (days)").AttrOr("aria-invalid", ""); got == "true" {
			t.Errorf("the other program's field is marked invalid")
		}
	})
	t.Run("HoldErrors", func(t *testing.T) {
		m := AdminRetention{StaffPage: staffPage(testAdmin, "Retention", "admin"), Rules: rules,
			Values: map[string]string{"ref": "SEC-99", "reason": ""},
			Errors: db.FieldErrors{"ref": "No report has this reference; write it like SEC-12."}}
		p := render(t, AdminRetentionView(m))
		p.fieldError("Report reference", m.Errors["ref"], true)
		p.valid("Reason")
		if got := value(p.control("Report reference")); got != "SEC-99" {
			t.Errorf("typed ref lost: %q", got)
		}
	})
}

func TestAccountForms(t *testing.T) {
	t.Run("Password", func(t *testing.T) {
		errs := db.ValidatePassword("short", "short")
		errs["current"] = "That is not your current password."
		m := PasswordChange{StaffPage: staffPage(testTriager, "Password", ""), Errors: errs}
		p := render(t, PasswordView(m))
		p.fieldError("Current password", errs["current"], true)
		p.fieldError("New password", errs["password"], true)
		if !strings.HasPrefix(p.description(p.control("New password")), "At least") {
			t.Errorf("the error hides the hint")
		}
		p.valid("New password again")
		for _, c := range []string{"Current password", "New password", "New password again"} {
			if _, ok := p.control(c).Attr("value"); ok {
				t.Errorf("%s is filled again after a refusal", c)
			}
		}
		errs = db.ValidatePassword("long enough password", "another long password")
		p = render(t, PasswordView(PasswordChange{StaffPage: staffPage(testTriager, "Password", ""), Errors: errs}))
		p.fieldError("New password again", errs["password2"], true)
	})
	t.Run("PasswordDone", func(t *testing.T) {
		p := render(t, PasswordView(PasswordChange{StaffPage: staffPage(testTriager, "Password", ""), Done: true, Ended: 2}))
		if got := text(p.testID("notice")); got != "Your password is changed. 2 other sessions were ended." {
			t.Errorf("notice %q", got)
		}
	})
	t.Run("Reauth", func(t *testing.T) {
		m := Reauth{StaffPage: staffPage(testTriager, "Confirm your password", ""), Next: "/account/2fa", Email: testTriager.Email,
			Minutes: 10, Errors: db.FieldErrors{"password": "That is not your current password."}}
		p := render(t, ReauthView(m))
		p.fieldError("Your password", m.Errors["password"], true)
	})
	t.Run("SessionsNamedButtons", func(t *testing.T) {
		m := Sessions{StaffPage: staffPage(testTriager, "Sessions", ""), Sessions: []*db.SessionInfo{
			{ID: "cur", CreatedAt: t0, LastSeenAt: t0, EndsAt: t0, Network: "192.0.2.0/24", Current: true},
			{ID: "old", CreatedAt: t0, LastSeenAt: t0, EndsAt: t0, Network: "2001:db8::/48"},
		}}
		p := render(t, SessionsView(m))
		b := p.named("button", "End the session signed in 2026-03-01 10:00 UTC from 2001:db8::/48")
		if got := b.Closest("form").AttrOr("action", ""); got != "/account/sessions/old/end" {
			t.Errorf("end posts to %q", got)
		}
		if got := text(p.testID("current-session")); got != "This session" {
			t.Errorf("current %q", got)
		}
		rows := tableRows(p.testID("sessions"))
		if len(rows) != 2 || rows[1]["From network"] != "2001:db8::/48" {
			t.Errorf("sessions %v", rows)
		}
		p.named("button", "End all other sessions")
	})
}

func TestMetricsForm(t *testing.T) {
	m := TriageMetrics{StaffPage: staffPage(testTriager, "Metrics", "queue"), From: "2026-13", To: "2026-01",
		Errors: db.FieldErrors{"from": "Give a month as YYYY-MM.", "to": "The end of the period must not be before its start."}}
	p := render(t, TriageMetricsView(m))
	p.fieldError("From", m.Errors["from"], false)
	p.fieldError("To (included)", m.Errors["to"], false)
	if got := value(p.control("From")); got != "2026-13" {
		t.Errorf("typed date lost: %q", got)
	}
}

func TestSetupForm(t *testing.T) {
	errs := db.ValidatePassword("short", "")
	errs["email"] = "Enter an email address like alice@example.org."
	m := Setup{Page: Page{Title: "Create the first admin"}, Token: "tok", Info: &db.TokenInfo{Purpose: db.TokenFirstAdmin},
		Values: map[string]string{"email": "admin", "name": "Ann"}, Errors: errs}
	p := render(t, SetupView(m))
	p.fieldError("Email", errs["email"], true)
	p.fieldError("Password", errs["password"], true)
	p.valid("Name (optional)")
	if got := value(p.control("Name (optional)")); got != "Ann" {
		t.Errorf("typed name lost: %q", got)
	}
}

func TestLoginCode(t *testing.T) {
	m := LoginCode{Page: Page{Title: "Two-factor sign-in"}, Error: "That code is not right."}
	p := render(t, LoginCodeView(m))
	c := p.control("Code from your authenticator app")
	if c.AttrOr("aria-invalid", "") != "true" || !strings.HasSuffix(p.description(c), m.Error) {
		t.Errorf("code: invalid=%q described as %q", c.AttrOr("aria-invalid", ""), p.description(c))
	}
	if _, ok := c.Attr("inputmode"); ok {
		t.Errorf("the code field asks for a number pad; recovery codes have letters")
	}
}
