package publish_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/db/publish"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// osvSchema is the official OSV schema (testdata/osv, source and licence
// beside it), compiled with a JSON Schema library that asserts formats.
func osvSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/osv/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("osv.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("osv.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validOSV(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := osvSchema(t).Validate(v); err != nil {
		t.Errorf("OSV schema: %v\n%s", err, raw)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func TestOSV(t *testing.T) {
	a := fixture()
	if publish.HasOSV(a) {
		t.Error("products outside an ecosystem make an OSV record")
	}
	a.Products[0].Ecosystem, a.Products[0].Package = "npm", "acme-portal"
	a.Products[1].Ecosystem, a.Products[1].Package = "PyPI", "acme-agent"
	a.Products[1].Affected = "<= 1.8.2"
	raw, err := publish.OSV(a, site)
	if err != nil {
		t.Fatal(err)
	}
	m := validOSV(t, raw)
	if m["id"] != "x_ACME-SA-2026-001" || m["aliases"].([]any)[0] != "CVE-2026-1234" {
		t.Errorf("id %v aliases %v", m["id"], m["aliases"])
	}
	s := string(raw)
	for _, want := range []string{`"introduced": "2.0"`, `"fixed": "2.4.1"`, `"last_affected": "1.8.2"`, `"score": "` + v4 + `"`, `"name": "Alice"`} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s in\n%s", want, s)
		}
	}
	t.Run("Withdrawn", func(t *testing.T) {
		a.State, a.WithdrawnAt = db.AdvisoryWithdrawn, a.PublishedAt.AddDate(0, 1, 0)
		raw, err := publish.OSV(a, site)
		if err != nil {
			t.Fatal(err)
		}
		if m := validOSV(t, raw); m["withdrawn"] == nil {
			t.Error("no withdrawn time")
		}
	})
	t.Run("ErrSchemaCatches", func(t *testing.T) {
		// The schema is really applied: a record of an unknown ecosystem fails.
		bad := strings.Replace(string(raw), `"npm"`, `"NoSuchEcosystem"`, 1)
		v, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if osvSchema(t).Validate(v) == nil {
			t.Error("the schema accepted an unknown ecosystem")
		}
	})
}
