package cdshooks

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// maxFeedback bounds the items of one feedback call.
const maxFeedback = 100

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// feedback records what the clinician did with cards of service e. All
// items are checked before any is recorded.
func (s *Service) feedback(r *http.Request, e entry, c claims) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var req FeedbackRequest
	if err := decodeStrict(body, &req); err != nil {
		return fail(http.StatusBadRequest, err.Error())
	}
	if len(req.Feedback) == 0 || len(req.Feedback) > maxFeedback {
		return fail(http.StatusBadRequest, fmt.Sprintf("feedback: want 1 to %d items", maxFeedback))
	}
	recs := make([]FeedbackRecord, len(req.Feedback))
	for i, f := range req.Feedback {
		rec, err := feedbackRecord(f)
		if err != nil {
			return fail(http.StatusBadRequest, fmt.Sprintf("feedback[%d].%v", i, err))
		}
		rec.ServiceID, rec.Model, rec.ModelSHA256 = e.id, e.model.Name, e.model.SHA256
		rec.Issuer, rec.Subject = c.Iss, c.Sub
		recs[i] = rec
	}
	if s.cfg.Audit == nil {
		return nil
	}
	for _, rec := range recs {
		if err := s.cfg.Audit(r.Context(), rec); err != nil {
			return fmt.Errorf("audit feedback: %w", err)
		}
	}
	return nil
}

func feedbackRecord(f Feedback) (FeedbackRecord, error) {
	rec := FeedbackRecord{Card: f.Card, Outcome: f.Outcome}
	if !uuidRE.MatchString(f.Card) {
		return rec, fmt.Errorf("card: not a card uuid")
	}
	switch f.Outcome {
	case "accepted":
		if len(f.AcceptedSuggestions) == 0 {
			return rec, fmt.Errorf("acceptedSuggestions: required for outcome accepted")
		}
		if f.OverrideReason != nil {
			return rec, fmt.Errorf("overrideReason: given with outcome accepted")
		}
	case "overridden":
		if len(f.AcceptedSuggestions) > 0 {
			return rec, fmt.Errorf("acceptedSuggestions: given with outcome overridden")
		}
	default:
		return rec, fmt.Errorf("outcome: want accepted or overridden")
	}
	for j, a := range f.AcceptedSuggestions {
		if !uuidRE.MatchString(a.ID) {
			return rec, fmt.Errorf("acceptedSuggestions[%d].id: not a suggestion uuid", j)
		}
		rec.AcceptedSuggestions = append(rec.AcceptedSuggestions, a.ID)
	}
	if o := f.OverrideReason; o != nil {
		if o.Reason != nil {
			rec.ReasonCode, rec.ReasonSystem, rec.ReasonDisplay = o.Reason.Code, o.Reason.System, o.Reason.Display
		}
		rec.UserComment = o.UserComment
	}
	t, err := time.Parse(time.RFC3339, f.OutcomeTimestamp)
	if err != nil {
		return rec, fmt.Errorf("outcomeTimestamp: want an ISO 8601 date-time with zone")
	}
	rec.OutcomeTime = t
	return rec, nil
}
