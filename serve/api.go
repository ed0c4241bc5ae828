package serve

import "github.com/medbert/medbert/explain"

// The JSON bodies of the API. Field names here are the wire names; the
// OpenAPI document (openapi.json) describes the same structs, and a test
// keeps the two equal.

// Disclaimer accompanies every answer.
const Disclaimer = "decision support for a qualified clinician: the scores are a model's estimate, not a diagnosis; review is required"

// DiagnoseRequest is the body of POST /diagnose and
// POST /v1/models/{name}:predict: either "text" (with an optional
// "text_pair") or "texts" (with optional "text_pairs" of the same length).
type DiagnoseRequest struct {
	Text      *string  `json:"text,omitempty"`
	TextPair  *string  `json:"text_pair,omitempty"`
	Texts     []string `json:"texts,omitempty"`
	TextPairs []string `json:"text_pairs,omitempty"`
	TopK      *int     `json:"top_k,omitempty"`
	// Explain asks for the top diagnosis's word attributions (integrated
	// gradients); with "text" only.
	Explain *bool `json:"explain,omitempty"`
	// Model names the served model to ask (default: the first --model, or
	// the one in the URL, which it must then equal).
	Model *string `json:"model,omitempty"`
}

// Diagnosis is one label with its probability.
type Diagnosis struct {
	Label string  `json:"label"`
	Score float64 `json:"score"`
}

// DiagnoseResponse answers a request with "text".
type DiagnoseResponse struct {
	Diagnoses      []Diagnosis `json:"diagnoses"`
	Truncated      bool        `json:"truncated"`
	Model          string      `json:"model"`
	ModelSHA256    string      `json:"model_sha256"`
	RequestID      string      `json:"request_id"`
	ReviewRequired bool        `json:"review_required"`
	Disclaimer     string      `json:"disclaimer"`
	// Explanation is present when the request asked for it.
	Explanation *explain.Explanation `json:"explanation,omitempty"`
}

// TextResult is one entry of BatchResponse.Results.
type TextResult struct {
	Diagnoses []Diagnosis `json:"diagnoses"`
	Truncated bool        `json:"truncated"`
}

// BatchResponse answers a request with "texts", results in input order.
type BatchResponse struct {
	Results        []TextResult `json:"results"`
	Model          string       `json:"model"`
	ModelSHA256    string       `json:"model_sha256"`
	RequestID      string       `json:"request_id"`
	ReviewRequired bool         `json:"review_required"`
	Disclaimer     string       `json:"disclaimer"`
}

// ModelDescription is one entry of GET /v1/models.
type ModelDescription struct {
	Name      string   `json:"name"`
	Task      string   `json:"task"`
	Labels    []string `json:"labels"`
	SHA256    string   `json:"sha256"`
	Int8      bool     `json:"int8"`
	MaxLength int      `json:"max_length"`
	Default   bool     `json:"default"`
}

// ModelsResponse is the body of GET /v1/models.
type ModelsResponse struct {
	Models []ModelDescription `json:"models"`
}

// HealthResponse is the body of GET /healthz and GET /readyz.
type HealthResponse struct {
	Status string `json:"status"`
}

// ErrorDetail says what went wrong, naming the request field when one is
// at fault; it never repeats the field's value.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	Error     ErrorDetail `json:"error"`
	RequestID string      `json:"request_id"`
}
