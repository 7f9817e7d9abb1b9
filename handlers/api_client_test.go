package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/disclose/disclose/handlers"
)

// apiClient is a script using the JSON API with one bearer token (or none).
// Every answer it receives from a route of the OpenAPI document is
// validated against the document (status, headers, body), so each API test
// is also a test of the contract.
type apiClient struct {
	t      testing.TB
	p      *portal
	token  string
	header http.Header // added to every request
}

func (p *portal) api(t testing.TB, token string) *apiClient {
	return &apiClient{t: t, p: p, token: token, header: http.Header{}}
}

// apiAnswer is one answer of the API.
type apiAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode reads the answer's JSON into v.
func (a apiAnswer) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", a.Status, err, a.Body)
	}
}

// problem is the answer as a problem document.
func (a apiAnswer) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := a.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json (status %d: %s)", ct, a.Status, a.Body)
	}
	var p map[string]any
	a.decode(t, &p)
	return p
}

func (c *apiClient) get(path string) apiAnswer { return c.do(http.MethodGet, path, nil) }

// send posts v as JSON (a string or []byte is sent as it is).
func (c *apiClient) send(method, path string, v any, header ...string) apiAnswer {
	var body []byte
	switch b := v.(type) {
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	h := append([]string{"Content-Type", "application/json"}, header...)
	return c.do(method, path, body, h...)
}

func (c *apiClient) do(method, path string, body []byte, header ...string) apiAnswer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.p.Server.URL+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := noRedirectClient().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	buf, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	a := apiAnswer{Status: res.StatusCode, Header: res.Header, Body: buf}
	checkContract(c.t, req, body, a)
	return a
}

// contract is the OpenAPI document, loaded and validated once. The
// servers entry is replaced by one host, so requests to any test portal
// are matched by their path.
var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

const contractHost = "http://api.test"

func loadContract() (routers.Router, error) {
	contract.once.Do(func() {
		ctx := context.Background()
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(handlers.OpenAPISpec)
		if err != nil {
			contract.err = err
			return
		}
		if err := doc.Validate(ctx); err != nil {
			contract.err = err
			return
		}
		doc.Servers = openapi3.Servers{{URL: contractHost + "/api/v1"}}
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	return contract.router, contract.err
}

// checkContract validates an answer of the API against the OpenAPI
// document: a route of the document must answer a documented status with
// the documented headers and body. Answers of paths the document does not
// have (the 404 of an unknown address) must still be problem documents.
func checkContract(t testing.TB, sent *http.Request, body []byte, a apiAnswer) {
	t.Helper()
	if !strings.HasPrefix(sent.URL.Path, "/api/") {
		return
	}
	router, err := loadContract()
	if err != nil {
		t.Fatalf("the OpenAPI document: %v", err)
	}
	req, err := http.NewRequest(sent.Method, contractHost+sent.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = sent.Header.Clone()
	route, params, err := router.FindRoute(req)
	if err != nil {
		if a.Status < 400 || a.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: not in the OpenAPI document, and answered %d %s", sent.Method, sent.URL.Path, a.Status, a.Header.Get("Content-Type"))
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: a.Status, Header: a.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(a.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %v\nbody: %.2000s", sent.Method, sent.URL.Path, a.Status, err, a.Body)
	}
	contractSeen.Store(route.Method+" "+route.Path+" "+itoa(int64(a.Status)), true)
}

// contractSeen records which operation answered which status in this run.
var contractSeen sync.Map

// recorder is a testing.TB that keeps failures instead of reporting them.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// TestAPIContractCheckerFails: the contract check is not a test that cannot
// fail: an answer with a renamed field, an undocumented status, or a
// non-problem error is refused.
func TestAPIContractCheckerFails(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/api/v1/programs", nil)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	for name, a := range map[string]apiAnswer{
		"renamed field":       {200, jsonCT, []byte(`{"programs":[{"slug":"a","name":"A","prefix":"A","org":"default","default":true}]}`)},
		"undocumented status": {418, jsonCT, []byte(`{}`)},
		"error as JSON":       {401, jsonCT, []byte(`{"error":"no"}`)},
	} {
		r := &recorder{TB: t}
		checkContract(r, req, nil, a)
		if len(r.failed) == 0 {
			t.Errorf("%s: the contract check let it pass", name)
		}
	}
	r := &recorder{TB: t}
	checkContract(r, req, nil, apiAnswer{200, jsonCT, []byte(`{"programs":[{"slug":"a","name":"A","prefix":"A","organisation":"default","default":true}]}`)})
	if len(r.failed) != 0 {
		t.Errorf("a right answer failed: %v", r.failed)
	}
}

// TestAPIRoutesAreTheContract: every API row of the route table is an
// operation of the OpenAPI document and every operation is a row, so
// neither can grow alone.
func TestAPIRoutesAreTheContract(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(handlers.OpenAPISpec)
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc[method+" /api/v1"+path] = true
		}
	}
	inTable := map[string]bool{}
	for _, r := range newPortal(t).Handler.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, ":") {
				segs[i] = "{" + s[1:] + "}"
			}
		}
		key := r.Method + " " + strings.Join(segs, "/")
		inTable[key] = true
		if !inDoc[key] {
			t.Errorf("%s is a route but not in the OpenAPI document", key)
		}
	}
	for key := range inDoc {
		if !inTable[key] {
			t.Errorf("%s is in the OpenAPI document but no route", key)
		}
	}
}
