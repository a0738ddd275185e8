package functions

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/frontdesk/frontdesk/local/template"
)

// Module is the module path every import below starts with.
const module = "github.com/frontdesk/frontdesk"

// wiring is the one call a function's main.go makes with os.Getenv: the
// function's FromEnv-style loader, by import path and name.
type wiring struct{ Path, Func string }

// findWiring reads functions/<folder>/main.go and returns the call that
// passes os.Getenv, which main.go must make exactly once.
func findWiring(tb testing.TB, folder string) wiring {
	tb.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(folder, "main.go"), nil, 0)
	if err != nil {
		tb.Fatal(err)
	}
	imports := map[string]string{}
	for _, im := range f.Imports {
		path, _ := strconv.Unquote(im.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if im.Name != nil {
			name = im.Name.Name
		}
		imports[name] = path
	}
	var found []wiring
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for _, a := range call.Args {
			if sel, ok := a.(*ast.SelectorExpr); ok && fmt.Sprint(sel.X) == "os" && sel.Sel.Name == "Getenv" {
				fn, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					tb.Fatalf("functions/%s/main.go passes os.Getenv to %v, not to a package's loader", folder, call.Fun)
				}
				found = append(found, wiring{Path: imports[fmt.Sprint(fn.X)], Func: fn.Sel.Name})
			}
		}
		return true
	})
	if len(found) != 1 || !strings.HasPrefix(found[0].Path, module+"/shared/") {
		tb.Fatalf("functions/%s/main.go: want one call of a shared package's loader with os.Getenv, found %v", folder, found)
	}
	return found[0]
}

// recordProgram is a program calling every function's loader with a
// recording environment. Its input (stdin) is the environment per
// function and the Parameter Store entries to serve; its output (stdout)
// is what each loader read and the error it returned.
const recordProgram = `package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"

	"github.com/frontdesk/frontdesk/local/awslocal"
	"github.com/frontdesk/frontdesk/shared/env"
%s)

var loaders = map[string]func(context.Context, func(string) string) error{
%s}

func main() {
	var in struct {
		SSM map[string]string
		Env map[string]map[string]string
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	ssm := httptest.NewServer(awslocal.Parameters(in.SSM))
	defer ssm.Close()
	type run struct {
		Read []string
		Err  string
	}
	out := map[string]run{}
	for name, load := range loaders {
		vars, ok := in.Env[name]
		if !ok {
			continue
		}
		vars["AWS_ENDPOINT_URL_SSM"] = ssm.URL
		rec := env.NewRecorder(func(k string) string { return vars[k] })
		var r run
		if err := load(context.Background(), rec.Getenv); err != nil {
			r.Err = err.Error()
		}
		r.Read = rec.Read()
		out[name] = r
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`

// runtimeVars are read by the Go runtime or Lambda, not by a loader.
var runtimeVars = map[string]bool{"GOMEMLIMIT": true, "GOGC": true, "GODEBUG": true, "GOMAXPROCS": true, "TZ": true}

// TestTemplateEnvironment runs every function's loader, exactly as its
// main.go calls it, with the environment template.yaml gives the function
// (parameters at their local values) and records every variable read:
// each one read must be set by the template, and each one the template
// sets for the function alone (not in Globals) must be read. A second run with an empty environment must fail, naming what is
// missing. New functions are picked up from the Makefile and their
// main.go, with no list here to keep.
func TestTemplateEnvironment(t *testing.T) {
	tpl, err := template.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := template.LoadOverrides("../local/overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := ov.Check(tpl); err != nil {
		t.Error(err)
	}
	res := &template.Resolver{T: tpl, Params: ov.Parameters, Region: "us-east-1", Account: "000000000000"}
	folders := makefileFunctions(t)
	var names []string
	for folder := range folders {
		names = append(names, folder)
	}
	sort.Strings(names)

	var imports, loaders strings.Builder
	envs := map[string]map[string]string{}
	empty := map[string]map[string]string{}
	set := map[string]map[string]string{}
	for i, folder := range names {
		w := findWiring(t, folder)
		fmt.Fprintf(&imports, "\tp%d %q\n", i, w.Path)
		fmt.Fprintf(&loaders, "\t%q: func(ctx context.Context, g func(string) string) error { _, err := p%d.%s(ctx, g); return err },\n", folder, i, w.Func)
		vars, err := res.Environment(folders[folder])
		if err != nil {
			t.Fatalf("environment of %s: %v", folders[folder], err)
		}
		set[folder] = vars
		run := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
		for k, v := range vars {
			// ${LocalURL} is the local gateway, which dev fills in.
			run[k] = strings.ReplaceAll(v, "${LocalURL}", "http://127.0.0.1:3000")
		}
		envs[folder] = run
		empty[folder] = map[string]string{}
	}

	dir, err := os.MkdirTemp(".", "_record")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	src := fmt.Sprintf(recordProgram, imports.String(), loaders.String())
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "record")
	if out, err := exec.Command("go", "build", "-o", bin, "./"+dir).CombinedOutput(); err != nil {
		t.Fatalf("build the recording program: %v\n%s\n%s", err, out, src)
	}
	run := func(envs map[string]map[string]string) map[string]struct {
		Read []string
		Err  string
	} {
		in, _ := json.Marshal(map[string]any{"SSM": ov.SSMParameters, "Env": envs})
		cmd := exec.Command(bin)
		cmd.Stdin = bytes.NewReader(in)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("recording program: %v\n%s", err, stderr.String())
		}
		var got map[string]struct {
			Read []string
			Err  string
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("recording program said %q: %v", out, err)
		}
		return got
	}
	full, none := run(envs), run(empty)

	for _, folder := range names {
		id := folders[folder]
		t.Run(id, func(t *testing.T) {
			r, ok := full[folder]
			if !ok {
				t.Fatalf("the loader of functions/%s did not run", folder)
			}
			if r.Err != "" {
				t.Errorf("functions/%s with the template's environment: %s", folder, r.Err)
			}
			var read []string
			for _, v := range r.Read {
				// AWS_* are set by Lambda itself (region, role credentials)
				// or are local endpoint overrides.
				if strings.HasPrefix(v, "AWS_") {
					continue
				}
				read = append(read, v)
				if _, ok := set[folder][v]; !ok {
					t.Errorf("functions/%s reads %s, which template.yaml does not set for %s", folder, v, id)
				}
			}
			own, _ := template.Get(tpl.Resources[id], "Properties", "Environment", "Variables").(map[string]any)
			for v := range own {
				if !slices.Contains(read, v) && !runtimeVars[v] {
					t.Errorf("template.yaml sets %s for %s, which functions/%s never reads", v, id, folder)
				}
			}
			if e := none[folder]; e.Err == "" {
				t.Errorf("functions/%s with an empty environment: no error, want every missing variable named", folder)
			} else if !strings.Contains(e.Err, "TABLE_NAME") && !strings.Contains(e.Err, "TOPIC_ARN") {
				t.Errorf("functions/%s with an empty environment: %s, want the missing variables named", folder, e.Err)
			}
		})
	}
}

// TestTemplateBatchFailures: every queue and stream event reports
// partial batch failures, which every handler returns.
func TestTemplateBatchFailures(t *testing.T) {
	tpl, err := template.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range tpl.Functions() {
		evs, _ := template.Get(tpl.Resources[id], "Properties", "Events").(map[string]any)
		for name, ev := range evs {
			typ := template.Get(ev, "Type")
			if typ != "SQS" && typ != "DynamoDB" {
				continue
			}
			types, _ := template.Get(ev, "Properties", "FunctionResponseTypes").([]any)
			if !slices.Contains(types, any("ReportBatchItemFailures")) {
				t.Errorf("%s event %s (%s) does not report batch item failures", id, name, typ)
			}
		}
	}
}
