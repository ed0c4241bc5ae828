package serve

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting of `medbert serve`. DefaultConfig gives the
// defaults; BindFlags defines the command-line flags onto it.
type Config struct {
	Models []ModelSpec // --model, repeatable: DIR or name=DIR

	Addr      string        // --addr
	MaxBatch  int           // --max-batch: inputs per forward pass
	BatchWait time.Duration // --batch-wait: how long a batch waits to fill
	Queue     int           // --queue: requests waiting per model before 503
	Threads   int           // --threads: compute threads (applied by the caller to kernels)
	MaxBody   int64         // --max-body: request body limit in bytes (413 above)
	MaxTexts  int           // --max-texts: inputs per request (400 above)
	Timeout   time.Duration // --timeout: per-request deadline (504 after)
	// RejectLong answers 422 for an input longer than the model's
	// MaxLength instead of truncating it and flagging "truncated".
	RejectLong bool // --reject-long

	TokenFile string // --token-file: bearer tokens, one per line ("TOKEN" or "NAME TOKEN")
	TLSCert   string // --tls-cert
	TLSKey    string // --tls-key
	ClientCA  string // --client-ca: require client certificates signed by this CA

	AuditLog         string // --audit-log: used by the caller to build the Auditor
	AuditSync        string // --audit-sync: strict|group
	AuditIncludeText bool   // --audit-include-text: pass note text to the Auditor
	AuditSigningKey  string // --audit-signing-key: Ed25519 private key for signed checkpoints (medbert audit keygen)
	KeyFile          string // --key-file: at-rest encryption key (audit log, encrypted models)

	// CDS Hooks (package cdshooks), mounted at /cds-services.
	CDSIssuers []string // --cds-issuer ISS=JWKS_FILE, repeatable: the EHRs allowed to call
	PublicURL  string   // --public-url: the base URL the EHR calls (a JWT's aud); default http://ADDR
	CDSOrigins []string // --cds-origin, repeatable: EHR web origins that get CORS headers

	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after shutdown starts.
	ShutdownTimeout time.Duration // --shutdown-timeout
}

// ModelSpec is one --model value.
type ModelSpec struct {
	Name string // defaults to the folder's base name
	Dir  string
}

// DefaultConfig returns the defaults documented on each flag.
func DefaultConfig() Config {
	return Config{
		Addr:            "127.0.0.1:8080",
		MaxBatch:        16,
		BatchWait:       5 * time.Millisecond,
		Queue:           256,
		MaxBody:         1 << 20,
		MaxTexts:        64,
		Timeout:         30 * time.Second,
		AuditSync:       "group",
		ShutdownTimeout: 20 * time.Second,
	}
}

// FlagNames lists the flags BindFlags defines, in order. Deployment
// manifests are checked against it.
var FlagNames = []string{
	"model", "addr", "max-batch", "batch-wait", "queue", "threads", "max-body",
	"max-texts", "timeout", "reject-long", "token-file", "tls-cert", "tls-key",
	"client-ca", "audit-log", "audit-sync", "audit-include-text", "audit-signing-key", "key-file",
	"cds-issuer", "public-url", "cds-origin", "shutdown-timeout",
}

// BindFlags defines the serve flags on fs, writing into cfg, whose current
// values are the defaults shown by --help.
func BindFlags(fs *flag.FlagSet, cfg *Config) {
	fs.Var((*modelsFlag)(&cfg.Models), "model", "model folder to serve, DIR or name=DIR (repeatable; the first answers /diagnose)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address host:port")
	fs.IntVar(&cfg.MaxBatch, "max-batch", cfg.MaxBatch, "most inputs per forward pass")
	fs.DurationVar(&cfg.BatchWait, "batch-wait", cfg.BatchWait, "longest wait for a batch to fill")
	fs.IntVar(&cfg.Queue, "queue", cfg.Queue, "requests waiting per model before answering 503")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "compute threads (0: all cores)")
	fs.Var((*sizeFlag)(&cfg.MaxBody), "max-body", "largest request body, e.g. 1MiB, 512KiB or bytes")
	fs.IntVar(&cfg.MaxTexts, "max-texts", cfg.MaxTexts, "most texts in one request")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request deadline (504 after)")
	fs.BoolVar(&cfg.RejectLong, "reject-long", cfg.RejectLong, "answer 422 for texts longer than the model's max length instead of truncating")
	fs.StringVar(&cfg.TokenFile, "token-file", cfg.TokenFile, "file of accepted bearer tokens, one per line: TOKEN or NAME TOKEN")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "TLS certificate chain (PEM)")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "TLS private key (PEM)")
	fs.StringVar(&cfg.ClientCA, "client-ca", cfg.ClientCA, "CA bundle (PEM); clients must present a certificate it signed")
	fs.StringVar(&cfg.AuditLog, "audit-log", cfg.AuditLog, "append one signed, hash-chained record per decision to this file")
	fs.Var(enumFlag{&cfg.AuditSync, []string{"strict", "group"}}, "audit-sync", "strict: answer only after the record is fsynced; group: fsync in groups")
	fs.BoolVar(&cfg.AuditIncludeText, "audit-include-text", cfg.AuditIncludeText, "store the note text itself in audit records (default: its sha256 only)")
	fs.StringVar(&cfg.AuditSigningKey, "audit-signing-key", cfg.AuditSigningKey, "Ed25519 private key (medbert audit keygen) that signs the audit log's checkpoints, so a cut tail is detected")
	fs.StringVar(&cfg.KeyFile, "key-file", cfg.KeyFile, "AES-256 key file: encrypt the audit log, read encrypted model folders")
	fs.Var((*listFlag)(&cfg.CDSIssuers), "cds-issuer", "CDS Hooks: an EHR allowed to call, ISS=JWKS_FILE (repeatable; without any, CDS Hooks calls are refused)")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "CDS Hooks: the base URL the EHR calls, which a JWT's aud must match (default http://ADDR)")
	fs.Var((*listFlag)(&cfg.CDSOrigins), "cds-origin", "CDS Hooks: an EHR web origin (scheme://host[:port]) allowed cross-origin calls (repeatable)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "how long in-flight requests may finish after SIGTERM")
}

// Validate reports the first setting that cannot work, naming its flag.
func (c *Config) Validate() error {
	switch {
	case c.Addr == "":
		return errors.New("--addr is empty")
	case c.MaxBatch < 1:
		return fmt.Errorf("--max-batch must be >= 1, got %d", c.MaxBatch)
	case c.BatchWait < 0:
		return fmt.Errorf("--batch-wait must be >= 0, got %v", c.BatchWait)
	case c.Queue < 1:
		return fmt.Errorf("--queue must be >= 1, got %d", c.Queue)
	case c.Threads < 0:
		return fmt.Errorf("--threads must be >= 0, got %d", c.Threads)
	case c.MaxBody < 64:
		return fmt.Errorf("--max-body must be >= 64 bytes, got %d", c.MaxBody)
	case c.MaxTexts < 1:
		return fmt.Errorf("--max-texts must be >= 1, got %d", c.MaxTexts)
	case c.Timeout <= 0:
		return fmt.Errorf("--timeout must be > 0, got %v", c.Timeout)
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("--shutdown-timeout must be > 0, got %v", c.ShutdownTimeout)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case c.ClientCA != "" && c.TLSCert == "":
		return errors.New("--client-ca needs --tls-cert and --tls-key")
	case c.AuditSync != "strict" && c.AuditSync != "group":
		return fmt.Errorf("--audit-sync must be strict or group, got %q", c.AuditSync)
	case c.AuditIncludeText && c.AuditLog == "":
		return errors.New("--audit-include-text needs --audit-log")
	case c.AuditSigningKey != "" && c.AuditLog == "":
		return errors.New("--audit-signing-key needs --audit-log")
	}
	for _, iss := range c.CDSIssuers {
		if k, f, ok := strings.Cut(iss, "="); !ok || k == "" || f == "" {
			return fmt.Errorf("--cds-issuer %q: want ISS=JWKS_FILE", iss)
		}
	}
	seen := map[string]bool{}
	for _, m := range c.Models {
		if !validName(m.Name) {
			return fmt.Errorf("--model %s: name %q must match [A-Za-z0-9._-]{1,64}", m.Dir, m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("--model: name %q given twice", m.Name)
		}
		seen[m.Name] = true
	}
	return nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func validName(s string) bool { return nameRE.MatchString(s) }

// ParseModelSpec parses a --model value: DIR or name=DIR.
func ParseModelSpec(s string) (ModelSpec, error) {
	name, dir, ok := strings.Cut(s, "=")
	if !ok {
		dir = s
		name = filepath.Base(filepath.Clean(s))
	}
	if dir == "" {
		return ModelSpec{}, fmt.Errorf("model %q: empty folder", s)
	}
	if !validName(name) {
		return ModelSpec{}, fmt.Errorf("model %q: name %q must match [A-Za-z0-9._-]{1,64} (use name=DIR)", s, name)
	}
	return ModelSpec{Name: name, Dir: dir}, nil
}

type modelsFlag []ModelSpec

func (m *modelsFlag) String() string {
	if m == nil {
		return ""
	}
	parts := make([]string, len(*m))
	for i, s := range *m {
		parts[i] = s.Name + "=" + s.Dir
	}
	return strings.Join(parts, ",")
}

func (m *modelsFlag) Set(s string) error {
	spec, err := ParseModelSpec(s)
	if err != nil {
		return err
	}
	*m = append(*m, spec)
	return nil
}

// ParseSize parses a byte size: plain bytes or a number with a KiB, MiB,
// GiB, KB, MB or GB suffix.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want bytes or a number with KiB, MiB, GiB, KB, MB or GB", s)
	}
	return n * mult, nil
}

type sizeFlag int64

func (f *sizeFlag) String() string {
	if f == nil {
		return ""
	}
	n := int64(*f)
	if n != 0 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}

func (f *sizeFlag) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	*f = sizeFlag(n)
	return nil
}

type enumFlag struct {
	v       *string
	allowed []string
}

func (e enumFlag) String() string {
	if e.v == nil {
		return ""
	}
	return *e.v
}

func (e enumFlag) Set(s string) error {
	for _, a := range e.allowed {
		if s == a {
			*e.v = s
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(e.allowed, ", "))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
