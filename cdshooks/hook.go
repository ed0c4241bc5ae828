package cdshooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
)

// DecodeHookRequest reads a hook call body: one JSON object with hook,
// hookInstance and context.patientId. Its errors name the bad field.
func DecodeHookRequest(body []byte) (*HookRequest, error) {
	var req HookRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Hook == "":
		return nil, errors.New("hook: missing")
	case req.HookInstance == "":
		return nil, errors.New("hookInstance: missing")
	case req.Context.PatientID == "":
		return nil, errors.New("context.patientId: missing")
	case req.FHIRAuthorization != nil && req.FHIRServer == "":
		return nil, errors.New("fhirAuthorization: given without fhirServer")
	}
	return &req, nil
}

// decodeStrict decodes exactly one JSON value (unknown members are
// allowed: the specification lets clients add extensions).
func decodeStrict(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s: wrong type (%s)", te.Field, te.Value)
		}
		return errors.New("body is not a JSON object")
	}
	return nil
}

// call answers one hook call.
func (s *Service) call(r *http.Request, e entry) (*Response, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	req, err := DecodeHookRequest(body)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	if req.Hook != e.hook {
		return nil, fail(http.StatusBadRequest, "hook: this service answers "+e.hook)
	}
	ctx := r.Context()
	var texts []string
	err = s.prefetched(ctx, req, prefetchNotes, func(raw json.RawMessage, field string) (err error) {
		texts, err = notes(raw, field, s.cfg.MaxNotes)
		return err
	})
	if err != nil {
		return nil, err
	}
	coded := map[string]bool{}
	if e.hook == HookEncounterDischarge {
		err = s.prefetched(ctx, req, prefetchConditions, func(raw json.RawMessage, field string) (err error) {
			coded, err = codedLabels(raw, field)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	resp := &Response{Cards: []Card{}}
	if len(texts) == 0 {
		return resp, nil
	}
	scores, err := s.score(ctx, e.model, texts)
	if err != nil {
		return nil, err
	}
	ranked := top(e.model.Labels, scores, coded, s.cfg.TopK)
	if len(ranked) > 0 {
		resp.Cards = append(resp.Cards, s.card(e, req.Context, ranked, len(texts)))
	}
	return resp, nil
}

func readBody(r *http.Request) ([]byte, error) {
	buf, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", mbe.Limit))
		}
		return nil, fail(http.StatusBadRequest, "body could not be read")
	}
	return buf, nil
}

// score returns the per-label score of texts: each note scored on its own
// (from the cache when seen before), then the maximum over notes.
func (s *Service) score(ctx context.Context, m Model, texts []string) ([]float64, error) {
	agg := make([]float64, len(m.Labels))
	fold := func(p []float64) {
		for i, v := range p {
			agg[i] = math.Max(agg[i], v)
		}
	}
	var miss []string
	var keys [][32]byte
	pending := map[[32]byte]bool{}
	for _, t := range texts {
		k := noteKey(m.Name, t)
		if p, ok := s.cache.get(k); ok {
			fold(p)
		} else if !pending[k] {
			pending[k] = true
			miss, keys = append(miss, t), append(keys, k)
		}
	}
	if len(miss) == 0 {
		return agg, nil
	}
	res, err := s.cfg.Score(ctx, m.Name, miss)
	if err != nil {
		s.cfg.Logf("cds-hooks: score %s: %v", m.Name, err)
		return nil, fail(http.StatusServiceUnavailable, "scoring unavailable")
	}
	if len(res) != len(miss) {
		return nil, fmt.Errorf("score %s: %d results for %d notes", m.Name, len(res), len(miss))
	}
	for i, p := range res {
		if len(p) != len(m.Labels) {
			return nil, fmt.Errorf("score %s: %d scores for %d labels", m.Name, len(p), len(m.Labels))
		}
		for _, v := range p {
			if !(v >= 0 && v <= 1) {
				return nil, fmt.Errorf("score %s: score outside [0, 1]", m.Name)
			}
		}
		s.cache.put(keys[i], append([]float64(nil), p...))
		fold(p)
	}
	return agg, nil
}
