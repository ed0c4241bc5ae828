package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/task/qa"
	"github.com/medbert/medbert/task/tokencls"
)

// Tagger is a clinical NER model: the entities of a text with code-point
// spans into it (POST /ner).
type Tagger interface {
	Info() ModelInfo
	Tag(ctx context.Context, text string) ([]tokencls.Entity, error)
}

// Answerer is an extractive QA model: the span of context answering a
// question (POST /qa).
type Answerer interface {
	Info() ModelInfo
	Answer(ctx context.Context, question, context string) (qa.Prediction, error)
}

// NERRequest is the body of POST /ner.
type NERRequest struct {
	Text  string `json:"text"`
	Model string `json:"model,omitempty"`
}

// NERResponse answers POST /ner.
type NERResponse struct {
	Entities       []tokencls.Entity `json:"entities"`
	Model          string            `json:"model"`
	ModelSHA256    string            `json:"model_sha256"`
	RequestID      string            `json:"request_id"`
	ReviewRequired bool              `json:"review_required"`
	Disclaimer     string            `json:"disclaimer"`
}

// QARequest is the body of POST /qa.
type QARequest struct {
	Question string `json:"question"`
	Context  string `json:"context"`
	Model    string `json:"model,omitempty"`
}

// QAResponse answers POST /qa: the answer with code-point offsets into
// context (end-exclusive), or impossible for a v2.0 model that finds none.
type QAResponse struct {
	Answer         string  `json:"answer"`
	Start          int     `json:"start"`
	End            int     `json:"end"`
	Score          float64 `json:"score"`
	Impossible     bool    `json:"impossible"`
	Model          string  `json:"model"`
	ModelSHA256    string  `json:"model_sha256"`
	RequestID      string  `json:"request_id"`
	ReviewRequired bool    `json:"review_required"`
	Disclaimer     string  `json:"disclaimer"`
}

// AddTagger serves t at POST /ner (the first added answers requests that
// name no model). Add before serving.
func (s *Server) AddTagger(t Tagger) { s.taggers = append(s.taggers, t) }

// AddAnswerer serves a at POST /qa, as AddTagger.
func (s *Server) AddAnswerer(a Answerer) { s.answerers = append(s.answerers, a) }

func pick[T interface{ Info() ModelInfo }](ms []T, name string) (T, *apiError) {
	var zero T
	for _, m := range ms {
		if name == "" || m.Info().Name == name {
			return m, nil
		}
	}
	return zero, errNoModel
}

// decodeStrict reads one JSON object into v, refusing unknown fields; its
// messages never repeat the body.
func decodeTaskRequest(r io.Reader, v any, fields string) *apiError {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			return errTooLarge
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return badField("(unnamed)", "unknown field; the fields are "+fields)
		default:
			return badField("", "the body is not a JSON object of the fields "+fields)
		}
	}
	if dec.More() {
		return badField("", "one JSON object per request")
	}
	return nil
}

func (s *Server) ner(w http.ResponseWriter, r *http.Request, id, caller string, start time.Time) {
	var req NERRequest
	if bad := decodeTaskRequest(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody), &req, "text and model"); bad != nil {
		writeError(w, id, bad)
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		writeError(w, id, badField("text", "must not be empty"))
		return
	}
	m, bad := pick(s.taggers, req.Model)
	if bad != nil {
		writeError(w, id, bad)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	ents, err := m.Tag(ctx, req.Text)
	if err != nil {
		writeError(w, id, requestError(ctx, err))
		return
	}
	if ents == nil {
		ents = []tokencls.Entity{}
	}
	d := Decision{Labels: []string{}, Scores: []float64{}}
	for _, e := range ents {
		d.Labels, d.Scores = append(d.Labels, e.Type), append(d.Scores, e.Score)
	}
	if bad := s.recordTask(ctx, m.Info(), Input{Text: req.Text}, d, id, caller, start); bad != nil {
		writeError(w, id, bad)
		return
	}
	info := m.Info()
	writeJSON(w, http.StatusOK, NERResponse{Entities: ents, Model: info.Name, ModelSHA256: info.SHA256, RequestID: id,
		ReviewRequired: true, Disclaimer: Disclaimer})
}

func (s *Server) qa(w http.ResponseWriter, r *http.Request, id, caller string, start time.Time) {
	var req QARequest
	if bad := decodeTaskRequest(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody), &req, "question, context and model"); bad != nil {
		writeError(w, id, bad)
		return
	}
	switch {
	case strings.TrimSpace(req.Question) == "":
		writeError(w, id, badField("question", "must not be empty"))
		return
	case strings.TrimSpace(req.Context) == "":
		writeError(w, id, badField("context", "must not be empty"))
		return
	}
	m, bad := pick(s.answerers, req.Model)
	if bad != nil {
		writeError(w, id, bad)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	a, err := m.Answer(ctx, req.Question, req.Context)
	if err != nil {
		writeError(w, id, requestError(ctx, err))
		return
	}
	d := Decision{Labels: []string{"answer"}, Scores: []float64{a.Score}}
	if bad := s.recordTask(ctx, m.Info(), Input{Text: req.Question, TextPair: req.Context}, d, id, caller, start); bad != nil {
		writeError(w, id, bad)
		return
	}
	info := m.Info()
	writeJSON(w, http.StatusOK, QAResponse{Answer: a.Text, Start: a.Start, End: a.End, Score: a.Score, Impossible: a.Impossible,
		Model: info.Name, ModelSHA256: info.SHA256, RequestID: id, ReviewRequired: true, Disclaimer: Disclaimer})
}

// recordTask audits one NER or QA decision (labels and scores in d).
func (s *Server) recordTask(ctx context.Context, info ModelInfo, in Input, d Decision, id, caller string, start time.Time) *apiError {
	res := Result{Scores: d.Scores}
	info.Labels = d.Labels
	return s.record(ctx, info, []Input{in}, []Result{res}, id, caller, start)
}

// PipelineTagger serves a token-classification pipeline at /ner.
func PipelineTagger(p *pipeline.Pipeline, name string) Tagger {
	return &taskModel{p: p, info: ModelInfo{Name: name, Task: "token-classification", Labels: p.Model.Config.Labels(),
		SHA256: p.ID, Int8: p.Model.Quantized(), MaxLength: p.MaxLength},
		tagger: &tokencls.Predictor{Model: p.Model, Tokenizer: p.Tokenizer, Options: tokencls.Options{MaxLength: p.MaxLength, BatchSize: p.BatchSize}}}
}

// PipelineAnswerer serves a question-answering pipeline at /qa.
func PipelineAnswerer(p *pipeline.Pipeline, name string) Answerer {
	opt := qa.Options{MaxLength: p.MaxLength, BatchSize: p.BatchSize}
	opt.Stride = min(128, opt.MaxLength/4)
	return &taskModel{p: p, info: ModelInfo{Name: name, Task: "question-answering", Labels: []string{"answer"},
		SHA256: p.ID, Int8: p.Model.Quantized(), MaxLength: p.MaxLength},
		answerer: &qa.Predictor{Model: p.Model, Tokenizer: p.Tokenizer, Options: opt}}
}

type taskModel struct {
	p        *pipeline.Pipeline
	info     ModelInfo
	tagger   *tokencls.Predictor
	answerer *qa.Predictor
}

func (m *taskModel) Info() ModelInfo { return m.info }

func (m *taskModel) Tag(ctx context.Context, text string) ([]tokencls.Entity, error) {
	return m.tagger.Predict(ctx, text)
}

func (m *taskModel) Answer(ctx context.Context, question, context string) (qa.Prediction, error) {
	return m.answerer.Answer(ctx, question, context)
}

// taskModelFor serves a loaded NER or QA pipeline; ok is false for other
// tasks.
func taskModelFor(s *Server, p *pipeline.Pipeline, name string) (bool, error) {
	switch p.Task {
	case pipeline.TaskNER:
		s.AddTagger(PipelineTagger(p, name))
	case pipeline.TaskQA:
		s.AddAnswerer(PipelineAnswerer(p, name))
	case pipeline.TaskClassification:
		return false, nil
	default:
		return false, fmt.Errorf("model %s is a %s model; serve answers classifiers, NER and QA models", name, p.Task)
	}
	return true, nil
}
