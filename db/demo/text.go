package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// demoKind is one kind of vulnerability the demo generator writes about.
type demoKind struct {
	cwe    string
	name   string
	titles []string
	detail []string
	impact []string
	vector string
}

var demoKinds = []demoKind{
	{"CWE-79", "stored cross-site scripting", []string{"Stored XSS in %s", "Persistent cross-site scripting via %s", "HTML injection in %s renders script"},
		[]string{"The %s parameter is reflected into the page without escaping.", "Markup saved through %s is rendered unescaped in the admin dashboard.", "An SVG upload carrying an onload handler executes when %s is viewed."},
		[]string{"Session riding and account takeover of any viewer.", "Theft of anti-forgery tokens and actions on behalf of staff."}, "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"},
	{"CWE-89", "SQL injection", []string{"SQL injection in %s", "Blind time-based SQLi through %s", "Boolean SQL injection in %s filter"},
		[]string{"A single quote in %s produces a database syntax error; sleep payloads delay the response by the requested seconds.", "The sort column of %s is concatenated into an ORDER BY clause.", "UNION payloads in %s return rows of the accounts table."},
		[]string{"Full read access to the customer database, including password hashes.", "Modification of orders and invoices."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
	{"CWE-918", "server-side request forgery", []string{"SSRF via %s URL fetcher", "Server-side request forgery in %s webhook", "Metadata endpoint reachable through %s"},
		[]string{"The %s feature fetches any URL, including 169.254.169.254, and returns the body.", "Redirects followed by %s reach internal services on 10.0.0.0/8.", "A DNS rebinding domain bypasses the allow list of %s."},
		[]string{"Cloud credentials of the instance role can be read.", "Internal admin services are reachable from the internet."}, "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N"},
	{"CWE-639", "insecure direct object reference", []string{"IDOR exposes other users' %s", "Broken access control on %s", "Horizontal privilege escalation in %s"},
		[]string{"Changing the numeric id in %s returns another customer's record.", "The %s endpoint checks the session but not ownership of the object.", "GraphQL node ids for %s are sequential and not authorised."},
		[]string{"Personal data of every customer can be enumerated.", "Invoices and addresses of other tenants are readable."}, "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"},
	{"CWE-352", "cross-site request forgery", []string{"CSRF on %s", "Missing anti-forgery token in %s", "Cross-site request changes %s"},
		[]string{"The %s form accepts a cross-origin POST without a token.", "SameSite=None cookies let a third-party page trigger %s.", "A JSON endpoint for %s accepts text/plain bodies from any origin."},
		[]string{"An attacker's page changes the victim's email address.", "Two-factor authentication can be switched off for a victim."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N"},
	{"CWE-287", "authentication bypass", []string{"Authentication bypass in %s", "Password reset token reuse in %s", "2FA bypass through %s"},
		[]string{"The reset token of %s is not invalidated after use.", "Removing the otp field from the %s request logs the user in.", "Tokens issued by %s are accepted after logout."},
		[]string{"Takeover of any account whose email is known.", "Access to administrative functions without credentials."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"},
	{"CWE-22", "path traversal", []string{"Path traversal in %s download", "Directory traversal reads files via %s", "Zip slip in %s import"},
		[]string{"The file name given to %s is joined to the storage directory without cleaning.", "Encoded ../ sequences in %s escape the upload folder.", "Archive entries imported by %s are written outside the target directory."},
		[]string{"Reading /etc/passwd and application secrets.", "Overwriting templates leads to code execution."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
	{"CWE-200", "information disclosure", []string{"Stack traces leak from %s", "Debug endpoint exposes %s", "Verbose errors in %s reveal internals"},
		[]string{"A malformed request to %s returns a stack trace with library versions.", "The %s debug page is reachable without authentication.", "Error messages of %s include internal host names."},
		[]string{"Helps an attacker plan further attacks.", "Internal infrastructure details are disclosed."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"},
	{"CWE-601", "open redirect", []string{"Open redirect in %s", "Unvalidated redirect after %s", "Login redirect parameter of %s accepts any host"},
		[]string{"The next parameter of %s accepts absolute URLs to other sites.", "A protocol-relative URL bypasses the check of %s.", "Backslashes in the redirect of %s are normalised to another host."},
		[]string{"Credible phishing links on our domain.", "OAuth codes can be leaked to an attacker's host."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"},
	{"CWE-1333", "regular expression denial of service", []string{"ReDoS in %s validation", "Catastrophic backtracking in %s", "CPU exhaustion via %s input"},
		[]string{"A crafted 40-character input to %s keeps a worker busy for minutes.", "Nested quantifiers in the %s pattern backtrack exponentially.", "Long strings sent to %s stall the event loop."},
		[]string{"A single client can make the service unavailable.", "Degraded service for every tenant."}, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
}

var demoComponents = []string{"profile settings", "checkout", "password reset", "search", "invoice export", "file upload",
	"admin console", "billing API", "mobile login", "OAuth callback", "support chat", "webhooks", "team invitations",
	"report builder", "image proxy", "API tokens", "notification center", "audit export", "single sign-on", "comment editor",
	"calendar sync", "CSV import", "public share links", "device pairing", "GraphQL gateway", "feature flags", "legacy SOAP API",
	"newsletter signup", "order history", "gift cards", "address book", "media transcoder", "PDF renderer", "status widget"}

var demoHosts = []string{"www", "api", "app", "admin", "static", "m", "partners", "billing", "auth", "cdn", "docs", "status"}

var demoNames = []string{"alice", "bob", "chen", "dmitri", "esra", "farid", "gita", "hugo", "ines", "jonas", "kemal", "lena",
	"mateo", "nadia", "olu", "priya", "quentin", "rosa", "sven", "tariq", "ulla", "vikram", "wen", "xavier", "yara", "zoe"}

var demoReplies = []string{
	"Thank you for the report. We have reproduced the issue and are working on a fix.",
	"Thanks! Could you tell us which account type you used and send the exact request?",
	"We have deployed a fix. Could you confirm it on your side?",
	"We could not reproduce this with the steps given. Could you record a short video?",
	"This behaviour is intended and documented; we are closing the report.",
	"We plan to publish an advisory once the fix is rolled out to every region.",
	"Thanks for your patience; the fix is scheduled for the next release.",
}

var demoNotes = []string{
	"Reproduced on staging with a fresh account. Looping in the owning team.",
	"Looks like the same root cause as the one fixed last quarter; check the regression.",
	"Owning team says the fix lands next sprint.",
	"Severity lowered: needs an authenticated session with the editor role.",
	"Bounty suggestion: medium tier.",
	"Checked the logs: no sign of exploitation before the report.",
}

var demoInbound = []string{
	"Here is the full request and a screenshot of the result.",
	"I used a standard account created today; the request is attached.",
	"Confirmed fixed on my side, thanks!",
	"Any update on this report?",
	"I found a second parameter with the same problem.",
}

// demoReportText writes a realistic report of one kind.
func demoReportText(rng *rand.Rand, k demoKind) (title, asset, description, steps, impact string) {
	comp := demoComponents[rng.IntN(len(demoComponents))]
	host := demoHosts[rng.IntN(len(demoHosts))]
	param := fmt.Sprintf("%s_%d", []string{"id", "q", "next", "url", "name", "file", "sort", "token", "ref"}[rng.IntN(9)], rng.IntN(50))
	title = fmt.Sprintf(k.titles[rng.IntN(len(k.titles))], comp)
	asset = host + ".example.org"
	path := fmt.Sprintf("/%s/%s/%d", strings.ReplaceAll(comp, " ", "-"), []string{"edit", "view", "api", "v2", "export"}[rng.IntN(5)], rng.IntN(100000))
	description = fmt.Sprintf("I found a %s on %s%s.\n\n%s\n\nThe parameter %s is the entry point; tested with build %x.",
		k.name, asset, path, fmt.Sprintf(k.detail[rng.IntN(len(k.detail))], comp), param, rng.Uint32())
	steps = fmt.Sprintf("1. Log in at https://%s/login\n2. Open https://%s%s\n3. Set %s to the payload below and submit\n4. Observe the result",
		asset, asset, path, param)
	impact = k.impact[rng.IntN(len(k.impact))]
	return
}
