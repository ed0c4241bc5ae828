package serve

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medbert/medbert/audit"
	"github.com/medbert/medbert/bert"
	"github.com/medbert/medbert/card"
	"github.com/medbert/medbert/cdshooks"
	"github.com/medbert/medbert/explain"
	"github.com/medbert/medbert/kernels"
	"github.com/medbert/medbert/pipeline"
	"github.com/medbert/medbert/seal"
	"github.com/medbert/medbert/webui"
)

// PipelineModel serves a loaded sequence-classification pipeline under
// name: the scores are pipeline.Classify's softmax probabilities, the
// same numbers `medbert predict` prints.
func PipelineModel(p *pipeline.Pipeline, name string) (Classifier, error) {
	if p.Task != pipeline.TaskClassification {
		return nil, fmt.Errorf("model %s is a %s model; serve answers /diagnose with text classifiers", name, p.Task)
	}
	return &pipelineModel{p: p, info: ModelInfo{Name: name, Task: "sequence-classification", Labels: p.Labels.Names(),
		SHA256: p.ID, Int8: p.Model.Quantized(), MaxLength: p.MaxLength}}, nil
}

type pipelineModel struct {
	p    *pipeline.Pipeline
	info ModelInfo
}

func (m *pipelineModel) Info() ModelInfo { return m.info }

func (m *pipelineModel) Classify(ctx context.Context, inputs []Input) ([]Result, error) {
	in := make([]pipeline.Input, len(inputs))
	for i, x := range inputs {
		in[i] = pipeline.Input{Text: x.Text, TextPair: x.TextPair}
	}
	cs, err := m.p.Classify(ctx, in)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(cs))
	for i, c := range cs {
		out[i] = Result{Scores: c.Scores, Truncated: c.Truncated, Tokens: min(c.Tokens, m.p.MaxLength)}
	}
	return out, nil
}

// Explain implements Explainer with integrated gradients on the float32
// model (int8 models cannot be differentiated; pairs are not explained).
func (m *pipelineModel) Explain(ctx context.Context, in Input, target int) (*explain.Explanation, error) {
	if m.p.Model.Quantized() || in.TextPair != "" {
		return nil, ErrNoExplanation
	}
	return explain.Explain(ctx, m.p.Model, m.p.Tokenizer, in.Text, explain.Options{Target: &target, MaxLength: m.p.MaxLength})
}

// AuditLog records every decision in a hash-chained audit log.
func AuditLog(w *audit.Writer) Auditor { return auditLog{w} }

type auditLog struct{ w *audit.Writer }

func (a auditLog) Record(_ context.Context, d Decision) error {
	rec := audit.Record{Kind: "decision", RequestID: d.RequestID, Caller: d.Caller, Model: d.Model,
		ModelSHA256: d.ModelSHA256, InputSHA256: d.TextSHA256, LatencyMS: float64(d.Latency) / float64(time.Millisecond)}
	if d.Text != "" {
		rec.Text = d.Text
		if d.TextPair != "" {
			rec.Text += "\x00" + d.TextPair
		}
	}
	for i, l := range d.Labels {
		rec.Labels = append(rec.Labels, audit.Label{Label: l, Score: d.Scores[i]})
	}
	if d.Truncated {
		rec.Note = "input truncated"
	}
	_, err := a.w.Append(rec)
	return err
}

func (a auditLog) Close() error { return a.w.Close() }

// Run is the whole `medbert serve`: it applies the thread cap, loads every
// --model folder, opens the audit log, and serves until ctx ends.
func Run(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if len(cfg.Models) == 0 {
		return errors.New("--model is required")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Threads > 0 {
		kernels.SetMaxThreads(cfg.Threads)
	}
	var key *seal.Key
	if cfg.KeyFile != "" {
		k, err := seal.LoadKey(cfg.KeyFile)
		if err != nil {
			return fmt.Errorf("--key-file: %w", err)
		}
		key = &k
	}
	var models []Classifier
	var tasks []*pipeline.Pipeline // NER and QA models, added to the server below
	var taskNames []string
	for _, spec := range cfg.Models {
		start := time.Now()
		opts := pipeline.Options{BatchSize: cfg.MaxBatch}
		if key != nil && seal.IsSealed(filepath.Join(spec.Dir, bert.FileConfig+seal.Ext)) {
			opts.Key = key // an encrypted folder: decrypted in memory only
		}
		p, err := pipeline.Load(spec.Dir, opts)
		if err != nil {
			return fmt.Errorf("--model %s: %w", spec.Dir, err)
		}
		logger.Info("model loaded", "name", spec.Name, "dir", filepath.Base(spec.Dir), "sha256", p.ID,
			"int8", p.Model.Quantized(), "seconds", time.Since(start).Seconds())
		if p.Task != pipeline.TaskClassification {
			tasks, taskNames = append(tasks, p), append(taskNames, spec.Name)
			continue
		}
		m, err := PipelineModel(p, spec.Name)
		if err != nil {
			return err
		}
		models = append(models, m)
	}
	w, aud, err := openAudit(cfg)
	if err != nil {
		return err
	}
	s, err := New(cfg, models, aud, logger)
	if err != nil {
		if aud != nil {
			_ = aud.Close()
		}
		return err
	}
	for i, p := range tasks {
		if _, err := taskModelFor(s, p, taskNames[i]); err != nil {
			return errors.Join(err, s.Close())
		}
	}
	if err := s.mountExtras(cfg, w); err != nil {
		return errors.Join(err, s.Close())
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen %s: %w", cfg.Addr, err), s.Close())
	}
	return s.Serve(ctx, ln)
}

// mountExtras mounts what a hospital sees beside the API: CDS Hooks at
// /cds-services, the first model's card at /model-card/ (when its folder
// has one), and the clinician page at /.
func (s *Server) mountExtras(cfg Config, w *audit.Writer) error {
	cds, err := cdsService(cfg, s, w)
	if err != nil {
		return err
	}
	s.Mount("/cds-services", cds)
	ui := webui.Config{Title: "medbert"}
	for _, e := range s.models {
		ui.Models = append(ui.Models, e.info.Name)
	}
	if len(cfg.Models) > 0 {
		if card := cardHandler(cfg.Models[0].Dir); card != nil {
			s.Mount("/model-card", card)
			ui.CardURL = "/model-card/"
		}
	}
	s.Mount("/", webui.Handler(ui))
	return nil
}

// cardHandler serves the model card of a model folder (MODEL_CARD.md and
// its SVG charts) under /model-card/, or nil when the folder has none.
// Only those files are served.
func cardHandler(dir string) http.Handler {
	if _, err := os.Stat(filepath.Join(dir, pipeline.CardFile)); err != nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/model-card")
		path := ""
		switch {
		case name == "" || name == "/":
			path = filepath.Join(dir, pipeline.CardFile)
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		case strings.HasPrefix(name, "/"+card.FigureDir+"/") && strings.HasSuffix(name, ".svg") && !strings.Contains(name[1:], "..") && strings.Count(name, "/") == 2:
			path = filepath.Join(dir, filepath.FromSlash(name[1:]))
			w.Header().Set("Content-Type", "image/svg+xml")
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeFile(w, r, path)
	})
}

// cdsService builds the CDS Hooks routes over the served models: scores
// go through the server's micro-batchers, feedback to the audit log
// (reason codes only: a clinician's free-text comment is not stored).
func cdsService(cfg Config, s *Server, w *audit.Writer) (*cdshooks.Service, error) {
	cc := cdshooks.Config{Score: s.Score, PublicURL: cfg.PublicURL, AllowedOrigins: cfg.CDSOrigins,
		Issuers: map[string]cdshooks.JWKS{},
		Logf:    func(format string, args ...any) { s.log.Warn("cds-hooks", "reason", fmt.Sprintf(format, args...)) }}
	if cc.PublicURL == "" {
		cc.PublicURL = "http://" + cfg.Addr
		if cfg.TLSCert != "" {
			cc.PublicURL = "https://" + cfg.Addr
		}
	}
	for _, iss := range cfg.CDSIssuers {
		name, file, _ := strings.Cut(iss, "=")
		keys, err := cdshooks.LoadJWKS(file)
		if err != nil {
			return nil, fmt.Errorf("--cds-issuer %s: %w", name, err)
		}
		cc.Issuers[name] = keys
	}
	for _, e := range s.models {
		cc.Models = append(cc.Models, cdshooks.Model{Name: e.info.Name, SHA256: e.info.SHA256, Labels: e.info.Labels, Task: e.info.Task})
	}
	if w != nil {
		cc.Audit = func(_ context.Context, f cdshooks.FeedbackRecord) error {
			note := "cds-hooks feedback " + f.Outcome + " on card " + f.Card
			if f.ReasonCode != "" {
				note += "; reason " + f.ReasonSystem + "|" + f.ReasonCode
			}
			_, err := w.Append(audit.Record{Kind: "feedback", RequestID: f.Card, Caller: f.Issuer + " " + f.Subject,
				Model: f.Model, ModelSHA256: f.ModelSHA256, Note: note})
			return err
		}
	}
	return cdshooks.New(cc)
}

// openAudit opens --audit-log (nil without it), sealed with --key-file and
// signed with --audit-signing-key when given.
func openAudit(cfg Config) (*audit.Writer, Auditor, error) {
	if cfg.AuditLog == "" {
		return nil, nil, nil
	}
	opts := audit.Options{Sync: audit.SyncGroup}
	if cfg.AuditSync == "strict" {
		opts.Sync = audit.SyncStrict
	}
	if cfg.AuditSigningKey != "" {
		k, err := audit.LoadPrivateKey(cfg.AuditSigningKey)
		if err != nil {
			return nil, nil, fmt.Errorf("--audit-signing-key: %w", err)
		}
		opts.SigningKey = ed25519.PrivateKey(k)
	}
	if cfg.KeyFile != "" {
		k, err := seal.LoadKey(cfg.KeyFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--key-file: %w", err)
		}
		opts.SealKey = &k
	}
	w, err := audit.Open(cfg.AuditLog, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("--audit-log: %w", err)
	}
	return w, AuditLog(w), nil
}
