package mailin

import (
	"context"
	"strings"
	"testing"

	"github.com/disclose/disclose/db/spool"
)

// BenchmarkParseLoadMail parses one message of the load run (about 10 KB of
// text) as intake does: the parse stage of TestLoadIngest, per message.
func BenchmarkParseLoadMail(b *testing.B) {
	raw := []byte(strings.ReplaceAll(tenKB(1), "\n", "\r\n"))
	sp := &spool.Spool{}
	sp.Grow(int64(len(raw)))
	sp.Write(raw)
	b.ReportAllocs()
	for b.Loop() {
		m, spools, err := parseSpooled(context.Background(), sp.Reader(), DefaultLimits, "", nil, true)
		if err != nil || !strings.HasPrefix(m.Body, "Finding 1") {
			b.Fatalf("parse: %v", err)
		}
		closeSpools(spools)
	}
}
