package cdshooks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Hooks served for every model.
const (
	HookPatientView        = "patient-view"
	HookEncounterDischarge = "encounter-discharge"
)

// Model is one served sequence-classification model.
type Model struct {
	Name   string // [A-Za-z0-9._-]: it is part of the service ids
	SHA256 string // of the weights, shown on every card
	Labels []string
	Task   string
}

// Config configures a Service. Zero numeric fields take the defaults
// documented on each.
type Config struct {
	Models []Model
	// Score returns, for each text, the softmax probabilities by label
	// index of model. The server routes it through its micro-batcher.
	Score func(ctx context.Context, model string, texts []string) ([][]float64, error)
	// Issuers maps each allowed JWT iss to its keys. With none, every
	// route answers 401.
	Issuers map[string]JWKS
	// PublicURL is the externally visible base URL (scheme://host[:port]);
	// a token's aud must equal PublicURL+"/cds-services/"+id exactly.
	PublicURL string
	// WarningAt and CriticalAt pick a card's indicator from its top score
	// (info below WarningAt). Both zero: 0.5 and 0.8.
	WarningAt, CriticalAt float64
	// TopK is how many diagnoses a card lists and suggests (default 3).
	TopK int
	// AllowedOrigins are the EHR web origins (scheme://host[:port]) that
	// get CORS headers; others get none.
	AllowedOrigins []string
	// Audit records feedback; nil discards it.
	Audit func(ctx context.Context, r FeedbackRecord) error
	// Logf receives why a call was refused or failed; never a token or
	// patient data. nil: no log.
	Logf func(format string, args ...any)
	// HTTPClient fetches from the EHR's FHIR server (default: a zero
	// http.Client; it drops the Authorization header on a redirect to
	// another host). FetchTimeout bounds each fetch whatever its Timeout.
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// CacheSize is how many notes' scores are kept (default 4096,
	// negative: no cache).
	CacheSize int
	// ReplayCacheSize bounds the remembered jti values (default 100000).
	ReplayCacheSize int
	// MaxNotes is how many notes a call scores at most (default 20, the
	// prefetch template's _count); the rest are ignored.
	MaxNotes int
	// MaxBody bounds a request body (default 8 MiB) and MaxFetch a FHIR
	// server's answer (default 8 MiB).
	MaxBody, MaxFetch int64
	// FetchTimeout bounds one FHIR server fetch (default 5 s).
	FetchTimeout time.Duration
}

// Service answers the CDS Hooks routes. It is safe for concurrent use.
type Service struct {
	cfg       Config
	entries   map[string]entry // by service id
	discovery Discovery
	auth      *verifier
	cache     *scoreCache
	origins   map[string]bool
	publicURL string
}

// entry is one CDS service: a model on a hook.
type entry struct {
	id    string
	hook  string
	model Model
}

// New checks cfg and builds the Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("cdshooks: %w", err)
	}
	s := &Service{
		cfg:       cfg,
		entries:   map[string]entry{},
		auth:      &verifier{issuers: cfg.Issuers, replay: newReplayCache(cfg.ReplayCacheSize)},
		cache:     newScoreCache(cfg.CacheSize),
		origins:   map[string]bool{},
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
	}
	for _, o := range cfg.AllowedOrigins {
		s.origins[strings.TrimRight(o, "/")] = true
	}
	s.discovery.Services = []ServiceDefinition{}
	for _, m := range cfg.Models {
		for _, hook := range []string{HookPatientView, HookEncounterDischarge} {
			e := entry{id: m.Name + "-" + hook, hook: hook, model: m}
			if _, dup := s.entries[e.id]; dup {
				return nil, fmt.Errorf("cdshooks: service id %s given twice", e.id)
			}
			s.entries[e.id] = e
			s.discovery.Services = append(s.discovery.Services, definition(e))
		}
	}
	return s, nil
}

func (c *Config) setDefaults() error {
	if len(c.Models) == 0 {
		return errors.New("no model")
	}
	for i, m := range c.Models {
		if !validName(m.Name) {
			return fmt.Errorf("models[%d]: name %q must match [A-Za-z0-9._-]{1,64}", i, m.Name)
		}
		if len(m.Labels) == 0 {
			return fmt.Errorf("model %s: no labels", m.Name)
		}
	}
	if c.Score == nil {
		return errors.New("no Score function")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public URL %q is not an absolute http(s) base URL", c.PublicURL)
	}
	if c.WarningAt == 0 && c.CriticalAt == 0 {
		c.WarningAt, c.CriticalAt = 0.5, 0.8
	}
	if !(c.WarningAt > 0 && c.WarningAt <= c.CriticalAt && c.CriticalAt <= 1) {
		return fmt.Errorf("thresholds: need 0 < warning (%g) <= critical (%g) <= 1", c.WarningAt, c.CriticalAt)
	}
	setDefault(&c.TopK, 3)
	setDefault(&c.CacheSize, 4096)
	setDefault(&c.ReplayCacheSize, 100000)
	setDefault(&c.MaxNotes, 20)
	setDefault(&c.MaxBody, 8<<20)
	setDefault(&c.MaxFetch, 8<<20)
	setDefault(&c.FetchTimeout, 5*time.Second)
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// Prefetch keys and their templates.
const (
	prefetchNotes      = "notes"
	prefetchConditions = "conditions"
)

var prefetchTemplates = map[string]string{
	prefetchNotes:      "DocumentReference?patient={{context.patientId}}&status=current&_count=20",
	prefetchConditions: "Condition?patient={{context.patientId}}",
}

// definition is e's discovery entry. Conditions are asked for only where
// they are used (encounter-discharge), so the EHR sends no more patient
// data than the service needs.
func definition(e entry) ServiceDefinition {
	d := ServiceDefinition{
		Hook: e.hook,
		ID:   e.id,
		Prefetch: map[string]string{
			prefetchNotes: prefetchTemplates[prefetchNotes],
		},
	}
	switch e.hook {
	case HookPatientView:
		d.Title = "medbert " + e.model.Name + ": likely diagnoses from the notes"
		d.Description = fmt.Sprintf("Reads the patient's current clinical notes and suggests the likeliest of %d diagnoses "+
			"(model %s), as decision support for review by a qualified clinician.", len(e.model.Labels), e.model.Name)
	case HookEncounterDischarge:
		d.Title = "medbert " + e.model.Name + ": uncoded diagnoses at discharge"
		d.Description = fmt.Sprintf("At discharge, reads the patient's current clinical notes and suggests likely diagnoses "+
			"(model %s) not yet coded as Conditions, as decision support for review by a qualified clinician.", e.model.Name)
		d.Prefetch[prefetchConditions] = prefetchTemplates[prefetchConditions]
	}
	return d
}
