package cdshooks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Reading notes and coded conditions out of a prefetch value or a FHIR
// search answer: a searchset Bundle, a single resource, or JSON null
// (the EHR looked and found nothing).

// notSatisfied marks a prefetch value the EHR could not fill (an
// OperationOutcome in place of data): the service fetches it itself.
var notSatisfied = fail(http.StatusPreconditionFailed, "prefetch not satisfied")

// isNull reports whether raw is the JSON null.
func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// resources splits a prefetch value into its resources with the path of
// each for error messages. A Bundle gives its entries' resources.
func resources(raw json.RawMessage, field string) ([]json.RawMessage, []string, error) {
	var head resourceHead
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, nil, fail(http.StatusBadRequest, field+": not a FHIR resource")
	}
	switch head.ResourceType {
	case "OperationOutcome":
		return nil, nil, notSatisfied
	case "Bundle":
		var b Bundle
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, nil, fail(http.StatusBadRequest, field+": malformed Bundle")
		}
		out, paths := make([]json.RawMessage, 0, len(b.Entry)), make([]string, 0, len(b.Entry))
		for i, e := range b.Entry {
			if len(e.Resource) > 0 && !isNull(e.Resource) {
				out = append(out, e.Resource)
				paths = append(paths, fmt.Sprintf("%s.entry[%d].resource", field, i))
			}
		}
		return out, paths, nil
	case "":
		return nil, nil, fail(http.StatusBadRequest, field+": no resourceType")
	}
	return []json.RawMessage{raw}, []string{field}, nil
}

// notes returns the plain-text notes in a prefetch value, at most limit.
// Other resource types (a search's OperationOutcome entries) are skipped.
func notes(raw json.RawMessage, field string, limit int) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	res, paths, err := resources(raw, field)
	if err != nil {
		return nil, err
	}
	var out []string
	for i, r := range res {
		if len(out) == limit {
			break // the rest is ignored, malformed or not
		}
		var head resourceHead
		if json.Unmarshal(r, &head) != nil || head.ResourceType != "DocumentReference" {
			continue
		}
		var d DocumentReference
		if err := json.Unmarshal(r, &d); err != nil {
			return nil, fail(http.StatusBadRequest, paths[i]+": malformed DocumentReference")
		}
		if d.Status == "entered-in-error" || d.Status == "superseded" {
			continue
		}
		for j, c := range d.Content {
			text, err := noteText(c.Attachment, fmt.Sprintf("%s.content[%d].attachment", paths[i], j))
			if err != nil {
				return nil, err
			}
			if text != "" && len(out) < limit {
				out = append(out, text)
			}
		}
	}
	return out, nil
}

// noteText decodes an inline text/plain attachment; other content types
// and attachments by url only give "" (the service reads inline text).
func noteText(a Attachment, field string) (string, error) {
	mt, _, err := mime.ParseMediaType(a.ContentType)
	if err != nil || mt != "text/plain" || a.Data == "" {
		return "", nil
	}
	// base64Binary may hold whitespace (its FHIR regex allows it).
	data := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, a.Data)
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return "", fail(http.StatusBadRequest, field+".data: not base64")
	}
	text := strings.TrimSpace(strings.ToValidUTF8(string(b), string(utf8.RuneError)))
	return text, nil
}

// codedLabels returns the lower-cased code.text and coding displays of the
// Conditions in a prefetch value, skipping refuted and erroneous ones.
func codedLabels(raw json.RawMessage, field string) (map[string]bool, error) {
	coded := map[string]bool{}
	if isNull(raw) {
		return coded, nil
	}
	res, paths, err := resources(raw, field)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		var head resourceHead
		if json.Unmarshal(r, &head) != nil || head.ResourceType != "Condition" {
			continue
		}
		var c Condition
		if err := json.Unmarshal(r, &c); err != nil {
			return nil, fail(http.StatusBadRequest, paths[i]+": malformed Condition")
		}
		if c.VerificationStatus != nil && hasCode(*c.VerificationStatus, "refuted", "entered-in-error") {
			continue
		}
		if c.Code == nil {
			continue
		}
		if t := normLabel(c.Code.Text); t != "" {
			coded[t] = true
		}
		for _, cd := range c.Code.Coding {
			if d := normLabel(cd.Display); d != "" {
				coded[d] = true
			}
		}
	}
	return coded, nil
}

func hasCode(cc CodeableConcept, codes ...string) bool {
	for _, c := range cc.Coding {
		for _, want := range codes {
			if c.Code == want {
				return true
			}
		}
	}
	return false
}

// normLabel is the form labels and coded names are compared in.
func normLabel(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
