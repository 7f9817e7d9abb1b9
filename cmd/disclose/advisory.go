package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/disclose/disclose/db"
)

func runAdvisory(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "advisory", `Usage:
  disclose advisory add --report REF --title T --summary TEXT --product NAME --affected RANGE [--fixed VERSION]
                        [--cve CVE-YYYY-N] [--cvss VECTOR] [--cwe CWE-N] [--publish-at RFC3339] --author EMAIL
  disclose advisory approve ID --by EMAIL
  disclose advisory list [--format json]
  disclose advisory cve --id ID --cve CVE-YYYY-N
Run "disclose advisory <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"add":     func(args []string) error { return runAdvisoryAdd(ctx, env, args) },
		"approve": func(args []string) error { return runAdvisoryApprove(ctx, env, args) },
		"list":    func(args []string) error { return runAdvisoryList(ctx, env, args) },
		"cve":     func(args []string) error { return runAdvisoryCVE(ctx, env, args) },
	})
}

// staffWriter is the account named by email, when it may change the
// organisation's advisories.
func staffWriter(ctx context.Context, d *db.DB, email string, o *db.Organisation, flag string) (*db.User, error) {
	u, err := d.UserByEmail(ctx, email)
	if err != nil || u.Disabled {
		return nil, fmt.Errorf("--%s: no active staff account %q", flag, email)
	}
	if r := u.OrgRole(o); r != db.RoleAdmin && r != db.RoleTriager {
		return nil, fmt.Errorf("--%s: %s may not change the advisories of %s", flag, email, o.Slug)
	}
	return u, nil
}

// runAdvisoryAdd drafts an advisory from reports and asks for review, as
// the author would in the dashboard; it prints the identifier.
func runAdvisoryAdd(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var reports, cves stringList
	var in db.AdvisoryInput
	var p db.AffectedProduct
	var cvssVector, author, publishAt string
	fs := newFlagSet(env, "advisory add", "Draft an advisory from reports of one organisation and send it for review; a second person approves it (advisory approve).")
	fs.Var(&reports, "report", "reference of a report it is about (repeat for several; required)")
	fs.StringVar(&in.Title, "title", "", "title (required)")
	fs.StringVar(&in.Summary, "summary", "", "summary (required)")
	fs.StringVar(&in.Details, "details", "", "details, markdown")
	fs.StringVar(&p.Product, "product", "", "affected product (required)")
	fs.StringVar(&p.Affected, "affected", "", "affected versions, like \"< 2.4.1\" (required)")
	fs.StringVar(&p.Fixed, "fixed", "", "the version that fixes it")
	fs.StringVar(&p.Ecosystem, "ecosystem", "", "OSV ecosystem of the product's package, like npm")
	fs.StringVar(&p.Package, "package", "", "the package's name in that ecosystem")
	fs.Var(&cves, "cve", "CVE ID (repeat for several)")
	fs.StringVar(&cvssVector, "cvss", "", "CVSS v3.1 or v4.0 vector")
	fs.StringVar(&in.CWE, "cwe", "", "weakness, like CWE-79")
	fs.StringVar(&publishAt, "publish-at", "", "the embargo's end (RFC 3339); empty: at approval")
	fs.StringVar(&author, "author", "", "email of the staff author (required)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if len(reports) == 0 {
		return fmt.Errorf("--report: name at least one report")
	}
	if publishAt != "" {
		if in.PublishAt, err = time.Parse(time.RFC3339, publishAt); err != nil {
			return fmt.Errorf("--publish-at: give a time like 2026-06-01T09:00:00Z")
		}
	}
	if strings.HasPrefix(strings.TrimSpace(cvssVector), "CVSS:4.0/") {
		in.CVSS4 = cvssVector
	} else {
		in.CVSS3 = cvssVector
	}
	in.CVEs, in.Products = cves, []db.AffectedProduct{p}
	var ids []int64
	var org *db.Organisation
	for _, ref := range reports {
		r, err := d.ReportByRef(ctx, ref)
		if err != nil {
			return fmt.Errorf("--report: no report %s", ref)
		}
		prog, err := d.ProgramByID(ctx, r.ProgramID)
		if err != nil {
			return err
		}
		if org == nil {
			if org, err = d.OrgByID(ctx, prog.OrgID); err != nil {
				return err
			}
		} else if prog.OrgID != org.ID {
			return fmt.Errorf("--report: %s is another organisation's", ref)
		}
		ids = append(ids, r.ID)
	}
	u, err := staffWriter(ctx, d, author, org, "author")
	if err != nil {
		return err
	}
	actor := db.Actor{UserID: u.ID, Name: u.Email, ClientAddr: "cli"}
	a, err := d.CreateAdvisory(ctx, org, ids, &in, actor)
	if err != nil {
		return fieldError(err, map[string]string{"title": "title", "summary": "summary", "details": "details", "products": "product",
			"cves": "cve", "cvss3": "cvss", "cvss4": "cvss", "cwe": "cwe", "reports": "report"})
	}
	if err := d.SubmitAdvisory(ctx, a.ID, a.Version, actor); err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, a.Ident)
	return nil
}

// runAdvisoryApprove is the second person's approval.
func runAdvisoryApprove(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var by string
	fs := newFlagSet(env, "advisory approve", "Approve an advisory in review: it is published at its --publish-at moment (serve publishes it), or now. The author cannot approve their own.")
	fs.StringVar(&by, "by", "", "email of the approving staff user, not the author (required)")
	var ident string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		ident, args = args[0], args[1:]
	}
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if ident == "" {
		ident = fs.Arg(0)
	}
	a, err := d.FindAdvisory(ctx, ident)
	if err != nil {
		return fmt.Errorf("no advisory %q", ident)
	}
	org, err := d.OrgByID(ctx, a.OrgID)
	if err != nil {
		return err
	}
	u, err := staffWriter(ctx, d, by, org, "by")
	if err != nil {
		return err
	}
	st, err := d.ApproveAdvisory(ctx, a.ID, a.Version, db.Actor{UserID: u.ID, Name: u.Email, ClientAddr: "cli"})
	if err != nil {
		return err
	}
	if st == db.AdvisoryScheduled {
		fmt.Fprintf(env.stdout, "%s is approved; it is published at %s.\n", a.Ident, a.PublishAt.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(env.stdout, "%s is published.\n", a.Ident)
	}
	return nil
}

// advisoryJSON is one advisory of advisory list --format json.
type advisoryJSON struct {
	ID          string   `json:"id"`
	Org         string   `json:"org"`
	State       string   `json:"state"`
	Title       string   `json:"title"`
	CVEs        []string `json:"cves"`
	Severity    string   `json:"severity,omitempty"`
	Score       float64  `json:"score,omitempty"`
	PublishAt   string   `json:"publish_at,omitempty"`
	PublishedAt string   `json:"published_at,omitempty"`
	Revision    int      `json:"revision"`
}

func runAdvisoryList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var format string
	fs := newFlagSet(env, "advisory list", "List the advisories of every organisation, newest first.")
	fs.StringVar(&format, "format", "table", "table or json")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	orgs, err := d.Orgs(ctx)
	if err != nil {
		return err
	}
	out := []advisoryJSON{}
	for _, o := range orgs {
		list, err := d.OrgAdvisories(ctx, o.ID)
		if err != nil {
			return err
		}
		for _, a := range list {
			j := advisoryJSON{ID: a.Ident, Org: o.Slug, State: string(a.State), Title: a.Title, CVEs: append([]string{}, a.CVEs...),
				Severity: string(a.Severity), Score: a.Score(), Revision: a.Revision}
			if !a.PublishAt.IsZero() {
				j.PublishAt = a.PublishAt.UTC().Format(time.RFC3339)
			}
			if !a.PublishedAt.IsZero() {
				j.PublishedAt = a.PublishedAt.UTC().Format(time.RFC3339)
			}
			out = append(out, j)
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "table":
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tORG\tSTATE\tPUBLISHED\tTITLE")
		for _, a := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.ID, a.Org, a.State, dash(a.PublishedAt), a.Title)
		}
		return tw.Flush()
	}
	return fmt.Errorf("--format: table or json")
}
