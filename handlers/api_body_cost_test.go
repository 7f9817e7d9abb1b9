package handlers_test

import (
	"bytes"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/disclose/disclose/db"
	"github.com/disclose/disclose/handlers"
)

// heapAllocated is the bytes this process has allocated on the heap so far
// (client and portal both: an upper bound of what one request held).
func heapAllocated() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// What one JSON request of the API may allocate, client and portal
// together, and take. Measured (shared 2-core machine): 0.3-5.4 MiB and at
// most 0.1 s for each body below, the largest stored note 1.3 MiB: the API
// reads at most 1 MiB of a body (maxAPIBody), encoding/json refuses
// nesting past 10 000 levels and skips what a field cannot take.
const (
	apiBodyAllocs = 16 << 20
	apiBodyTime   = 5 * time.Second
)

// TestAPIBodyCost sends the worst JSON bodies a token holder can write to
// the write routes, each about the largest the API reads (1 MiB), and
// measures what each request allocated: the largest note accepted and
// stored, nesting 1 MiB deep, a huge array of tiny values, a string of
// escapes, a million duplicate keys, and a body past the limit. The
// portal takes serve's body limit (60 MiB), so it is the API's own bound
// that is measured. (kin-openapi is the test's contract checker only: it
// is not on the portal's path, and is left out of the measured requests.)
func TestAPIBodyCost(t *testing.T) {
	if testing.Short() {
		t.Skip("sends megabyte bodies")
	}
	f := newAPIFixture(t, configure(func(c *handlers.Config) { c.MaxBody = 60 << 20 }))
	secret, _ := f.token(t, f.triager, db.ScopeWrite, "")
	notes := f.Server.URL + "/api/v1/reports/" + f.report.Ref() + "/notes"
	create := f.Server.URL + "/api/v1/reports"
	const mib = 1 << 20
	cases := []struct {
		name, url, body string
		status          int
	}{
		{"largest note", notes, `{"version":1,"body":"` + strings.Repeat("é", db.DefaultLimits.MaxTextRunes) + `"}`, http.StatusOK},
		{"nested arrays", notes, strings.Repeat("[", mib-8), http.StatusBadRequest},
		{"nested objects", notes, `{"body":` + strings.Repeat(`{"a":`, (mib-16)/5), http.StatusBadRequest},
		{"nested in a field", create, `{"title":` + strings.Repeat("[", mib-16) + `}`, http.StatusBadRequest},
		{"tiny values", create, `{"title":[` + strings.Repeat("0,", (mib-16)/2) + `0]}`, http.StatusBadRequest},
		{"tiny objects", create, `{"title":[` + strings.Repeat("{},", (mib-16)/3) + `{}]}`, http.StatusBadRequest},
		{"escapes", create, `{"program":"default","title":"` + strings.Repeat(`\u00e9`, (mib-64)/6) + `"}`, http.StatusUnprocessableEntity},
		{"duplicate keys", notes, `{"version":1` + strings.Repeat(`,"body":"a"`, (mib-16)/11) + `}`, http.StatusOK},
		{"past the limit", notes, `{"version":1,"body":"` + strings.Repeat("a", 4*mib) + `"}`, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		if tc.status == http.StatusOK { // a note changes the version
			r, err := f.DB.ReportByID(t.Context(), f.report.ID)
			if err != nil {
				t.Fatal(err)
			}
			tc.body = strings.Replace(tc.body, `"version":1`, `"version":`+itoa(r.Version), 1)
		}
		req, err := http.NewRequest(http.MethodPost, tc.url, bytes.NewReader([]byte(tc.body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		runtime.GC()
		before := heapAllocated()
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		res.Body.Close()
		took, allocs := time.Since(start), heapAllocated()-before
		t.Logf("%-18s %7d bytes: %d, %6d KiB allocated, %v", tc.name, len(tc.body), res.StatusCode, allocs>>10, took.Round(time.Millisecond))
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.StatusCode, tc.status)
		}
		if allocs > apiBodyAllocs {
			t.Errorf("%s: the request allocated %d MiB, want at most %d MiB", tc.name, allocs>>20, apiBodyAllocs>>20)
		}
		if took > apiBodyTime && !raceEnabled {
			t.Errorf("%s: the request took %v, want at most %v", tc.name, took, apiBodyTime)
		}
	}
}
