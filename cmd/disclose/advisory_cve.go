package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
)

// runAdvisoryCVE prints the CVE JSON 5 record of one CVE of an advisory,
// in any state: what a CNA submits (its org UUIDs are placeholders,
// publish.CVEPlaceholderOrgID, for the CNA to replace).
func runAdvisoryCVE(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var ident, cve string
	fs := newFlagSet(env, "advisory cve", "Print the CVE JSON 5 record (CVE Record Format) of a CVE of an advisory, for a CNA to submit.")
	fs.StringVar(&ident, "id", "", "the advisory's identifier, like ACME-SA-2026-001 (required)")
	fs.StringVar(&cve, "cve", "", "one of the advisory's CVE IDs (required)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if ident == "" || cve == "" {
		return fmt.Errorf("--id and --cve are required")
	}
	a, err := d.FindAdvisory(ctx, ident)
	if err != nil {
		return fmt.Errorf("no advisory %q", ident)
	}
	o, err := d.OrgByID(ctx, a.OrgID)
	if err != nil {
		return err
	}
	// The organisation's public pages, as the server names them.
	base := strings.TrimRight(cfg.baseURL.String(), "/")
	if o.ID != db.DefaultOrgID && len(o.Hosts) > 0 {
		base = cfg.baseURL.Scheme + "://" + o.Hosts[0]
	}
	doc, err := publish.CVE(a, strings.ToUpper(strings.TrimSpace(cve)), publish.Site{Name: o.Name, BaseURL: base})
	if db.ErrorCode(err) == db.ENOTFOUND {
		return fmt.Errorf("--cve: %s names no %s (it names %s)", a.Ident, cve, dash(strings.Join(a.CVEs, ", ")))
	} else if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "%s\n", doc)
	return err
}
