package cdshooks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// mockFHIR is a FHIR server on 127.0.0.1 that answers DocumentReference
// and Condition searches and records what it was asked.
type mockFHIR struct {
	mu       sync.Mutex // the handler runs on the server's goroutines
	srv      *httptest.Server
	requests []*http.Request
	notes    json.RawMessage
	status   int
	delay    time.Duration
}

func newMockFHIR(t *testing.T, notes json.RawMessage) *mockFHIR {
	m := &mockFHIR{notes: notes, status: 200}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.requests = append(m.requests, r.Clone(context.Background()))
		delay, status, notes := m.delay, m.status, m.notes
		m.mu.Unlock()
		if delay > 0 {
			select {
			case <-r.Context().Done():
			case <-time.After(delay):
			}
			return
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(status)
		switch {
		case strings.HasSuffix(r.URL.Path, "/DocumentReference"):
			w.Write(notes)
		case strings.HasSuffix(r.URL.Path, "/Condition"):
			w.Write(searchset(Condition{ResourceType: "Condition", Code: &CodeableConcept{Text: "Heart failure"},
				Subject: Reference{Reference: "Patient/x"}}))
		}
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// set changes the mock's answer between calls.
func (m *mockFHIR) set(status int, delay time.Duration, notes json.RawMessage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.delay, m.notes = status, delay, notes
}

func (m *mockFHIR) seen() []*http.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.requests
	m.requests = nil
	return out
}

func fetchRequest(hook, fhirServer string, prefetch map[string]json.RawMessage) HookRequest {
	req := hookRequest(hook, prefetch)
	req.Context.PatientID = "a&b c/42" // must arrive URL-escaped, whole
	req.FHIRServer = fhirServer
	req.FHIRAuthorization = &FHIRAuthorization{AccessToken: "ehr-access-token-xyz", TokenType: "Bearer", ExpiresIn: 300,
		Scope: "patient/DocumentReference.read patient/Condition.read", Subject: "cds-service"}
	return req
}

func TestFetchesWhatWasNotPrefetched(t *testing.T) {
	e := newEHR(t, nil)
	fhir := newMockFHIR(t, threeNotes(e))
	req := fetchRequest(HookEncounterDischarge, fhir.srv.URL+"/fhir/r4/", nil)
	st, body := e.call("POST", "/dx-encounter-discharge", req)
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	seen := fhir.seen()
	if len(seen) != 2 {
		t.Fatalf("%d FHIR requests, want notes and conditions", len(seen))
	}
	for i, want := range []struct{ path, query string }{
		{"/fhir/r4/DocumentReference", "patient=a%26b+c%2F42&status=current&_count=20"},
		{"/fhir/r4/Condition", "patient=a%26b+c%2F42"},
	} {
		r := seen[i]
		if r.URL.Path != want.path || r.URL.RawQuery != want.query || r.Method != "GET" ||
			r.Header.Get("Authorization") != "Bearer ehr-access-token-xyz" || r.Header.Get("Accept") != "application/fhir+json" {
			t.Errorf("request %d: %s %s?%s auth %q", i, r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"))
		}
		if q := r.URL.Query().Get("patient"); q != "a&b c/42" {
			t.Errorf("patient %q", q)
		}
	}
	c := decode[Response](t, body).Cards[0]
	// Heart failure is coded on the FHIR server: Pneumonia leads.
	if !strings.Contains(c.Summary, "Pneumonia (score 0.70)") {
		t.Errorf("summary %q", c.Summary)
	}

	// Prefetched notes are not fetched again; only conditions are.
	req = fetchRequest(HookEncounterDischarge, fhir.srv.URL+"/fhir/r4", map[string]json.RawMessage{"notes": threeNotes(e)})
	st, body = e.call("POST", "/dx-encounter-discharge", req)
	if seen = fhir.seen(); st != 200 || len(seen) != 1 || seen[0].URL.Path != "/fhir/r4/Condition" {
		t.Errorf("status %d, %d requests: %s", st, len(seen), body)
	}
}

func TestFetchFailuresAre412(t *testing.T) {
	e := newEHR(t, func(c *Config) { c.FetchTimeout = 200 * time.Millisecond; c.MaxFetch = 4 << 10 })
	fhir := newMockFHIR(t, threeNotes(e))
	cases := []struct {
		name string
		set  func(*HookRequest)
		mock func()
	}{
		{"server error", nil, func() { fhir.set(500, 0, threeNotes(e)) }},
		{"timeout", nil, func() { fhir.set(200, 5*time.Second, threeNotes(e)) }},
		{"answer too large", nil, func() { fhir.set(200, 0, searchset(note("big", strings.Repeat("x", 8<<10)))) }},
		{"not JSON", nil, func() { fhir.set(200, 0, json.RawMessage("<html>")) }},
		{"not bearer", func(r *HookRequest) { r.FHIRAuthorization.TokenType = "MAC" }, nil},
		{"not http", func(r *HookRequest) { r.FHIRServer = "file:///etc" }, nil},
		{"no authorization", func(r *HookRequest) { r.FHIRAuthorization = nil }, nil},
	}
	for _, tc := range cases {
		fhir.set(200, 0, threeNotes(e))
		if tc.mock != nil {
			tc.mock()
		}
		req := fetchRequest(HookPatientView, fhir.srv.URL, nil)
		if tc.set != nil {
			tc.set(&req)
		}
		start := time.Now()
		st, body := e.call("POST", "/dx-patient-view", req)
		if st != 412 || !strings.Contains(string(body), "prefetch notes missing") {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", tc.name, d)
		}
	}
	logs := e.logs.String()
	for _, secret := range []string{"ehr-access-token-xyz", "a&b", "a%26b"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "status 500") || !strings.Contains(logs, "timeout") || !strings.Contains(logs, "larger than 4096 bytes") {
		t.Errorf("log lacks the reasons:\n%s", logs)
	}
}

func TestResolveEscapesContext(t *testing.T) {
	got := resolve(prefetchTemplates[prefetchNotes], HookContext{PatientID: "1 2&_count=9999"})
	if want := "DocumentReference?patient=1+2%26_count%3D9999&status=current&_count=20"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
