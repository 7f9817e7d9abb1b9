package handlers

import (
	"archive/zip"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/labstack/echo/v4"
)

// evidenceRate bounds evidence exports per client: each reads every file
// of the incident's reports, and a few a minute is all a person needs.
var evidenceRate = RateLimit{PerMinute: 10, Burst: 10}

// evidenceSigner is the team key (mailin/pgp.TeamKey) as evidence needs
// it: a detached signature (detachedSigner, as for CSAF documents), and
// whether it is unlocked now.
type evidenceSigner interface {
	detachedSigner
	Unlocked() bool
}

// SignManifest signs an evidence manifest with the team key when there is
// one and it is unlocked; "" (unsigned) otherwise.
func SignManifest(key any, manifest []byte) (string, error) {
	k, ok := key.(evidenceSigner)
	if !ok || k == nil || !k.Unlocked() {
		return "", nil
	}
	sig, _, err := k.SignDetached(manifest)
	return sig, err
}

// zipSink writes an evidence bundle as a zip stream, nothing on disk.
type zipSink struct {
	z   *zip.Writer
	now time.Time
}

func (s zipSink) Create(name string) (io.WriteCloser, error) {
	w, err := s.z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: s.now})
	if err != nil {
		return nil, err
	}
	return nopCloser{w}, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// incidentEvidence sends the evidence bundle of the incident as a zip
// download, streamed from the database (no copy lands on the server's
// disk), and audits the export. The bundle is checked before the first
// byte is sent where it can be: a locked key refuses the export with 409.
func (s *Server) incidentEvidence(c echo.Context) error {
	i, ctx := incidentOf(c), c.Request().Context()
	if s.store.Sealing() && !s.store.Unlocked() || i.Locked {
		return db.Errorf(db.ECONFLICT, "The team key is locked: an admin must unlock it before evidence can be exported.")
	}
	if err := s.store.AuditEvidence(ctx, i.ID, "export requested: zip download", actor(c)); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+i.Ref()+`-evidence.zip"`)
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	z := zip.NewWriter(c.Response())
	sink := zipSink{z: z, now: s.store.Now().UTC()}
	manifest, err := s.store.WriteEvidence(ctx, i.ID, sink)
	if err != nil {
		s.logFailure(c, "evidence export failed", "incident_id", i.ID, "err", err)
		return nil // the status is sent: a broken zip tells the browser
	}
	sig, err := SignManifest(s.cfg.TeamKey, manifest)
	if err != nil {
		s.logFailure(c, "evidence signature failed", "incident_id", i.ID, "err", err)
		return nil
	}
	for name, data := range map[string][]byte{"MANIFEST.sha256": manifest, "MANIFEST.sha256.asc": []byte(sig)} {
		if len(data) == 0 {
			continue
		}
		w, err := sink.Create(name)
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			s.logFailure(c, "evidence export failed", "incident_id", i.ID, "err", err)
			return nil
		}
	}
	if err := z.Close(); err != nil {
		s.logFailure(c, "evidence export failed", "incident_id", i.ID, "err", err)
		return nil
	}
	if err := s.store.AuditEvidence(context.WithoutCancel(ctx), i.ID, db.EvidenceManifest(manifest, sig != ""), actor(c)); err != nil {
		s.logFailure(c, "evidence export not audited", "incident_id", i.ID, "err", err)
	}
	s.log.Info("evidence exported", "incident_id", i.ID, "user_id", staffUser(c).ID, "signed", sig != "")
	return nil
}
