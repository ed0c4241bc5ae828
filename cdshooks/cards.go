package cdshooks

import (
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Disclaimer closes every card's detail.
const Disclaimer = "This is decision support for review by a qualified clinician, not a diagnosis."

// maxSummary is the specification's limit on a card summary (< 140 characters).
const maxSummary = 139

// overrideReasons are offered on every card so the feedback says why a
// clinician dismissed it.
var overrideReasons = []Coding{
	{System: overrideSystem, Code: "not-supported", Display: "Not supported by the notes"},
	{System: overrideSystem, Code: "already-addressed", Display: "Already addressed"},
	{System: overrideSystem, Code: "not-relevant", Display: "Not relevant to this encounter"},
}

const overrideSystem = "urn:medbert:cds-hooks:override-reason"

// ranked is a label with its score.
type ranked struct {
	Label string
	Score float64
}

// top returns the k best labels by score (ties by label index), leaving
// out those in exclude (normalised with normLabel).
func top(labels []string, scores []float64, exclude map[string]bool, k int) []ranked {
	idx := make([]int, len(labels))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	var out []ranked
	for _, i := range idx {
		if len(out) == k {
			break
		}
		if !exclude[normLabel(labels[i])] {
			out = append(out, ranked{labels[i], scores[i]})
		}
	}
	return out
}

// indicator maps the top score to info, warning or critical.
func (s *Service) indicator(score float64) string {
	switch {
	case score >= s.cfg.CriticalAt:
		return "critical"
	case score >= s.cfg.WarningAt:
		return "warning"
	}
	return "info"
}

// card is the one card of a call: the top diagnoses r (best first) and a
// suggestion for each.
func (s *Service) card(e entry, ctx HookContext, r []ranked, nNotes int) Card {
	c := Card{
		UUID:              newUUID(),
		Summary:           summary(r[0]),
		Detail:            detail(e, r, nNotes),
		Indicator:         s.indicator(r[0].Score),
		Source:            Source{Label: sourceLabel(e.model)},
		SelectionBehavior: "at-most-one",
		OverrideReasons:   overrideReasons,
	}
	now := s.cfg.Now().UTC().Format("2006-01-02T15:04:05Z")
	for _, d := range r {
		c.Suggestions = append(c.Suggestions, suggestion(e.model, ctx, d, now))
	}
	return c
}

func sourceLabel(m Model) string {
	return fmt.Sprintf("medbert model %s (sha256 %s)", m.Name, shortSHA(m.SHA256))
}

func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return orUnknown(sha)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// summary is one sentence under 140 characters; a long label is cut.
func summary(d ranked) string {
	const format = "The notes suggest %s (score %.2f); review before coding."
	s := fmt.Sprintf(format, d.Label, d.Score)
	if over := utf8.RuneCountInString(s) - maxSummary; over > 0 {
		label := []rune(d.Label)
		s = fmt.Sprintf(format, string(label[:max(len(label)-over-1, 0)])+"…", d.Score)
	}
	return s
}

// detail is the Markdown body: the diagnoses and scores as a table, how
// they were scored, the model's identity and the disclaimer.
func detail(e entry, r []ranked, nNotes int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Likely diagnoses** from %d clinical note%s:\n\n", nNotes, plural(nNotes))
	b.WriteString("| Diagnosis | Score |\n|---|---:|\n")
	for _, d := range r {
		fmt.Fprintf(&b, "| %s | %.2f |\n", escapeMarkdown(d.Label), d.Score)
	}
	b.WriteString("\nEach note is scored on its own; a diagnosis's score is its highest probability over the notes.")
	if e.hook == HookEncounterDischarge {
		b.WriteString(" Diagnoses already coded for this patient are not listed.")
	}
	fmt.Fprintf(&b, "\n\nModel `%s`, sha256 `%s`.\n\n%s", e.model.Name, shortSHA(e.model.SHA256), Disclaimer)
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// escapeMarkdown backslash-escapes the characters that would change a
// label's rendering or break the table.
func escapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()<>#+-.!|~", r) {
			b.WriteByte('\\')
		}
		if r == '\n' || r == '\r' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// suggestion creates a provisional Condition and a preliminary
// RiskAssessment for one diagnosis.
func suggestion(m Model, ctx HookContext, d ranked, now string) Suggestion {
	subject := Reference{Reference: "Patient/" + ctx.PatientID}
	var enc *Reference
	if ctx.EncounterID != "" {
		enc = &Reference{Reference: "Encounter/" + ctx.EncounterID}
	}
	cond := Condition{
		ResourceType:       "Condition",
		ClinicalStatus:     &CodeableConcept{Coding: []Coding{{System: systemConditionClinical, Code: "active"}}},
		VerificationStatus: &CodeableConcept{Coding: []Coding{{System: systemConditionVerStat, Code: "provisional"}}},
		Code:               &CodeableConcept{Text: d.Label},
		Subject:            subject,
		Encounter:          enc,
		RecordedDate:       now,
	}
	risk := RiskAssessment{
		ResourceType:       "RiskAssessment",
		Status:             "preliminary",
		Method:             &CodeableConcept{Text: fmt.Sprintf("medbert model %s (sha256 %s)", m.Name, orUnknown(m.SHA256))},
		Subject:            subject,
		Encounter:          enc,
		OccurrenceDateTime: now,
		Prediction:         []Prediction{{Outcome: &CodeableConcept{Text: d.Label}, ProbabilityDecimal: d.Score}},
	}
	return Suggestion{
		Label: "Add provisional diagnosis: " + d.Label,
		UUID:  newUUID(),
		Actions: []Action{
			{Type: "create", Description: "Add " + d.Label + " as a provisional condition", Resource: cond},
			{Type: "create", Description: fmt.Sprintf("Record the model's risk assessment for %s (%.2f)", d.Label, d.Score), Resource: risk},
		},
	}
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
