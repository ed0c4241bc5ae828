package cdshooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// resolve fills a prefetch template's context tokens, URL-escaped.
func resolve(template string, c HookContext) string {
	return strings.NewReplacer(
		"{{context.patientId}}", url.QueryEscape(c.PatientID),
		"{{context.encounterId}}", url.QueryEscape(c.EncounterID),
		"{{context.userId}}", url.QueryEscape(c.UserID),
	).Replace(template)
}

// prefetched returns the value of prefetch key, from the request when the
// EHR filled it and otherwise from the EHR's FHIR server. Neither possible
// is the specification's 412.
func (s *Service) prefetched(ctx context.Context, req *HookRequest, key string, read func(json.RawMessage, string) error) error {
	if raw, ok := req.Prefetch[key]; ok {
		err := read(raw, "prefetch."+key)
		if err != notSatisfied {
			return err
		}
	}
	if req.FHIRServer == "" || req.FHIRAuthorization == nil {
		return fail(http.StatusPreconditionFailed, "prefetch "+key+" missing and no fhirServer with fhirAuthorization to fetch it")
	}
	raw, err := s.fetch(ctx, req, resolve(prefetchTemplates[key], req.Context))
	if err != nil {
		// The reason may name the server; it never holds the query (the
		// patient id) or the token.
		s.cfg.Logf("cds-hooks: fetch %s: %v", key, err)
		return fail(http.StatusPreconditionFailed, "prefetch "+key+" missing and the FHIR server fetch failed")
	}
	err = read(raw, "fhirServer "+key)
	if err == notSatisfied {
		return fail(http.StatusPreconditionFailed, "the FHIR server answered "+key+" with an OperationOutcome")
	}
	return err
}

// fetch GETs query (a resolved template) from the EHR's FHIR server with
// its bearer token, within FetchTimeout and MaxFetch bytes.
func (s *Service) fetch(ctx context.Context, req *HookRequest, query string) (json.RawMessage, error) {
	base, err := url.Parse(strings.TrimRight(req.FHIRServer, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil {
		return nil, errors.New("fhirServer is not an http(s) URL")
	}
	auth := req.FHIRAuthorization
	if !strings.EqualFold(auth.TokenType, "Bearer") || auth.AccessToken == "" {
		return nil, errors.New("fhirAuthorization is not a bearer token")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+"/"+query, nil)
	if err != nil {
		return nil, errors.New("cannot build the request")
	}
	hr.Header.Set("Accept", "application/fhir+json")
	hr.Header.Set("Authorization", "Bearer "+auth.AccessToken)
	resp, err := s.cfg.HTTPClient.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%s: request failed (%s)", base.Host, errorKind(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: status %d", base.Host, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, s.cfg.MaxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer failed (%s)", base.Host, errorKind(err))
	}
	if int64(len(b)) > s.cfg.MaxFetch {
		return nil, fmt.Errorf("%s: answer larger than %d bytes", base.Host, s.cfg.MaxFetch)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s: answer is not JSON", base.Host)
	}
	return b, nil
}

// errorKind names a transport error without its URL (which holds the
// patient id in the query).
func errorKind(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
