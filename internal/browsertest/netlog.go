package browsertest

import (
	"encoding/json"
	"fmt"
)

// Request is one request a page made.
type Request struct {
	Method string
	URL    string
	// Initiator is the origin that caused the request ("" for the page
	// itself, which the browser navigated to).
	Initiator string
}

// notAnOrigin is what the net log says of a request no page initiated:
// the top-level navigation and the browser's own background requests.
const notAnOrigin = "not an origin"

// pageRequests reads a Chromium net log (--log-net-log) and returns the
// requests pages made: the main-frame navigation and every request with
// an initiating origin. The net log event numbers differ between Chromium
// versions, so the start-of-job event is looked up by name in the log's
// own constants.
func pageRequests(log []byte) ([]Request, error) {
	var nl struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
		Events []struct {
			Type   int `json:"type"`
			Params struct {
				URL         string `json:"url"`
				Method      string `json:"method"`
				Initiator   string `json:"initiator"`
				RequestType string `json:"request_type"`
			} `json:"params"`
		} `json:"events"`
	}
	if err := json.Unmarshal(log, &nl); err != nil {
		return nil, fmt.Errorf("browsertest: reading chromium's net log: %w", err)
	}
	start, ok := nl.Constants.LogEventTypes["URL_REQUEST_START_JOB"]
	if !ok {
		return nil, fmt.Errorf("browsertest: chromium's net log names no URL_REQUEST_START_JOB event")
	}
	var out []Request
	for _, e := range nl.Events {
		p := e.Params
		if e.Type != start || p.URL == "" {
			continue
		}
		switch {
		case p.RequestType == "main frame":
			out = append(out, Request{Method: p.Method, URL: p.URL})
		case p.Initiator != "" && p.Initiator != notAnOrigin:
			out = append(out, Request{Method: p.Method, URL: p.URL, Initiator: p.Initiator})
		}
	}
	return out, nil
}
