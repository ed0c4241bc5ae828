package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/medbert/medbert/explain"
	medmetrics "github.com/medbert/medbert/metrics"
	"net/http"
	"sort"
	"strconv"
	"time"
)

const defaultTopK = 3

// diagnose answers POST /diagnose and POST /v1/models/{name}:predict.
func (s *Server) diagnose(w http.ResponseWriter, r *http.Request, e *modelEntry, named bool, id, caller string, start time.Time) {
	if r.ContentLength > s.cfg.MaxBody {
		writeError(w, id, errTooLarge)
		return
	}
	req, bad := decodeDiagnose(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody), s.cfg.MaxTexts)
	if bad == nil && req.Model != nil {
		e, bad = s.chooseModel(e, named, *req.Model)
	}
	if bad != nil {
		writeError(w, id, bad)
		return
	}
	single := req.Text != nil
	var inputs []Input
	if single {
		in := Input{Text: *req.Text}
		if req.TextPair != nil {
			in.TextPair = *req.TextPair
		}
		inputs = []Input{in}
	} else {
		inputs = make([]Input, len(req.Texts))
		for i, t := range req.Texts {
			inputs[i].Text = t
			if req.TextPairs != nil {
				inputs[i].TextPair = req.TextPairs[i]
			}
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	results, err := e.b.submit(ctx, inputs)
	if err != nil {
		writeError(w, id, requestError(ctx, err))
		return
	}
	if s.cfg.RejectLong {
		for i, res := range results {
			if res.Truncated {
				field := "text"
				if !single {
					field = "texts[" + strconv.Itoa(i) + "]"
				}
				writeError(w, id, tooLong(field, e.info.MaxLength))
				return
			}
		}
	}
	if err := s.record(ctx, e.info, inputs, results, id, caller, start); err != nil {
		writeError(w, id, err)
		return
	}
	topK := defaultTopK
	if req.TopK != nil {
		topK = *req.TopK
	}
	if single {
		resp := DiagnoseResponse{
			Diagnoses: top(e.info.Labels, results[0].Scores, topK), Truncated: results[0].Truncated,
			Model: e.info.Name, ModelSHA256: e.info.SHA256, RequestID: id, ReviewRequired: true, Disclaimer: Disclaimer,
		}
		if req.Explain != nil && *req.Explain {
			var bad *apiError
			if resp.Explanation, bad = s.explain(ctx, e, inputs[0], results[0]); bad != nil {
				writeError(w, id, bad)
				return
			}
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	resp := BatchResponse{
		Results: make([]TextResult, len(results)),
		Model:   e.info.Name, ModelSHA256: e.info.SHA256, RequestID: id, ReviewRequired: true, Disclaimer: Disclaimer,
	}
	for i, res := range results {
		resp.Results[i] = TextResult{Diagnoses: top(e.info.Labels, res.Scores, topK), Truncated: res.Truncated}
	}
	writeJSON(w, http.StatusOK, resp)
}

// requestError maps a batching error to its answer: the request's own
// deadline is a 504, a client that went away is not answered.
func requestError(ctx context.Context, err error) *apiError {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return errTimeout
	case errors.Is(err, context.Canceled):
		return errCanceled
	}
	return asAPIError(err)
}

// record hands one Decision per input to the auditor and returns once all
// are recorded.
func (s *Server) record(ctx context.Context, info ModelInfo, inputs []Input, results []Result, id, caller string, start time.Time) *apiError {
	now := time.Now()
	for i, in := range inputs {
		d := Decision{
			Time: now.UTC(), RequestID: id, Index: i, Caller: caller,
			Model: info.Name, ModelSHA256: info.SHA256, TextSHA256: TextSHA256(in),
			Labels: info.Labels, Scores: results[i].Scores, Truncated: results[i].Truncated,
			Latency: now.Sub(start),
		}
		if s.cfg.AuditIncludeText {
			d.Text, d.TextPair = in.Text, in.TextPair
		}
		if err := s.auditor.Record(ctx, d); err != nil {
			s.metrics.auditErrors.Add(1)
			if ctx.Err() != nil {
				return requestError(ctx, ctx.Err())
			}
			s.log.Error("audit record failed", "request_id", id, "err", err.Error())
			return errAudit
		}
		s.metrics.auditRecords.Add(1)
	}
	return nil
}

// TextSHA256 is the input digest audit records carry: the hex sha256 of
// the text, or of text, a zero byte and the pair when there is a pair.
func TextSHA256(in Input) string {
	h := sha256.New()
	h.Write([]byte(in.Text))
	if in.TextPair != "" {
		h.Write([]byte{0})
		h.Write([]byte(in.TextPair))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// top returns the k best labels, highest probability first; equal scores
// keep label order.
func top(labels []string, scores []float64, k int) []Diagnosis {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	k = min(k, len(idx))
	out := make([]Diagnosis, k)
	for i := range out {
		out[i] = Diagnosis{Label: labels[idx[i]], Score: scores[idx[i]]}
	}
	return out
}

// explain attributes the top diagnosis of res to the words of in, when
// the model can.
func (s *Server) explain(ctx context.Context, e *modelEntry, in Input, res Result) (*explain.Explanation, *apiError) {
	ex, ok := e.b.model.(Explainer)
	if !ok {
		return nil, errNoExplain
	}
	x, err := ex.Explain(ctx, in, medmetrics.ArgmaxRow(res.Scores))
	if err != nil {
		if errors.Is(err, errNoExplain) {
			return nil, errNoExplain
		}
		return nil, requestError(ctx, err)
	}
	return x, nil
}

// chooseModel applies the request's "model": on /diagnose it picks the
// model; on a URL that names one it must agree.
func (s *Server) chooseModel(e *modelEntry, named bool, name string) (*modelEntry, *apiError) {
	m := s.byName[name]
	switch {
	case m == nil:
		return nil, errNoModel
	case named && m != e:
		return nil, badField("model", "names another model than the URL")
	}
	return m, nil
}
