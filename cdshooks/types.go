package cdshooks

import (
	"encoding/json"
	"time"
)

// The CDS Hooks 2.0.1 wire types this package reads and writes. Optional
// fields carry omitempty so an empty one is left out, never sent as null,
// "" or [].

// Discovery is the body of GET /cds-services.
type Discovery struct {
	Services []ServiceDefinition `json:"services"`
}

// ServiceDefinition describes one CDS service in discovery.
type ServiceDefinition struct {
	Hook              string            `json:"hook"`
	Title             string            `json:"title,omitempty"`
	Description       string            `json:"description"`
	ID                string            `json:"id"`
	Prefetch          map[string]string `json:"prefetch,omitempty"`
	UsageRequirements string            `json:"usageRequirements,omitempty"`
}

// HookRequest is the body of POST /cds-services/{id}.
type HookRequest struct {
	Hook              string                     `json:"hook"`
	HookInstance      string                     `json:"hookInstance"`
	FHIRServer        string                     `json:"fhirServer,omitempty"`
	FHIRAuthorization *FHIRAuthorization         `json:"fhirAuthorization,omitempty"`
	Context           HookContext                `json:"context"`
	Prefetch          map[string]json.RawMessage `json:"prefetch,omitempty"`
}

// FHIRAuthorization is the OAuth 2.0 access token the EHR grants for
// fetching from its FHIR server.
type FHIRAuthorization struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in,omitempty"`
	Scope       string `json:"scope,omitempty"`
	Subject     string `json:"subject,omitempty"`
	Patient     string `json:"patient,omitempty"`
}

// HookContext holds the context fields of patient-view and
// encounter-discharge.
type HookContext struct {
	UserID      string `json:"userId,omitempty"`
	PatientID   string `json:"patientId"`
	EncounterID string `json:"encounterId,omitempty"`
}

// Response is the body a hook call answers with. Cards is always present,
// empty when there is nothing to say.
type Response struct {
	Cards []Card `json:"cards"`
}

// Card is one piece of decision support shown by the EHR.
type Card struct {
	UUID              string       `json:"uuid,omitempty"`
	Summary           string       `json:"summary"`
	Detail            string       `json:"detail,omitempty"`
	Indicator         string       `json:"indicator"`
	Source            Source       `json:"source"`
	Suggestions       []Suggestion `json:"suggestions,omitempty"`
	SelectionBehavior string       `json:"selectionBehavior,omitempty"`
	OverrideReasons   []Coding     `json:"overrideReasons,omitempty"`
}

// Source names what produced a card.
type Source struct {
	Label string  `json:"label"`
	URL   string  `json:"url,omitempty"`
	Topic *Coding `json:"topic,omitempty"`
}

// Suggestion is a set of actions the clinician may accept in one click.
type Suggestion struct {
	Label   string   `json:"label"`
	UUID    string   `json:"uuid,omitempty"`
	Actions []Action `json:"actions,omitempty"`
}

// Action is one change a suggestion makes in the EHR.
type Action struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Resource    any    `json:"resource,omitempty"`
}

// FeedbackRequest is the body of POST /cds-services/{id}/feedback.
type FeedbackRequest struct {
	Feedback []Feedback `json:"feedback"`
}

// Feedback reports what the clinician did with one card.
type Feedback struct {
	Card                string               `json:"card"`
	Outcome             string               `json:"outcome"`
	AcceptedSuggestions []AcceptedSuggestion `json:"acceptedSuggestions,omitempty"`
	OverrideReason      *OverrideReason      `json:"overrideReason,omitempty"`
	OutcomeTimestamp    string               `json:"outcomeTimestamp"`
}

// AcceptedSuggestion names an accepted suggestion by its uuid.
type AcceptedSuggestion struct {
	ID string `json:"id"`
}

// OverrideReason is why a clinician dismissed a card.
type OverrideReason struct {
	Reason      *Coding `json:"reason,omitempty"`
	UserComment string  `json:"userComment,omitempty"`
}

// FeedbackRecord is what Config.Audit receives for each feedback item.
// UserComment is the clinician's free text and may hold patient details:
// an audit trail that must not keep text should hash or drop it.
type FeedbackRecord struct {
	ServiceID           string
	Model               string
	ModelSHA256         string
	Card                string // the card's uuid
	Outcome             string // "accepted" or "overridden"
	AcceptedSuggestions []string
	ReasonCode          string // overrideReason.reason.code
	ReasonSystem        string
	ReasonDisplay       string
	UserComment         string
	OutcomeTime         time.Time
	Issuer              string // the caller: the JWT's iss
	Subject             string // and sub (the EHR's client id)
}
