package cdshooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// basePath is where the routes live, by the specification.
const basePath = "/cds-services"

// httpError is an answer other than 200: status and a message that names
// the bad field but never holds patient data.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func fail(status int, msg string) error { return &httpError{status, msg} }

// ServeHTTP routes GET /cds-services, POST /cds-services/{id} and
// POST /cds-services/{id}/feedback, and answers CORS preflights.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowed := s.cors(w, r)
	id, feedback, ok := splitPath(r.URL.Path)
	if !ok {
		writeError(w, fail(http.StatusNotFound, "not found"))
		return
	}
	if r.Method == http.MethodOptions {
		s.preflight(w, allowed)
		return
	}
	want := http.MethodPost
	if id == "" {
		want = http.MethodGet
	}
	if r.Method != want && !(want == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", want+", OPTIONS")
		writeError(w, fail(http.StatusMethodNotAllowed, "method not allowed"))
		return
	}
	c, err := s.authorize(r, id)
	if err != nil {
		s.cfg.Logf("cds-hooks: 401 %s %s: %v", r.Method, routeName(id, feedback), err)
		w.Header().Set("WWW-Authenticate", `Bearer`)
		writeError(w, fail(http.StatusUnauthorized, "unauthorized"))
		return
	}
	if id == "" {
		writeJSON(w, s.discovery)
		return
	}
	e, known := s.entries[id]
	if !known {
		writeError(w, fail(http.StatusNotFound, "no CDS service with that id"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	if feedback {
		err = s.feedback(r, e, c)
		if err == nil {
			writeJSON(w, struct{}{})
		}
	} else {
		var resp *Response
		resp, err = s.call(r, e)
		if err == nil {
			writeJSON(w, resp)
		}
	}
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) {
			s.cfg.Logf("cds-hooks: 500 %s: %v", routeName(id, feedback), err)
			err = fail(http.StatusInternalServerError, "internal error")
		} else if he.status >= 412 {
			s.cfg.Logf("cds-hooks: %d %s: %s", he.status, routeName(id, feedback), he.msg)
		}
		writeError(w, err)
	}
}

// splitPath returns the service id ("" for discovery) and whether the
// path is its feedback route.
func splitPath(p string) (id string, feedback, ok bool) {
	rest, found := strings.CutPrefix(p, basePath)
	if !found {
		return "", false, false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return "", false, true
	}
	if rest[0] != '/' {
		return "", false, false
	}
	parts := strings.Split(rest[1:], "/")
	switch {
	case len(parts) == 1 && validName(parts[0]):
		return parts[0], false, true
	case len(parts) == 2 && validName(parts[0]) && parts[1] == "feedback":
		return parts[0], true, true
	}
	return "", false, false
}

func routeName(id string, feedback bool) string {
	switch {
	case id == "":
		return basePath
	case feedback:
		return basePath + "/" + id + "/feedback"
	}
	return basePath + "/" + id
}

// authorize checks the bearer JWT. Its aud must be the URL of the service
// called (for feedback too, as the specification defines aud as the
// service endpoint; the exact feedback URL is accepted as well), or of
// discovery for GET /cds-services.
func (s *Service) authorize(r *http.Request, id string) (claims, error) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		if len(s.cfg.Issuers) == 0 {
			return claims{}, errors.New("no issuer configured")
		}
		return claims{}, errors.New("no bearer token")
	}
	auds := []string{s.publicURL + basePath}
	if id != "" {
		auds = []string{s.publicURL + basePath + "/" + id, s.publicURL + basePath + "/" + id + "/feedback"}
	}
	return s.auth.verify(strings.TrimSpace(token), auds, s.cfg.Now())
}

// cors sets the CORS answer headers for an allow-listed Origin and
// reports whether it was one.
func (s *Service) cors(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !s.origins[origin] {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	return true
}

func (s *Service) preflight(w http.ResponseWriter, allowed bool) {
	if allowed {
		h := w.Header()
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, fail(http.StatusInternalServerError, "internal error"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{http.StatusInternalServerError, "internal error"}
	}
	b, _ := json.Marshal(map[string]string{"error": he.msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(he.status)
	w.Write(append(b, '\n'))
}
