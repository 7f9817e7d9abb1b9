package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
	"github.com/disclose/disclose/mailin/pgp"
)

func runIncident(ctx context.Context, env *environment, args []string) error {
	return subcommands(env, "incident", `Usage:
  disclose incident open [--report REF ...] --title T --aware-at RFC3339 [--aware-from TEXT] [--preset NAME ...] [--severity S] [--org SLUG]
  disclose incident list [--format text|json]
  disclose incident evidence ID DIR [--key-passphrase-file F]
Presets: cert-in, dpdp, gdpr, nis2, cra-exploited, cra-incident, contractual (and an organisation's own).
Run "disclose incident <subcommand> --help" for the flags.
`, args, map[string]func([]string) error{
		"open":     func(args []string) error { return runIncidentOpen(ctx, env, args) },
		"list":     func(args []string) error { return runIncidentList(ctx, env, args) },
		"evidence": func(args []string) error { return runIncidentEvidence(ctx, env, args) },
	})
}

func runIncidentOpen(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var refs, presets stringList
	var title, severity, awareAt, awareFrom, orgSlug string
	fs := newFlagSet(env, "incident open", "Open an incident from reports (they go on legal hold at once) or on its own, with the time the\n"+
		"organisation became aware of it and the notification presets whose clocks run from it. Prints the incident's id.")
	fs.Var(&refs, "report", "reference of a report to link (repeat for several)")
	fs.StringVar(&title, "title", "", "title (required)")
	fs.StringVar(&severity, "severity", "high", "low, medium, high or critical")
	fs.StringVar(&awareAt, "aware-at", "", "when the organisation became aware, RFC 3339 (required: every clock runs from it)")
	fs.StringVar(&awareFrom, "aware-from", "", "what made it aware (default: the reports named)")
	fs.Var(&presets, "preset", "notification preset (repeat for several)")
	fs.StringVar(&orgSlug, "org", "", "organisation (default: the reports' organisation, else the default one)")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	at, err := time.Parse(time.RFC3339, awareAt)
	if err != nil {
		return fmt.Errorf("--aware-at: give the time of awareness in RFC 3339, like 2026-03-28T09:00:00+01:00")
	}
	in := &db.NewIncident{Title: title, Severity: severity, AwareAt: at, AwareSource: awareFrom, Presets: presets}
	if in.AwareSource == "" {
		in.AwareSource = "command line"
		if len(refs) > 0 {
			in.AwareSource = strings.Join(refs, ", ")
		}
	}
	for _, ref := range refs {
		r, err := d.ReportByRef(ctx, ref)
		if err != nil {
			return fmt.Errorf("--report %s: %s", ref, db.ErrorMessage(err))
		}
		in.Reports = append(in.Reports, r.ID)
		if in.OrgID == 0 {
			p, err := d.ProgramByID(ctx, r.ProgramID)
			if err != nil {
				return err
			}
			in.OrgID = p.OrgID
		}
	}
	if orgSlug != "" {
		o, err := d.OrgBySlug(ctx, orgSlug)
		if err != nil {
			return fmt.Errorf("--org %s: %s", orgSlug, db.ErrorMessage(err))
		}
		in.OrgID = o.ID
	} else if in.OrgID == 0 {
		in.OrgID = db.DefaultOrgID
	}
	i, err := d.CreateIncident(ctx, in, cliActor)
	if err != nil {
		return fieldError(err, map[string]string{"title": "title", "severity": "severity", "report": "report", "aware_at": "aware-at",
			"aware_source": "aware-from", "preset": "preset"})
	}
	fmt.Fprintln(env.stdout, i.ID)
	return nil
}

// incidentJSON is one incident of `incident list --format json`.
type incidentJSON struct {
	ID          int64            `json:"id"`
	Ref         string           `json:"ref"`
	Org         string           `json:"org"`
	Title       string           `json:"title"`
	Severity    string           `json:"severity"`
	Status      string           `json:"status"`
	AwareAt     *string          `json:"aware_at"`
	Reports     []string         `json:"reports"`
	Obligations []obligationJSON `json:"obligations"`
}

type obligationJSON struct {
	Preset    string  `json:"preset"`
	Stage     string  `json:"stage"`
	Recipient string  `json:"recipient"`
	Due       *string `json:"due"` // RFC 3339 UTC; null: no fixed deadline, or its anchor has not happened
	State     string  `json:"state"`
	SentAt    *string `json:"sent_at,omitempty"`
	Reference string  `json:"reference,omitempty"`
}

func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func runIncidentList(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	var format string
	fs := newFlagSet(env, "incident list", "List every incident with its reports and notification obligations (due times in RFC 3339 UTC).")
	fs.StringVar(&format, "format", "text", "text or json")
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	if format != "text" && format != "json" {
		return fmt.Errorf("--format: %q must be text or json", format)
	}
	rows, err := d.IncidentsIn(ctx, nil, true)
	if err != nil {
		return err
	}
	out := []incidentJSON{}
	for _, r := range rows {
		j := incidentJSON{ID: r.ID, Ref: r.Ref(), Org: r.OrgSlug, Title: r.Title, Severity: r.Severity, Status: string(r.Status),
			AwareAt: rfc3339(r.AwareAt), Reports: []string{}, Obligations: []obligationJSON{}}
		reps, err := d.IncidentReports(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, rep := range reps {
			j.Reports = append(j.Reports, rep.Ref)
		}
		obs, err := d.Obligations(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, o := range obs {
			j.Obligations = append(j.Obligations, obligationJSON{Preset: o.Preset.Preset, Stage: o.Stage, Recipient: o.Recipient,
				Due: rfc3339(o.DueAt), State: o.State, SentAt: rfc3339(o.SentAt), Reference: o.Reference})
		}
		out = append(out, j)
	}
	if format == "json" {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INCIDENT\tORG\tSTATUS\tAWARE\tREPORTS\tNEXT DUE")
	for k, j := range out {
		aware := "-"
		if j.AwareAt != nil {
			aware = *j.AwareAt
		}
		next := "-"
		if !rows[k].NextDue.IsZero() {
			next = rows[k].NextDue.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Ref, j.Org, j.Status, aware, strings.Join(j.Reports, ","), next)
	}
	return tw.Flush()
}

// dirSink writes an evidence bundle into a directory that was empty: files
// 0600, folders 0700, and no name that leaves it.
type dirSink struct{ dir string }

func (s dirSink) Create(name string) (io.WriteCloser, error) {
	clean := path.Clean("/" + name)[1:]
	if clean == "" || clean != name {
		return nil, fmt.Errorf("evidence: refused file name %q", name)
	}
	p := filepath.Join(s.dir, filepath.FromSlash(clean))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

func runIncidentEvidence(ctx context.Context, env *environment, args []string) error {
	var cfg toolConfig
	fs := newFlagSet(env, "incident evidence", "Write the evidence bundle of incident ID into DIR (new or empty): the incident and its reports as JSON,\n"+
		"their attachments and raw mail, MANIFEST.sha256 (check with `sha256sum -c MANIFEST.sha256`) and, when the team key\n"+
		"is unlocked with --key-passphrase-file, MANIFEST.sha256.asc (check with `gpg --verify MANIFEST.sha256.asc MANIFEST.sha256`).\n"+
		"The export is audited. Nothing else is written to disk.")
	fs.StringVar(&cfg.KeyPassphrase, "key-passphrase", "", "passphrase of the team key, to sign the manifest and read sealed reports (use DISCLOSE_KEY_PASSPHRASE_FILE)")
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && len(pos) < 2 {
		pos, args = append(pos, args[0]), args[1:]
	}
	d, err := openTool(ctx, env, fs, &cfg, args)
	if err != nil {
		return err
	}
	defer d.Close()
	pos = append(pos, fs.Args()...)
	if len(pos) != 2 {
		return errors.New("usage: disclose incident evidence ID DIR")
	}
	id, ok := db.ParseIncidentRef(pos[0])
	if !ok {
		return fmt.Errorf("%q is no incident id", pos[0])
	}
	dir := pos[1]
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new or empty folder for the bundle", dir)
	} else if err != nil && !os.IsNotExist(err) {
		return err
	}
	key, err := pgp.LoadTeamKey(filepath.Join(cfg.Data, pgp.KeyFile))
	if err != nil {
		return err
	}
	if key != nil && cfg.KeyPassphrase != "" {
		if err := key.Unlock([]byte(cfg.KeyPassphrase)); err != nil {
			return fmt.Errorf("--key-passphrase: %w", err)
		}
		cfg.KeyPassphrase = ""
		if d.SealedDatabase() {
			d.SetSealer(key, true)
		}
	}
	if err := d.AuditEvidence(ctx, id, "export requested: folder "+filepath.Base(dir), cliActor); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	manifest, err := d.WriteEvidence(ctx, id, dirSink{dir})
	if err != nil {
		return fmt.Errorf("evidence: %s", db.ErrorMessage(err))
	}
	var signer any
	if key != nil {
		signer = key
	}
	sig, err := handlers.SignManifest(signer, manifest)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST.sha256"), manifest, 0o600); err != nil {
		return err
	}
	if sig != "" {
		if err := os.WriteFile(filepath.Join(dir, "MANIFEST.sha256.asc"), []byte(sig), 0o600); err != nil {
			return err
		}
	}
	if err := d.AuditEvidence(ctx, id, db.EvidenceManifest(manifest, sig != ""), cliActor); err != nil {
		return err
	}
	files := strings.Count(string(manifest), "\n")
	if sig != "" {
		fmt.Fprintf(env.stdout, "Wrote %d files and the signed manifest to %s.\nCheck: cd %s && sha256sum -c MANIFEST.sha256 && gpg --verify MANIFEST.sha256.asc MANIFEST.sha256\n", files, dir, dir)
	} else {
		fmt.Fprintf(env.stdout, "Wrote %d files and the manifest to %s, unsigned (the team key is locked or absent: give --key-passphrase-file to sign).\nCheck: cd %s && sha256sum -c MANIFEST.sha256\n", files, dir, dir)
	}
	return nil
}
