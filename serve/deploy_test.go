package serve

import (
	"net"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestYAMLSubset(t *testing.T) {
	src := `# comment
a: 1
b:
  c: "x # not a comment"
  d:
  - e: 'it''s'
    f: g   # trailing comment
  - plain
  -
    - nested
---
h: [flow]
`
	if _, err := parseYAML(src); err == nil {
		t.Fatal("flow style accepted")
	}
	docs, err := parseYAML(strings.Split(src, "---")[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []any{map[string]any{"a": "1", "b": map[string]any{"c": "x # not a comment",
		"d": []any{map[string]any{"e": "it's", "f": "g"}, "plain", []any{"nested"}}}}}
	if !reflect.DeepEqual(docs, want) {
		t.Errorf("got %#v\nwant %#v", docs, want)
	}
	if _, err := parseYAML("a: 1\na: 2\n"); err == nil {
		t.Error("duplicate key accepted")
	}
}

// at walks maps by key and sequences by index written as a string.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i := slices.Index([]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, k)
			if i < 0 || i >= len(x) {
				t.Fatalf("index %s out of range at %v", k, keys)
			}
			v = x[i]
		default:
			t.Fatalf("no %q in %v (path %v)", k, v, keys)
		}
	}
	return v
}

func str(t *testing.T, v any, keys ...string) string {
	t.Helper()
	s, ok := at(t, v, keys...).(string)
	if !ok {
		t.Fatalf("%v is not a string", keys)
	}
	return s
}

func loadManifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, _ := filepath.Glob("../deploy/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in ../deploy")
	}
	byKind := map[string]map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := parseYAML(string(data))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, d := range docs {
			m := d.(map[string]any)
			byKind[str(t, m, "kind")] = m
		}
	}
	return byKind
}

// flagArgs splits container args after the subcommand into --flag → value
// (booleans "true"), failing on anything else.
func flagArgs(t *testing.T, args []any, known []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 1; i < len(args); i++ {
		a := args[i].(string)
		name, ok := strings.CutPrefix(a, "--")
		if !ok || !slices.Contains(known, name) {
			t.Errorf("arg %q is not one of the flags %v", a, known)
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1].(string), "--") {
			out[name] = args[i+1].(string)
			i++
		} else {
			out[name] = "true"
		}
	}
	return out
}

func TestDeploymentMatchesTheServer(t *testing.T) {
	k := loadManifests(t)
	dep := k["Deployment"]
	pod := at(t, dep, "spec", "template", "spec")
	c := at(t, pod, "containers", "0")
	args := at(t, c, "args").([]any)
	if args[0] != "serve" {
		t.Fatalf("Deployment runs %q, want serve", args[0])
	}
	flags := flagArgs(t, args, FlagNames)
	for _, name := range []string{"max-batch", "queue", "threads"} {
		if v, ok := flags[name]; ok && !regexp.MustCompile(`^[0-9]+$`).MatchString(v) {
			t.Errorf("--%s %q is not an integer", name, v)
		}
	}
	if v, ok := flags["max-body"]; ok {
		if _, err := ParseSize(v); err != nil {
			t.Error(err)
		}
	}
	if v := flags["audit-sync"]; v != "" && v != "strict" && v != "group" {
		t.Errorf("--audit-sync %q", v)
	}

	// The listen port is the container port the probes and the Service use.
	_, port, err := net.SplitHostPort(flags["addr"])
	if err != nil {
		t.Fatalf("--addr %q: %v", flags["addr"], err)
	}
	portName := str(t, c, "ports", "0", "name")
	if str(t, c, "ports", "0", "containerPort") != port {
		t.Errorf("containerPort %s, --addr port %s", str(t, c, "ports", "0", "containerPort"), port)
	}
	scheme := "HTTP"
	if flags["tls-cert"] != "" {
		scheme = "HTTPS"
	}
	public := map[string]bool{}
	for _, rt := range Routes() {
		if rt.Public && rt.Method == "GET" {
			public[rt.Pattern] = true
		}
	}
	for probe, want := range map[string]string{"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		g := at(t, c, probe, "httpGet")
		if p := str(t, g, "path"); p != want || !public[p] {
			t.Errorf("%s path %q, want %s (a public GET route)", probe, p, want)
		}
		if p := str(t, g, "port"); p != portName && p != port {
			t.Errorf("%s port %q, want %s", probe, p, portName)
		}
		if s := str(t, g, "scheme"); s != scheme {
			t.Errorf("%s scheme %s, want %s", probe, s, scheme)
		}
	}
	if flags["client-ca"] != "" {
		t.Error("--client-ca with httpGet probes: the kubelet cannot present a client certificate")
	}

	// Every file flag points into a mounted volume; secrets into the
	// projected secret volume, under the name the projection gives them.
	mounts := map[string]string{} // mountPath → volume name
	for _, m := range at(t, c, "volumeMounts").([]any) {
		mounts[str(t, m, "mountPath")] = str(t, m, "name")
	}
	volumes := map[string]any{}
	for _, v := range at(t, pod, "volumes").([]any) {
		volumes[str(t, v, "name")] = v
	}
	projected := map[string]bool{}
	for _, f := range []string{"token-file", "tls-cert", "tls-key", "key-file", "client-ca", "audit-log", "model"} {
		p, ok := flags[f]
		if !ok {
			continue
		}
		dir, vol := path.Dir(p), ""
		for d := p; vol == "" && d != "/"; d = path.Dir(d) {
			vol = mounts[d]
		}
		if vol == "" {
			t.Errorf("--%s %s is on no mounted volume", f, p)
			continue
		}
		if f == "audit-log" || f == "model" {
			continue
		}
		if projected[p] {
			continue
		}
		for _, src := range at(t, volumes[vol], "projected", "sources").([]any) {
			for _, it := range at(t, src, "secret", "items").([]any) {
				projected[path.Join(dir, str(t, it, "path"))] = true
			}
		}
		if !projected[p] {
			t.Errorf("--%s %s: no secret item is projected there", f, p)
		}
	}
	for _, m := range at(t, c, "volumeMounts").([]any) {
		if str(t, m, "mountPath") == path.Dir(flags["audit-log"]) && at(t, m, "readOnly") == "true" {
			t.Error("the audit log's volume is read-only")
		}
	}

	// Non-root, bounded resources, and a grace period longer than the
	// server's shutdown bound.
	if at(t, pod, "securityContext", "runAsNonRoot") != "true" || str(t, pod, "securityContext", "runAsUser") == "0" {
		t.Error("the pod may run as root")
	}
	for _, r := range []string{"cpu", "memory"} {
		if at(t, c, "resources", "requests", r) == nil || at(t, c, "resources", "limits", r) == nil {
			t.Errorf("no %s request or limit", r)
		}
	}
	grace, err := strconv.Atoi(str(t, pod, "terminationGracePeriodSeconds"))
	shutdown, err2 := time.ParseDuration(flags["shutdown-timeout"])
	if err != nil || err2 != nil || time.Duration(grace)*time.Second <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %d must exceed --shutdown-timeout %v (%v %v)", grace, shutdown, err, err2)
	}

	// The Service and the autoscaler point at this Deployment.
	svc := k["Service"]
	labels := at(t, dep, "spec", "template", "metadata", "labels").(map[string]any)
	if !reflect.DeepEqual(at(t, svc, "spec", "selector"), labels) {
		t.Errorf("Service selector %v, pod labels %v", at(t, svc, "spec", "selector"), labels)
	}
	if tp := str(t, svc, "spec", "ports", "0", "targetPort"); tp != portName && tp != port {
		t.Errorf("Service targetPort %s, container port %s/%s", tp, portName, port)
	}
	hpa := k["HorizontalPodAutoscaler"]
	if str(t, hpa, "spec", "scaleTargetRef", "kind") != "Deployment" ||
		str(t, hpa, "spec", "scaleTargetRef", "name") != str(t, dep, "metadata", "name") {
		t.Error("the HorizontalPodAutoscaler does not target the Deployment")
	}
}

// predictFlags are the `medbert predict` flags the batch Job uses.
var predictFlags = []string{"model", "shard-index", "shard-count", "in", "out", "batch-size", "max-seq-length"}

func TestPredictJobIsIndexed(t *testing.T) {
	job := loadManifests(t)["Job"]
	if str(t, job, "spec", "completionMode") != "Indexed" {
		t.Fatal("the predict Job is not Indexed")
	}
	args := at(t, job, "spec", "template", "spec", "containers", "0", "args").([]any)
	if args[0] != "predict" {
		t.Fatalf("the Job runs %q, want predict", args[0])
	}
	flags := flagArgs(t, args, predictFlags)
	if flags["shard-count"] != str(t, job, "spec", "completions") {
		t.Errorf("--shard-count %s, completions %s", flags["shard-count"], str(t, job, "spec", "completions"))
	}
	if flags["shard-index"] != "$(JOB_COMPLETION_INDEX)" || !strings.Contains(flags["out"], "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("shard index %q and output %q must come from JOB_COMPLETION_INDEX", flags["shard-index"], flags["out"])
	}
	if flags["in"] == "" || flags["model"] == "" {
		t.Error("--in or --model missing")
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(df)
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	switch {
	case user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root"):
		t.Error("the image does not switch to a non-root USER")
	case len(froms) < 2:
		t.Error("not a multi-stage build")
	case !strings.HasPrefix(froms[len(froms)-1][1], "gcr.io/distroless/static") && froms[len(froms)-1][1] != "scratch":
		t.Errorf("final stage on %s, want distroless/static or scratch", froms[len(froms)-1][1])
	case !strings.Contains(df, "CGO_ENABLED=0"):
		t.Error("the binary is not built with CGO_ENABLED=0")
	case !regexp.MustCompile(`(?m)^EXPOSE 8080$`).MatchString(df):
		t.Error("EXPOSE does not match the Deployment's port 8080")
	}
}
