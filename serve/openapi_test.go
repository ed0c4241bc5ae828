package serve

import (
	"encoding/json"
	"fmt"
	"github.com/medbert/medbert/explain"
	"github.com/medbert/medbert/task/tokencls"
	"reflect"
	"sort"
	"strings"
	"testing"
)

type oaSchema struct {
	Type       string              `json:"type"`
	Ref        string              `json:"$ref"`
	Properties map[string]oaSchema `json:"properties"`
	Required   []string            `json:"required"`
	Items      *oaSchema           `json:"items"`
	OneOf      []oaSchema          `json:"oneOf"`
	AddProps   *bool               `json:"additionalProperties"`
}

type oaDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Security  *[]any `json:"security"`
		Responses map[string]struct {
			Content map[string]struct {
				Schema oaSchema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]oaSchema `json:"schemas"`
	} `json:"components"`
}

// wireTypes are the structs the handlers read and write, by schema name.
var wireTypes = map[string]reflect.Type{}

func init() {
	for _, v := range []any{DiagnoseRequest{}, Diagnosis{}, DiagnoseResponse{}, TextResult{}, BatchResponse{},
		ModelDescription{}, ModelsResponse{}, HealthResponse{}, ErrorDetail{}, ErrorResponse{}, explain.Explanation{}, explain.Word{}, NERRequest{}, NERResponse{}, tokencls.Entity{}, QARequest{}, QAResponse{}} {
		wireTypes[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
}

func loadOpenAPI(t *testing.T) oaDoc {
	t.Helper()
	var doc oaDoc
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	return doc
}

func TestOpenAPIRoutesMatchTheRouteTable(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := 0
	for _, ms := range doc.Paths {
		ops += len(ms)
	}
	if ops != len(Routes()) {
		t.Errorf("%d operations documented, %d routes served", ops, len(Routes()))
	}
	for _, rt := range Routes() {
		op, ok := doc.Paths[rt.Pattern][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is served but not documented", rt.Method, rt.Pattern)
			continue
		}
		if public := op.Security != nil && len(*op.Security) == 0; public != rt.Public {
			t.Errorf("%s %s: documented public=%v, served public=%v", rt.Method, rt.Pattern, public, rt.Public)
		}
	}
}

// TestOpenAPISchemasMatchTheStructs: every schema is a wire struct with
// the same JSON names, the same required set (fields without omitempty)
// and matching types, and refuses extra properties as the decoder does.
func TestOpenAPISchemasMatchTheStructs(t *testing.T) {
	doc := loadOpenAPI(t)
	if len(doc.Components.Schemas) != len(wireTypes) {
		t.Errorf("%d schemas documented, %d wire structs", len(doc.Components.Schemas), len(wireTypes))
	}
	for name, typ := range wireTypes {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("no schema for %s", name)
			continue
		}
		if s.AddProps == nil || *s.AddProps {
			t.Errorf("%s: additionalProperties should be false", name)
		}
		var props, required []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			props = append(props, tag)
			if opts != "omitempty" {
				required = append(required, tag)
			}
			if got, want := schemaType(s.Properties[tag]), goType(f.Type); got != want {
				t.Errorf("%s.%s: documented %s, Go %s", name, tag, got, want)
			}
		}
		if got, want := sortedJoin(keys(s.Properties)), sortedJoin(props); got != want {
			t.Errorf("%s properties %s, struct fields %s", name, got, want)
		}
		if got, want := sortedJoin(s.Required), sortedJoin(required); got != want {
			t.Errorf("%s required %s, struct %s", name, got, want)
		}
	}
}

func schemaType(s oaSchema) string {
	switch {
	case s.Ref != "":
		return strings.TrimPrefix(s.Ref, "#/components/schemas/")
	case s.Type == "array" && s.Items != nil:
		return "[]" + schemaType(*s.Items)
	}
	return s.Type
}

func goType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Slice:
		return "[]" + goType(t.Elem())
	case reflect.Struct:
		return t.Name()
	}
	return t.String()
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedJoin(s []string) string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return strings.Join(s, ",")
}

// TestOpenAPIDescribesLiveAnswers: the decoder accepts exactly the
// documented request properties, and every answer the server gives
// (status and body) is documented for its route.
func TestOpenAPIDescribesLiveAnswers(t *testing.T) {
	doc := loadOpenAPI(t)
	reqSchema := doc.Components.Schemas["DiagnoseRequest"]
	sample := map[string]string{"string": `"x"`, "[]string": `["x"]`, "integer": `2`, "boolean": `true`}
	for prop, s := range reqSchema.Properties {
		var req DiagnoseRequest
		if e := setField(&req, prop, json.RawMessage(sample[schemaType(s)])); e != nil {
			t.Errorf("documented request property %q refused: %v", prop, e)
		}
	}
	if e := setField(&DiagnoseRequest{}, "extra", json.RawMessage(`1`)); e == nil {
		t.Error("an undocumented property was accepted")
	}

	cfg := testConfig()
	cfg.RejectLong, cfg.MaxBody, cfg.MaxTexts = true, 2048, 2
	ts := startServer(t, cfg, nil)
	calls := []struct{ method, path, route, body string }{
		{"POST", "/diagnose", "/diagnose", `{"text": "cough"}`},
		{"POST", "/diagnose", "/diagnose", `{"texts": ["cough", "wheeze"]}`},
		{"POST", "/diagnose", "/diagnose", `{"text": 1}`},
		{"POST", "/diagnose", "/diagnose", `{"text": "` + strings.Repeat("x", 3000) + `"}`},
		{"POST", "/diagnose", "/diagnose", `{"text": "` + strings.Repeat("x ", 40) + `"}`},
		{"POST", "/diagnose", "/diagnose", `{"text": "PANIC"}`},
		{"GET", "/diagnose", "/diagnose", ``},
		{"POST", "/v1/models/dx:predict", "/v1/models/{name}:predict", `{"text": "cough"}`},
		{"POST", "/v1/models/none:predict", "/v1/models/{name}:predict", `{"text": "cough"}`},
		{"GET", "/v1/models", "/v1/models", ``},
		{"GET", "/healthz", "/healthz", ``},
		{"GET", "/readyz", "/readyz", ``},
		{"GET", "/metrics", "/metrics", ``},
		{"GET", "/openapi.json", "/openapi.json", ``},
	}
	for _, c := range calls {
		status, hdr, body := ts.do(t, c.method, c.path, c.body)
		op, ok := doc.Paths[c.route][strings.ToLower(c.method)]
		if !ok {
			op = doc.Paths["/diagnose"]["post"] // a 405: the route's errors are documented there
		}
		resp, ok := op.Responses[fmt.Sprint(status)]
		if !ok {
			t.Errorf("%s %s: status %d is not documented", c.method, c.path, status)
			continue
		}
		ct, _, _ := strings.Cut(hdr.Get("Content-Type"), ";")
		media, ok := resp.Content[ct]
		if !ok {
			t.Errorf("%s %s %d: content type %q not documented", c.method, c.path, status, ct)
			continue
		}
		if ct == "application/json" && c.path != "/openapi.json" {
			if err := matchesSchema(doc, media.Schema, body); err != nil {
				t.Errorf("%s %s %d: %v\n%s", c.method, c.path, status, err, body)
			}
		}
	}
}

// matchesSchema checks a body's top-level keys against a schema (one of
// several for oneOf): no undocumented key, no missing required key.
func matchesSchema(doc oaDoc, s oaSchema, body []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return err
	}
	candidates := s.OneOf
	if len(candidates) == 0 {
		candidates = []oaSchema{s}
	}
	var errs []string
	for _, c := range candidates {
		c = doc.Components.Schemas[strings.TrimPrefix(c.Ref, "#/components/schemas/")]
		var bad []string
		for k := range obj {
			if _, ok := c.Properties[k]; !ok {
				bad = append(bad, "extra "+k)
			}
		}
		for _, r := range c.Required {
			if _, ok := obj[r]; !ok {
				bad = append(bad, "missing "+r)
			}
		}
		if len(bad) == 0 {
			return nil
		}
		errs = append(errs, strings.Join(bad, ", "))
	}
	return fmt.Errorf("body matches no documented schema: %s", strings.Join(errs, " | "))
}
