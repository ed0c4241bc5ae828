package cdshooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSamples writes what the service emits, byte for byte as served,
// into $MEDBERT_CDS_SAMPLES_DIR for cdshooks/validate/validate.js to check
// against the official FHIR R4 schema and the CDS Hooks 2.0 schema:
// cds-discovery-*.json, cds-response-*.json and fhir-*.json (every
// resource inside the responses' actions).
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("MEDBERT_CDS_SAMPLES_DIR")
	if dir == "" {
		t.Skip("MEDBERT_CDS_SAMPLES_DIR not set")
	}
	e := newEHR(t, nil)
	write := func(name string, body []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, body := e.call("GET", "", nil)
	if st != 200 {
		t.Fatalf("discovery: %d", st)
	}
	write("cds-discovery-1.json", body)

	conds := searchset(Condition{ResourceType: "Condition", Code: &CodeableConcept{Text: "Pneumonia"}, Subject: Reference{Reference: "Patient/p-42"}})
	calls := []struct {
		name string
		req  HookRequest
	}{
		{"patient-view", hookRequest(HookPatientView, map[string]json.RawMessage{"notes": threeNotes(e)})},
		{"encounter-discharge", hookRequest(HookEncounterDischarge, map[string]json.RawMessage{"notes": threeNotes(e), "conditions": conds})},
		{"empty", hookRequest(HookPatientView, map[string]json.RawMessage{"notes": json.RawMessage("null")})},
	}
	n := 0
	for _, c := range calls {
		st, body := e.call("POST", "/dx-"+c.req.Hook, c.req)
		if st != 200 {
			t.Fatalf("%s: %d %s", c.name, st, body)
		}
		write("cds-response-"+c.name+".json", body)
		var resp struct {
			Cards []struct {
				Suggestions []struct {
					Actions []struct {
						Resource json.RawMessage `json:"resource"`
					} `json:"actions"`
				} `json:"suggestions"`
			} `json:"cards"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		for _, card := range resp.Cards {
			for _, s := range card.Suggestions {
				for _, a := range s.Actions {
					n++
					write(fmt.Sprintf("fhir-%s-%02d.json", c.name, n), a.Resource)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no FHIR resource emitted")
	}
	t.Logf("wrote %d FHIR resources and 4 CDS Hooks documents to %s", n, dir)
}
