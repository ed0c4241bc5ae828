package serve

import (
	"errors"
	"net/http"
	"strconv"
)

// apiError is an answer other than 2xx. Messages are fixed strings or name
// a field; they never contain request text.
type apiError struct {
	status     int
	code       string
	message    string
	field      string
	retryAfter int // seconds; 0: no Retry-After header
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func badField(field, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", message: msg, field: field}
}

var (
	errNotFound   = &apiError{status: http.StatusNotFound, code: "not_found", message: "no such route"}
	errNoModel    = &apiError{status: http.StatusNotFound, code: "model_not_found", message: "no model with this name; see GET /v1/models"}
	errQueueFull  = &apiError{status: http.StatusServiceUnavailable, code: "queue_full", message: "too many requests are waiting; retry later", retryAfter: 1}
	errStopping   = &apiError{status: http.StatusServiceUnavailable, code: "shutting_down", message: "the server is shutting down", retryAfter: 1}
	errTimeout    = &apiError{status: http.StatusGatewayTimeout, code: "timeout", message: "the request did not finish within its deadline"}
	errInternal   = &apiError{status: http.StatusInternalServerError, code: "internal", message: "internal error; the request id is in the server log"}
	errAudit      = &apiError{status: http.StatusInternalServerError, code: "audit_failed", message: "the decision could not be recorded in the audit log, so it is not returned"}
	errAuthNeeded = &apiError{status: http.StatusUnauthorized, code: "unauthorized", message: "a valid bearer token is required (Authorization: Bearer TOKEN)"}
	errTooLarge   = &apiError{status: http.StatusRequestEntityTooLarge, code: "body_too_large", message: "the request body exceeds the limit"}
	errNoExplain  = &apiError{status: http.StatusUnprocessableEntity, code: "explain_unavailable", field: "explain",
		message: "this model cannot explain its answers (int8 models and sentence pairs cannot); ask without explain"}
	// errCanceled is never written: the client has gone.
	errCanceled = &apiError{status: 499, code: "canceled", message: "the client canceled the request"}
)

func methodNotAllowed(allow string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "use " + allow}
}

func tooLong(field string, maxLen int) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "text_too_long", field: field,
		message: "longer than the model's " + strconv.Itoa(maxLen) + " tokens and the server rejects long texts"}
}

// asAPIError maps any error to an apiError; unknown errors are internal.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return errInternal
}

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	status := e.status
	if status == errCanceled.status {
		status = http.StatusRequestTimeout // nobody reads it; keeps the access log a real HTTP status
	}
	writeJSON(w, status, ErrorResponse{
		Error:     ErrorDetail{Code: e.code, Message: e.message, Field: e.field},
		RequestID: requestID,
	})
}
