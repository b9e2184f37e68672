package web

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/herdload/herd/internal/config"
)

// checkSwarmOptions reads the test's own options from /swarm's values, as
// Locust 2.12.1's swarm() sets any parsed option named by a form field:
// the field is the option's name with dashes as underscores (my_argument,
// Locust's dest name) or as declared (my-argument); the value is converted
// to the option's type with the CLI's rules. Fields naming no option are
// ignored.
func checkSwarmOptions(vals url.Values, opts []CustomOption) (map[string]any, []string) {
	var out map[string]any
	var problems []string
	for _, o := range opts {
		field := strings.ReplaceAll(o.Name, "-", "_")
		vs, ok := vals[field]
		if !ok {
			if vs, ok = vals[o.Name]; !ok {
				field = o.Name
			}
		}
		if !ok || len(vs) == 0 {
			continue
		}
		v, err := config.ParseCustom(o.Value, strings.TrimSpace(vs[0]))
		if err != nil {
			problems = append(problems, field+": "+err.Error())
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[o.Name] = v
	}
	return out, problems
}

// addJSONOptions adds to vals the scalar members of a /swarm JSON object
// other than the standard fields, as text, for checkSwarmOptions; other
// members are ignored.
func addJSONOptions(vals url.Values, obj map[string]json.RawMessage) {
	for key, raw := range obj {
		if slices.Contains(swarmFields, key) {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var x any
		if dec.Decode(&x) != nil {
			continue
		}
		switch x := x.(type) {
		case string:
			vals.Set(key, x)
		case json.Number:
			vals.Set(key, x.String())
		case bool:
			vals.Set(key, config.FormatCustom(x))
		}
	}
}

// optionDocs are the test's own options as /api/state's extra_options:
// Locust's name of the index page's custom parameters, by dest name.
func optionDocs(opts []CustomOption) []optionDoc {
	if len(opts) == 0 {
		return nil
	}
	out := make([]optionDoc, len(opts))
	for i, o := range opts {
		out[i] = optionDoc{Name: strings.ReplaceAll(o.Name, "-", "_"), Flag: o.Name,
			Value: config.FormatCustom(o.Value), Help: o.Help, Type: optionType(o.Value)}
	}
	return out
}

// optionDoc is one custom option in /api/state.
type optionDoc struct {
	Name  string `json:"name"`  // the /swarm field: my_argument
	Flag  string `json:"flag"`  // the long flag: my-argument
	Value string `json:"value"` // as the flag takes it
	Type  string `json:"type"`  // string, int, float, bool or duration
	Help  string `json:"help"`
}

func optionType(v any) string {
	switch v.(type) {
	case int:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case string:
		return "string"
	}
	return "duration"
}
