package deploytest

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository's root directory (this file lives in
// services/e2e/deploytest/).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

const templatePath = "deploy/cloudformation/boardpack.yaml"

// template is a CloudFormation template in its long form: short-form tags
// (!Ref, !Sub, !GetAtt, ...) become the {"Ref": ...}, {"Fn::Sub": ...}
// objects CloudFormation itself sees.
type template struct {
	Parameters map[string]map[string]any `json:"Parameters"`
	Conditions map[string]any            `json:"Conditions"`
	Resources  map[string]resource       `json:"Resources"`
	Outputs    map[string]map[string]any `json:"Outputs"`
	raw        map[string]any
}

type resource struct {
	Type       string         `json:"Type"`
	Condition  string         `json:"Condition,omitempty"`
	Properties map[string]any `json:"Properties"`
}

func loadTemplate(t testing.TB) template {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), templatePath))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := parseCFN(b)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	js, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	var tpl template
	if err := json.Unmarshal(js, &tpl); err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	tpl.raw = raw.(map[string]any)
	return tpl
}

// JSON is the template as CloudFormation's JSON form.
func (tpl template) JSON(t testing.TB) string {
	t.Helper()
	b, err := json.Marshal(tpl.raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withoutTypes is the template with the resources of these types removed.
func (tpl template) withoutTypes(types ...string) template {
	res, _ := tpl.raw["Resources"].(map[string]any)
	kept := map[string]any{}
	for id, r := range res {
		if typ, _ := r.(map[string]any)["Type"].(string); !slices.Contains(types, typ) {
			kept[id] = r
		}
	}
	raw := maps.Clone(tpl.raw)
	raw["Resources"] = kept
	out := tpl
	out.raw = raw
	return out
}

// ofType lists the logical ids of resources of a type.
func (tpl template) ofType(typ string) []string {
	var ids []string
	for id, r := range tpl.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// parseCFN reads a YAML CloudFormation template into plain Go values.
func parseCFN(b []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("not a single YAML document")
	}
	return cfnValue(doc.Content[0])
}

var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition",
	"!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join", "!Select": "Fn::Select",
	"!Split": "Fn::Split", "!If": "Fn::If", "!Not": "Fn::Not", "!Equals": "Fn::Equals",
	"!And": "Fn::And", "!Or": "Fn::Or", "!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs",
	"!ImportValue": "Fn::ImportValue", "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr",
}

func cfnValue(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("line %d: YAML aliases are not supported by CloudFormation", n.Line)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Anchor != "" || n.Content[i+1].Anchor != "" {
				return nil, fmt.Errorf("line %d: YAML anchors are not supported by CloudFormation", n.Content[i].Line)
			}
			val, err := cfnValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := cfnValue(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			i, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			v = i
		case "!!bool":
			v = n.Value == "true"
		case "!!null":
			v = nil
		case "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			v = f
		default:
			v = n.Value
		}
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		if s, isStr := v.(string); isStr && fn == "Fn::GetAtt" {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q needs Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
		v = map[string]any{fn: v}
	}
	return v, nil
}
