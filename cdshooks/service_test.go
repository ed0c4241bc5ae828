package cdshooks

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var uuid4RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkNoEmpty fails on any null, "", [] or {} in a decoded JSON value,
// except at the paths in allowed.
func checkNoEmpty(t *testing.T, v any, path string, allowed map[string]bool) {
	t.Helper()
	if allowed[path] {
		return
	}
	switch x := v.(type) {
	case nil:
		t.Errorf("%s: null", path)
	case string:
		if x == "" {
			t.Errorf(`%s: ""`, path)
		}
	case []any:
		if len(x) == 0 {
			t.Errorf("%s: []", path)
		}
		for i, e := range x {
			checkNoEmpty(t, e, path+"["+strconv.Itoa(i)+"]", allowed)
		}
	case map[string]any:
		if len(x) == 0 {
			t.Errorf("%s: {}", path)
		}
		for k, e := range x {
			checkNoEmpty(t, e, path+"."+k, allowed)
		}
	}
}

func TestDiscoveryListsOneServicePerModelAndHook(t *testing.T) {
	e := newEHR(t, func(c *Config) {
		c.Models = append(c.Models, Model{Name: "icd.v2", SHA256: testSHA, Labels: []string{"A", "B"}})
	})
	st, body := e.call("GET", "", nil)
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	var raw any
	json.Unmarshal(body, &raw)
	checkNoEmpty(t, raw, "", nil)
	d := decode[Discovery](t, body)
	var ids []string
	for _, s := range d.Services {
		ids = append(ids, s.Hook+" "+s.ID)
		if s.Title == "" || !strings.Contains(s.Description, "qualified clinician") {
			t.Errorf("%s: title %q description %q", s.ID, s.Title, s.Description)
		}
		want := map[string]string{"notes": "DocumentReference?patient={{context.patientId}}&status=current&_count=20"}
		if s.Hook == HookEncounterDischarge {
			want["conditions"] = "Condition?patient={{context.patientId}}"
		}
		if !reflect.DeepEqual(s.Prefetch, want) {
			t.Errorf("%s prefetch %v, want %v", s.ID, s.Prefetch, want)
		}
	}
	wantIDs := []string{"patient-view dx-patient-view", "encounter-discharge dx-encounter-discharge",
		"patient-view icd.v2-patient-view", "encounter-discharge icd.v2-encounter-discharge"}
	if !reflect.DeepEqual(ids, wantIDs) {
		t.Errorf("services %v, want %v", ids, wantIDs)
	}
}

// threeNotes are scored so the max per label is HF 0.85, Pneumonia 0.7,
// Sepsis 0.25, Asthma 0.25 (the third note gets the fake's uniform 0.25).
func threeNotes(e *ehr) json.RawMessage {
	e.scorer.set("cough, fever, consolidation RLL", 0.7, 0.1, 0.15, 0.05)
	e.scorer.set("ankle edema, orthopnea, EF 25%", 0.1, 0.85, 0.03, 0.02)
	return searchset(note("n1", "cough, fever, consolidation RLL"), note("n2", "ankle edema, orthopnea, EF 25%"),
		note("n3", "mild wheeze"))
}

func TestPatientViewCard(t *testing.T) {
	e := newEHR(t, nil)
	st, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView, map[string]json.RawMessage{"notes": threeNotes(e)}))
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	var raw any
	json.Unmarshal(body, &raw)
	checkNoEmpty(t, raw, "", nil)
	resp := decode[Response](t, body)
	if len(resp.Cards) != 1 {
		t.Fatalf("%d cards", len(resp.Cards))
	}
	c := resp.Cards[0]
	if want := "The notes suggest Heart failure (score 0.85); review before coding."; c.Summary != want {
		t.Errorf("summary %q, want %q", c.Summary, want)
	}
	if c.Indicator != "critical" || c.SelectionBehavior != "at-most-one" {
		t.Errorf("indicator %q selectionBehavior %q", c.Indicator, c.SelectionBehavior)
	}
	if c.Source.Label != "medbert model dx (sha256 0123456789ab)" {
		t.Errorf("source %q", c.Source.Label)
	}
	for _, want := range []string{"| Heart failure | 0.85 |", "| Pneumonia | 0.70 |", "| Sepsis | 0.25 |",
		"from 3 clinical notes", "decision support for review by a qualified clinician"} {
		if !strings.Contains(c.Detail, want) {
			t.Errorf("detail lacks %q:\n%s", want, c.Detail)
		}
	}
	if strings.Contains(c.Detail, "Asthma") {
		t.Errorf("detail lists more than TopK=3 diagnoses:\n%s", c.Detail)
	}
	uuids := map[string]bool{c.UUID: true}
	if !uuid4RE.MatchString(c.UUID) {
		t.Errorf("card uuid %q", c.UUID)
	}
	wantLabels := []string{"Heart failure", "Pneumonia", "Sepsis"}
	wantScores := []float64{0.85, 0.7, 0.25}
	if len(c.Suggestions) != 3 {
		t.Fatalf("%d suggestions", len(c.Suggestions))
	}
	for i, s := range c.Suggestions {
		if !uuid4RE.MatchString(s.UUID) || uuids[s.UUID] {
			t.Errorf("suggestion %d uuid %q not a fresh v4 uuid", i, s.UUID)
		}
		uuids[s.UUID] = true
		checkSuggestion(t, s, wantLabels[i], wantScores[i], "")
	}
}

// checkSuggestion checks the two create actions of a suggestion.
func checkSuggestion(t *testing.T, s Suggestion, label string, score float64, encounter string) {
	t.Helper()
	if len(s.Actions) != 2 || s.Actions[0].Type != "create" || s.Actions[1].Type != "create" {
		t.Fatalf("actions %+v", s.Actions)
	}
	b, _ := json.Marshal(s.Actions[0].Resource)
	cond := decode[Condition](t, b)
	enc := (*Reference)(nil)
	if encounter != "" {
		enc = &Reference{Reference: "Encounter/" + encounter}
	}
	want := Condition{ResourceType: "Condition",
		ClinicalStatus:     &CodeableConcept{Coding: []Coding{{System: systemConditionClinical, Code: "active"}}},
		VerificationStatus: &CodeableConcept{Coding: []Coding{{System: systemConditionVerStat, Code: "provisional"}}},
		Code:               &CodeableConcept{Text: label}, Subject: Reference{Reference: "Patient/p-42"}, Encounter: enc,
		RecordedDate: "2027-01-15T08:00:00Z"}
	if !reflect.DeepEqual(cond, want) {
		t.Errorf("Condition %s", b)
	}
	b, _ = json.Marshal(s.Actions[1].Resource)
	risk := decode[RiskAssessment](t, b)
	if risk.ResourceType != "RiskAssessment" || risk.Status != "preliminary" || risk.Subject.Reference != "Patient/p-42" ||
		!reflect.DeepEqual(risk.Encounter, enc) || len(risk.Prediction) != 1 ||
		risk.Prediction[0].Outcome.Text != label || risk.Prediction[0].ProbabilityDecimal != score ||
		!strings.Contains(risk.Method.Text, testSHA) {
		t.Errorf("RiskAssessment %s", b)
	}
}

func TestIndicatorFollowsThresholds(t *testing.T) {
	cases := []struct {
		warn, crit, top float64
		want            string
	}{
		{0, 0, 0.49, "info"}, {0, 0, 0.5, "warning"}, {0, 0, 0.79, "warning"}, {0, 0, 0.8, "critical"},
		{0.3, 0.6, 0.35, "warning"}, {0.3, 0.6, 0.6, "critical"}, {0.3, 0.6, 0.29, "info"},
	}
	for _, tc := range cases {
		e := newEHR(t, func(c *Config) { c.WarningAt, c.CriticalAt = tc.warn, tc.crit })
		rest := (1 - tc.top) / 3
		e.scorer.set("n", rest, tc.top, rest, rest)
		st, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView,
			map[string]json.RawMessage{"notes": searchset(note("1", "n"))}))
		if st != 200 {
			t.Fatalf("status %d: %s", st, body)
		}
		if got := decode[Response](t, body).Cards[0].Indicator; got != tc.want {
			t.Errorf("thresholds %g/%g top %g: %s, want %s", tc.warn, tc.crit, tc.top, got, tc.want)
		}
	}
	if _, err := New(Config{Models: []Model{{Name: "m", Labels: []string{"a"}}}, Score: (&fakeScorer{}).score,
		PublicURL: testPublic, WarningAt: 0.9, CriticalAt: 0.5}); err == nil {
		t.Error("New accepted warning > critical")
	}
}

func TestSummaryStaysOneShortSentence(t *testing.T) {
	long := strings.Repeat("Chronic obstructive pulmonary disease with acute exacerbation ", 5)
	for _, label := range []string{"Flu", long, strings.Repeat("é", 200)} {
		s := summary(ranked{label, 0.5})
		if n := utf8.RuneCountInString(s); n >= 140 {
			t.Errorf("summary of %d runes: %q", n, s)
		}
		if strings.Count(s, ". ") != 0 || !strings.HasSuffix(s, ".") {
			t.Errorf("not one sentence: %q", s)
		}
	}
	if s := summary(ranked{long, 0.5}); !strings.Contains(s, "…") || !strings.HasPrefix(s, "The notes suggest Chronic obstructive") {
		t.Errorf("long label not cut: %q", s)
	}
}

func TestDischargeSkipsCodedDiagnoses(t *testing.T) {
	e := newEHR(t, nil)
	conds := searchset(
		Condition{ResourceType: "Condition", Code: &CodeableConcept{Text: " heart  FAILURE"}, Subject: Reference{Reference: "Patient/p-42"}},
		Condition{ResourceType: "Condition", Code: &CodeableConcept{Coding: []Coding{{Code: "J18.9", Display: "PNEUMONIA"}}}, Subject: Reference{Reference: "Patient/p-42"}},
		// A refuted diagnosis is not coded: Sepsis stays suggested.
		Condition{ResourceType: "Condition", Code: &CodeableConcept{Text: "Sepsis"}, Subject: Reference{Reference: "Patient/p-42"},
			VerificationStatus: &CodeableConcept{Coding: []Coding{{System: systemConditionVerStat, Code: "refuted"}}}},
	)
	req := hookRequest(HookEncounterDischarge, map[string]json.RawMessage{"notes": threeNotes(e), "conditions": conds})
	st, body := e.call("POST", "/dx-encounter-discharge", req)
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	c := decode[Response](t, body).Cards[0]
	if len(c.Suggestions) != 2 {
		t.Fatalf("%d suggestions, want Sepsis and Asthma", len(c.Suggestions))
	}
	checkSuggestion(t, c.Suggestions[0], "Sepsis", 0.25, "enc-9")
	checkSuggestion(t, c.Suggestions[1], "Asthma", 0.25, "enc-9")
	if c.Indicator != "info" || strings.Contains(c.Detail, "Heart failure") || !strings.Contains(c.Detail, "already coded") {
		t.Errorf("indicator %s detail:\n%s", c.Indicator, c.Detail)
	}

	// The wrong hook for the service is refused; missing conditions with
	// no FHIR server is a 412 like missing notes.
	if st, _ := e.call("POST", "/dx-encounter-discharge", hookRequest(HookPatientView, req.Prefetch)); st != 400 {
		t.Errorf("patient-view on the discharge service: %d", st)
	}
	delete(req.Prefetch, "conditions")
	if st, _ := e.call("POST", "/dx-encounter-discharge", req); st != 412 {
		t.Errorf("no conditions: %d, want 412", st)
	}
}

func TestPrefetchForms(t *testing.T) {
	e := newEHR(t, nil)
	e.scorer.set("only note", 0.9, 0.05, 0.03, 0.02)
	single, _ := json.Marshal(note("1", "only note"))
	bin := note("2", "ignored")
	bin.Content[0].Attachment.ContentType = "application/pdf"
	wrong := note("3", "ignored too")
	wrong.Status = "entered-in-error"
	mixed := searchset(map[string]any{"resourceType": "OperationOutcome"}, bin, wrong, note("4", "only note"))
	badB64 := note("5", "x")
	badB64.Content[0].Attachment.Data = "%%%"
	cases := []struct {
		name       string
		notes      json.RawMessage
		status     int
		cards      int
		errContain string
	}{
		{"single DocumentReference", single, 200, 1, ""},
		{"bundle with other types, pdf and entered-in-error", mixed, 200, 1, ""},
		{"null: the EHR has no notes", json.RawMessage("null"), 200, 0, ""},
		{"empty searchset", searchset(), 200, 0, ""},
		{"OperationOutcome: not satisfied", json.RawMessage(`{"resourceType":"OperationOutcome"}`), 412, 0, "prefetch notes"},
		{"bad base64", searchset(badB64), 400, 0, "prefetch.notes.entry[0].resource.content[0].attachment.data: not base64"},
		{"not a resource", json.RawMessage(`[1,2]`), 400, 0, "prefetch.notes: not a FHIR resource"},
	}
	for _, tc := range cases {
		st, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView, map[string]json.RawMessage{"notes": tc.notes}))
		if st != tc.status || !strings.Contains(string(body), tc.errContain) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, st, body, tc.status, tc.errContain)
			continue
		}
		if st == 200 {
			if r := decode[Response](t, body); len(r.Cards) != tc.cards {
				t.Errorf("%s: %d cards, want %d", tc.name, len(r.Cards), tc.cards)
			} else if tc.cards == 0 && strings.TrimSpace(string(body)) != `{"cards":[]}` {
				t.Errorf("%s: %s", tc.name, body)
			}
		}
	}
	if st, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView, nil)); st != 412 {
		t.Errorf("no prefetch, no fhirServer: %d %s", st, body)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEHR(t, func(c *Config) { c.MaxBody = 1 << 10 })
	cases := map[string]struct {
		body   string
		status int
		msg    string
	}{
		"not JSON":        {`{"hook":`, 400, "body is not a JSON object"},
		"wrong type":      {`{"hook":"patient-view","hookInstance":"x","context":{"patientId":7}}`, 400, "context.patientId: wrong type"},
		"no patient":      {`{"hook":"patient-view","hookInstance":"x","context":{}}`, 400, "context.patientId: missing"},
		"no hookInstance": {`{"hook":"patient-view","context":{"patientId":"1"}}`, 400, "hookInstance: missing"},
		"too large":       {`{"hook":"` + strings.Repeat("a", 2000) + `"}`, 413, "body larger than 1024 bytes"},
	}
	for name, tc := range cases {
		st, body, _ := e.do("POST", "/dx-patient-view", sign(t, "ES384", "ec1", e.claims("/dx-patient-view"), nil), []byte(tc.body))
		if st != tc.status || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", name, st, body, tc.status, tc.msg)
		}
	}
	if st, _ := e.call("POST", "/nope-patient-view", nil); st != 404 {
		t.Errorf("unknown service: %d", st)
	}
	if st, _ := e.call("GET", "/dx-patient-view", nil); st != 405 {
		t.Errorf("GET on a service: %d", st)
	}
}

func TestCacheMakesReopenedChartFree(t *testing.T) {
	e := newEHR(t, nil)
	req := hookRequest(HookPatientView, map[string]json.RawMessage{"notes": threeNotes(e)})
	_, first := e.call("POST", "/dx-patient-view", req)
	if e.scorer.texts != 3 || e.scorer.calls != 1 {
		t.Fatalf("first call scored %d texts in %d calls", e.scorer.texts, e.scorer.calls)
	}
	_, second := e.call("POST", "/dx-patient-view", req)
	if e.scorer.texts != 3 || e.scorer.calls != 1 {
		t.Errorf("re-opened chart scored %d texts in %d calls, want none", e.scorer.texts-3, e.scorer.calls-1)
	}
	if a, b := decode[Response](t, first).Cards[0].Detail, decode[Response](t, second).Cards[0].Detail; a != b {
		t.Errorf("cached answer differs:\n%s\n%s", a, b)
	}
}

func TestScoreCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newScoreCache(2)
	a, b, d := noteKey("m", "a"), noteKey("m", "b"), noteKey("m", "d")
	c.put(a, []float64{1})
	c.put(b, []float64{2})
	c.get(a) // a is now the most recent: b goes first
	c.put(d, []float64{3})
	if _, ok := c.get(b); ok {
		t.Error("b survived eviction")
	}
	if p, ok := c.get(a); !ok || p[0] != 1 {
		t.Error("a was evicted")
	}
	if c.len() != 2 {
		t.Errorf("len %d", c.len())
	}
	if noteKey("m", "ab") == noteKey("ma", "b") {
		t.Error("model and text are not separated in the key")
	}
}

func TestNotesBeyondMaxNotesAreIgnored(t *testing.T) {
	e := newEHR(t, func(c *Config) { c.MaxNotes = 2 })
	bad := note("bad", "x")
	bad.Content[0].Attachment.Data = "%%%"
	st, body := e.call("POST", "/dx-patient-view", hookRequest(HookPatientView,
		map[string]json.RawMessage{"notes": searchset(note("1", "a"), note("2", "b"), note("3", "c"), bad)}))
	if st != 200 || e.scorer.texts != 2 || !strings.Contains(decode[Response](t, body).Cards[0].Detail, "from 2 clinical notes") {
		t.Errorf("status %d, scored %d texts: %s", st, e.scorer.texts, body)
	}
}
