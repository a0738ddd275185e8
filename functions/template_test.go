// Package functions holds one folder per Lambda. This test keeps
// template.yaml honest about them: every function builds through the
// Makefile target sam build calls, every variable a function reads is set
// by the template, and the table is the one the store creates.
package functions

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/frontdesk/frontdesk/local/template"
	"github.com/frontdesk/frontdesk/shared/dynamo"
)

func loadTemplate(tb testing.TB) map[string]any {
	tb.Helper()
	t, err := template.Load("../template.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return t.Doc
}

func get(v any, path ...string) any { return template.Get(v, path...) }

// makefileFunctions reads the Makefile's FUNCTIONS list: folder → logical ID.
func makefileFunctions(tb testing.TB) map[string]string {
	tb.Helper()
	b, err := os.ReadFile("../Makefile")
	if err != nil {
		tb.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FUNCTIONS\s*:=\s*(.*)$`).FindSubmatch(b)
	if m == nil {
		tb.Fatal("Makefile has no FUNCTIONS line")
	}
	out := map[string]string{}
	for _, f := range strings.Fields(string(m[1])) {
		folder, id, ok := strings.Cut(f, ":")
		if !ok {
			tb.Fatalf("Makefile FUNCTIONS entry %q is not folder:LogicalId", f)
		}
		out[folder] = id
	}
	return out
}

func TestTemplateFunctions(t *testing.T) {
	tpl := loadTemplate(t)
	resources := get(tpl, "Resources").(map[string]any)
	folders := makefileFunctions(t)
	byID := map[string]string{}
	for folder, id := range folders {
		byID[id] = folder
	}
	var ids []string
	for id, r := range resources {
		if get(r, "Type") == "AWS::Serverless::Function" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Fatal("template.yaml declares no function")
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			r := resources[id]
			if get(r, "Metadata", "BuildMethod") != "makefile" {
				t.Errorf("%s: Metadata.BuildMethod = %v, want makefile", id, get(r, "Metadata", "BuildMethod"))
			}
			_, ok := byID[id]
			if !ok {
				t.Fatalf("%s has no entry in the Makefile's FUNCTIONS, so sam build finds no build-%s target", id, id)
			}
			// Build exactly as the build-<LogicalId> target does.
			out, err := exec.Command("make", "-s", "-C", "..", "build-"+id, "ARTIFACTS_DIR="+t.TempDir()).CombinedOutput()
			if err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
		})
	}
	for folder, id := range folders {
		if get(resources, id, "Type") != "AWS::Serverless::Function" {
			t.Errorf("Makefile builds %s as %s, which template.yaml does not declare", folder, id)
		}
	}
}

func TestTemplateTableMatchesStore(t *testing.T) {
	tpl := loadTemplate(t)
	props := get(tpl, "Resources", "TicketTable", "Properties")
	if props == nil {
		t.Fatal("template.yaml has no TicketTable")
	}
	def := dynamo.TableDefinition("x")
	str := func(v any) string { return fmt.Sprint(v) }

	var want, got []string
	for _, a := range def.AttributeDefinitions {
		want = append(want, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, a := range get(props, "AttributeDefinitions").([]any) {
		got = append(got, str(get(a, "AttributeName"))+":"+str(get(a, "AttributeType")))
	}
	compareSets(t, "attributes", got, want)

	keys := func(v any) []string {
		var out []string
		for _, k := range v.([]any) {
			out = append(out, str(get(k, "AttributeName"))+":"+str(get(k, "KeyType")))
		}
		return out
	}
	want = nil
	for _, k := range def.KeySchema {
		want = append(want, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
	}
	if g := keys(get(props, "KeySchema")); !slices.Equal(g, want) {
		t.Errorf("key schema = %v, want %v", g, want)
	}

	tplIdx := map[string]any{}
	for _, g := range get(props, "GlobalSecondaryIndexes").([]any) {
		tplIdx[str(get(g, "IndexName"))] = g
	}
	if len(tplIdx) != len(def.GlobalSecondaryIndexes) {
		t.Errorf("template has %d indexes, the store %d", len(tplIdx), len(def.GlobalSecondaryIndexes))
	}
	for _, g := range def.GlobalSecondaryIndexes {
		name := aws.ToString(g.IndexName)
		tg, ok := tplIdx[name]
		if !ok {
			t.Errorf("template has no index %s", name)
			continue
		}
		want = nil
		for _, k := range g.KeySchema {
			want = append(want, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		if got := keys(get(tg, "KeySchema")); !slices.Equal(got, want) {
			t.Errorf("index %s keys = %v, want %v", name, got, want)
		}
		if p := str(get(tg, "Projection", "ProjectionType")); p != string(g.Projection.ProjectionType) {
			t.Errorf("index %s projection = %s, want %s", name, p, g.Projection.ProjectionType)
		}
	}
	checks := []struct{ what, got, want string }{
		{"billing mode", str(get(props, "BillingMode")), string(def.BillingMode)},
		{"stream view", str(get(props, "StreamSpecification", "StreamViewType")), string(def.StreamSpecification.StreamViewType)},
		{"ttl attribute", str(get(props, "TimeToLiveSpecification", "AttributeName")), dynamo.TTLAttribute},
		{"ttl enabled", str(get(props, "TimeToLiveSpecification", "Enabled")), "true"},
		{"point-in-time recovery", str(get(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")), "true"},
		{"encryption", str(get(props, "SSESpecification", "SSEEnabled")), "true"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("table %s = %q, want %q", c.what, c.got, c.want)
		}
	}
}

func compareSets(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestTemplateParameters(t *testing.T) {
	tpl := loadTemplate(t)
	params, _ := get(tpl, "Parameters").(map[string]any)
	refs := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if r, ok := x["Ref"].(string); ok {
				refs[r] = true
			}
			if s, ok := x["Fn::Sub"].(string); ok {
				for _, m := range regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`).FindAllStringSubmatch(s, -1) {
					refs[m[1]] = true
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(get(tpl, "Resources"))
	walk(get(tpl, "Globals"))
	walk(get(tpl, "Outputs"))
	walk(get(tpl, "Conditions"))
	for p := range params {
		if !refs[p] {
			t.Errorf("parameter %s is never used", p)
		}
	}
	for r := range refs {
		_, isParam := params[r]
		_, isResource := get(tpl, "Resources").(map[string]any)[r]
		if !isParam && !isResource && !strings.HasPrefix(r, "AWS::") {
			t.Errorf("template refers to %s, which is neither a parameter nor a resource", r)
		}
	}
}
