package cdshooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFeedbackGoesToTheAuditTrail(t *testing.T) {
	e := newEHR(t, nil)
	_, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView, map[string]json.RawMessage{"notes": threeNotes(e)}))
	card := decode[Response](t, body).Cards[0]
	fb := FeedbackRequest{Feedback: []Feedback{
		{Card: card.UUID, Outcome: "accepted", AcceptedSuggestions: []AcceptedSuggestion{{ID: card.Suggestions[1].UUID}},
			OutcomeTimestamp: "2027-01-15T08:03:00Z"},
		{Card: card.UUID, Outcome: "overridden", OutcomeTimestamp: "2027-01-15T09:03:00+01:00",
			OverrideReason: &OverrideReason{Reason: &card.OverrideReasons[0], UserComment: "see echo"}},
	}}
	st, out := e.call("POST", "/dx-patient-view/feedback", fb)
	if st != 200 || strings.TrimSpace(string(out)) != "{}" {
		t.Fatalf("status %d: %s", st, out)
	}
	at := time.Date(2027, 1, 15, 8, 3, 0, 0, time.UTC)
	want := []FeedbackRecord{
		{ServiceID: "dx-patient-view", Model: "dx", ModelSHA256: testSHA, Card: card.UUID, Outcome: "accepted",
			AcceptedSuggestions: []string{card.Suggestions[1].UUID}, OutcomeTime: at, Issuer: testIssuer, Subject: "ehr-client"},
		{ServiceID: "dx-patient-view", Model: "dx", ModelSHA256: testSHA, Card: card.UUID, Outcome: "overridden",
			ReasonCode: "not-supported", ReasonSystem: overrideSystem, ReasonDisplay: "Not supported by the notes",
			UserComment: "see echo", OutcomeTime: at, Issuer: testIssuer, Subject: "ehr-client"},
	}
	got := e.audited()
	for i := range got {
		if !got[i].OutcomeTime.Equal(want[i].OutcomeTime) {
			t.Errorf("record %d time %v", i, got[i].OutcomeTime)
		}
		got[i].OutcomeTime = at
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audit\n got %+v\nwant %+v", got, want)
	}
}

func TestMalformedFeedbackIs400(t *testing.T) {
	e := newEHR(t, nil)
	const card = `"card":"9368d37b-7d2b-4ac5-8b4b-23e8a3cd9d8b"`
	const ts = `"outcomeTimestamp":"2027-01-15T08:00:00Z"`
	const sugg = `"acceptedSuggestions":[{"id":"e56e1945-20b3-4393-8503-a1a20fd73152"}]`
	cases := map[string]struct{ body, msg string }{
		"not JSON":         {`{"feedback":`, "body is not a JSON object"},
		"no items":         {`{"feedback":[]}`, "feedback: want 1 to 100 items"},
		"wrong type":       {`{"feedback":{}}`, "feedback: wrong type"},
		"bad card":         {`{"feedback":[{"card":"c1","outcome":"overridden",` + ts + `}]}`, "feedback[0].card: not a card uuid"},
		"bad outcome":      {`{"feedback":[{` + card + `,"outcome":"ignored",` + ts + `}]}`, "feedback[0].outcome"},
		"no timestamp":     {`{"feedback":[{` + card + `,"outcome":"overridden"}]}`, "feedback[0].outcomeTimestamp"},
		"accepted, none":   {`{"feedback":[{` + card + `,"outcome":"accepted",` + ts + `}]}`, "acceptedSuggestions: required"},
		"bad suggestion":   {`{"feedback":[{` + card + `,"outcome":"accepted","acceptedSuggestions":[{"id":"x"}],` + ts + `}]}`, "acceptedSuggestions[0].id"},
		"accepted+reason":  {`{"feedback":[{` + card + `,"outcome":"accepted",` + sugg + `,"overrideReason":{"userComment":"x"},` + ts + `}]}`, "overrideReason"},
		"second item only": {`{"feedback":[{` + card + `,"outcome":"overridden",` + ts + `},{"card":"x","outcome":"overridden",` + ts + `}]}`, "feedback[1].card"},
	}
	for name, tc := range cases {
		st, b, _ := e.do("POST", "/dx-patient-view/feedback", sign(t, "ES384", "ec1", e.claims("/dx-patient-view"), nil), []byte(tc.body))
		if st != http.StatusBadRequest || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %s, want 400 %q", name, st, b, tc.msg)
		}
	}
	if got := e.audited(); len(got) != 0 {
		t.Errorf("malformed feedback recorded: %+v", got)
	}

	// An audit trail that cannot record is not an OK.
	e.mu.Lock()
	e.auditErr = errors.New("disk full")
	e.mu.Unlock()
	st, b := e.call("POST", "/dx-patient-view/feedback", json.RawMessage(`{"feedback":[{`+card+`,"outcome":"overridden",`+ts+`}]}`))
	if st != 500 || strings.Contains(string(b), "disk") {
		t.Errorf("audit failure: %d %s", st, b)
	}
}

func TestCORSForAllowedOriginsOnly(t *testing.T) {
	e := newEHR(t, nil)
	preflight := func(origin string) http.Header {
		req, _ := http.NewRequest("OPTIONS", e.srv.URL+"/cds-services/dx-patient-view", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Errorf("preflight from %s: %d", origin, resp.StatusCode)
		}
		return resp.Header
	}
	h := preflight("https://ehr-ui.example.org")
	if h.Get("Access-Control-Allow-Origin") != "https://ehr-ui.example.org" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || h.Get("Vary") != "Origin" {
		t.Errorf("allowed origin preflight headers %v", h)
	}
	for _, o := range []string{"https://evil.example.org", "https://ehr-ui.example.org.evil.org", "null"} {
		for k := range preflight(o) {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("origin %s got %s", o, k)
			}
		}
	}
	// The real request carries the header too, as does its 401.
	req, _ := http.NewRequest("GET", e.srv.URL+"/cds-services", nil)
	req.Header.Set("Origin", "https://ehr-ui.example.org")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("Access-Control-Allow-Origin") != "https://ehr-ui.example.org" {
		t.Errorf("GET from an allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
}
