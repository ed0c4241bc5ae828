package cdshooks

import "encoding/json"

// The few FHIR R4 types this package reads (DocumentReference, Bundle,
// Condition) and writes (Condition, RiskAssessment), written by hand:
// only the elements used here, optional ones omitted when empty.

// Coding is an R4 Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is an R4 CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference is an R4 Reference.
type Reference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

// Attachment is an R4 Attachment.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Data        string `json:"data,omitempty"` // base64, decoded by noteText
	URL         string `json:"url,omitempty"`
	Title       string `json:"title,omitempty"`
}

// DocumentReference is an R4 DocumentReference (a clinical note).
type DocumentReference struct {
	ResourceType string                     `json:"resourceType"`
	ID           string                     `json:"id,omitempty"`
	Status       string                     `json:"status,omitempty"`
	Subject      *Reference                 `json:"subject,omitempty"`
	Content      []DocumentReferenceContent `json:"content,omitempty"`
}

// DocumentReferenceContent is one DocumentReference.content element.
type DocumentReferenceContent struct {
	Attachment Attachment `json:"attachment"`
}

// Bundle is an R4 Bundle; entries keep their resource raw until its
// resourceType is known.
type Bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Entry        []BundleEntry `json:"entry,omitempty"`
}

// BundleEntry is one Bundle.entry element.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
}

// Condition is an R4 Condition.
type Condition struct {
	ResourceType       string           `json:"resourceType"`
	ID                 string           `json:"id,omitempty"`
	ClinicalStatus     *CodeableConcept `json:"clinicalStatus,omitempty"`
	VerificationStatus *CodeableConcept `json:"verificationStatus,omitempty"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Subject            Reference        `json:"subject"`
	Encounter          *Reference       `json:"encounter,omitempty"`
	RecordedDate       string           `json:"recordedDate,omitempty"`
}

// RiskAssessment is an R4 RiskAssessment.
type RiskAssessment struct {
	ResourceType       string           `json:"resourceType"`
	Status             string           `json:"status"`
	Method             *CodeableConcept `json:"method,omitempty"`
	Subject            Reference        `json:"subject"`
	Encounter          *Reference       `json:"encounter,omitempty"`
	OccurrenceDateTime string           `json:"occurrenceDateTime,omitempty"`
	Prediction         []Prediction     `json:"prediction,omitempty"`
}

// Prediction is one RiskAssessment.prediction element.
type Prediction struct {
	Outcome            *CodeableConcept `json:"outcome,omitempty"`
	ProbabilityDecimal float64          `json:"probabilityDecimal"`
}

// Code systems of the Condition status elements (FHIR R4 terminology).
const (
	systemConditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	systemConditionVerStat  = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
)

// resourceHead reads only a resource's type, to pick its Go type.
type resourceHead struct {
	ResourceType string `json:"resourceType"`
}
