package serve

import (
	"fmt"
	"strconv"
	"strings"
)

// parseYAML reads the block-style subset of YAML the deploy/ manifests are
// written in: mappings, sequences ("- "), plain and quoted scalars,
// comments and "---" document separators. Flow collections, anchors and
// multi-line strings are refused, which keeps the manifests simple enough
// to check without a YAML dependency. Scalars stay strings.
func parseYAML(src string) ([]any, error) {
	var docs []any
	for _, doc := range strings.Split("\n"+src, "\n---") {
		var lines []yamlLine
		for n, raw := range strings.Split(doc, "\n") {
			text := stripComment(raw)
			if strings.TrimSpace(text) == "" {
				continue
			}
			trimmed := strings.TrimLeft(text, " ")
			if strings.ContainsAny(trimmed[:1], "{[&*!|>") || strings.HasSuffix(trimmed, "|") || strings.HasSuffix(trimmed, ">") {
				return nil, fmt.Errorf("line %d: unsupported YAML: %q", n, raw)
			}
			lines = append(lines, yamlLine{indent: len(text) - len(trimmed), text: strings.TrimRight(trimmed, " ")})
		}
		if len(lines) == 0 {
			continue
		}
		p := &yamlParser{lines: lines}
		v, err := p.block(lines[0].indent)
		if err != nil {
			return nil, err
		}
		if p.i != len(lines) {
			return nil, fmt.Errorf("unexpected indentation at %q", lines[p.i].text)
		}
		docs = append(docs, v)
	}
	return docs, nil
}

type yamlLine struct {
	indent int
	text   string
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

func (p *yamlParser) block(indent int) (any, error) {
	if isItem(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func isItem(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

func (p *yamlParser) sequence(indent int) ([]any, error) {
	var out []any
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && isItem(p.lines[p.i].text) {
		rest := strings.TrimSpace(strings.TrimPrefix(p.lines[p.i].text, "-"))
		switch {
		case rest == "":
			p.i++
			if p.i >= len(p.lines) || p.lines[p.i].indent <= indent {
				return nil, fmt.Errorf("empty sequence item")
			}
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case isKey(rest):
			// "- key: value" opens a mapping whose keys sit two columns in.
			p.lines[p.i] = yamlLine{indent: indent + 2, text: rest}
			v, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			s, err := scalar(rest)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			p.i++
		}
	}
	return out, nil
}

func isKey(s string) bool {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, `'`) {
		return false
	}
	k, _, ok := strings.Cut(s, ":")
	return ok && !strings.Contains(k, " ") && (strings.HasSuffix(s, ":") || strings.Contains(s, ": "))
}

func (p *yamlParser) mapping(indent int) (map[string]any, error) {
	out := map[string]any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent {
		line := p.lines[p.i]
		if !isKey(line.text) {
			return nil, fmt.Errorf("want key: value, got %q", line.text)
		}
		key, rest, _ := strings.Cut(line.text, ":")
		rest = strings.TrimSpace(rest)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("key %q given twice", key)
		}
		p.i++
		if rest != "" {
			s, err := scalar(rest)
			if err != nil {
				return nil, err
			}
			out[key] = s
			continue
		}
		switch {
		case p.i < len(p.lines) && p.lines[p.i].indent > indent:
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		case p.i < len(p.lines) && p.lines[p.i].indent == indent && isItem(p.lines[p.i].text):
			v, err := p.sequence(indent) // a sequence may sit at its key's indentation
			if err != nil {
				return nil, err
			}
			out[key] = v
		default:
			out[key] = nil
		}
	}
	return out, nil
}

func scalar(s string) (string, error) {
	switch {
	case strings.ContainsAny(s[:1], "{[&*!|>"):
		return "", fmt.Errorf("unsupported YAML value %q", s)
	case strings.HasPrefix(s, `"`):
		return strconv.Unquote(s)
	case strings.HasPrefix(s, `'`):
		if len(s) < 2 || !strings.HasSuffix(s, `'`) {
			return "", fmt.Errorf("unterminated string %s", s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	return s, nil
}

// stripComment cuts a "#" comment that starts a line or follows a space,
// outside quotes.
func stripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}
