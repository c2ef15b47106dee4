// render: renders a Helm chart the way Helm does, without Helm: Go's text/template with the
// sprig functions (Helm's engine) plus Helm's own (include, tpl, required, toYaml, fromYaml,
// .Files.Get), the values merged over values.yaml and checked against values.schema.json with
// gojsonschema (the validator Helm uses). Prints the rendered objects as one JSON array.
//
//	render -chart DIR [-values FILE]... [-release NAME] [-namespace NS] [-kube-version 1.29.0]
//	       [-api-versions monitoring.coreos.com/v1,...]
//
// Built in GOPATH mode from Debian packages (tests/helm/chart_test.sh):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o render tests/helm/render.go
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// APIVersions answers .Capabilities.APIVersions.Has.
type APIVersions []string

func (a APIVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// Files answers .Files.Get for files of the chart.
type Files struct{ dir string }

func (f Files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.Clean("/" + name)))
	if err != nil {
		return ""
	}
	return string(b)
}

// normalize turns yaml.v3's map[string]interface{} trees into JSON-compatible ones.
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

// merge puts `over` onto `base` the way Helm merges values files: maps deeply, the rest replaced.
func merge(base, over map[string]interface{}) map[string]interface{} {
	for k, v := range over {
		if bm, ok := base[k].(map[string]interface{}); ok {
			if om, ok := v.(map[string]interface{}); ok {
				base[k] = merge(bm, om)
				continue
			}
		}
		base[k] = v
	}
	return base
}

func loadYAML(path string) (map[string]interface{}, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return normalize(out).(map[string]interface{}), nil
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	chart := flag.String("chart", "", "the chart's directory")
	release := flag.String("release", "portcullis", "the release name")
	namespace := flag.String("namespace", "default", "the release namespace")
	kube := flag.String("kube-version", "1.29.0", "the cluster's Kubernetes version")
	var valueFiles, apis listFlag
	flag.Var(&valueFiles, "values", "a values file (repeatable)")
	flag.Var(&apis, "api-versions", "API versions the cluster serves besides the built-in ones")
	flag.Parse()
	if *chart == "" {
		fail("-chart is required")
	}

	meta, err := loadYAML(filepath.Join(*chart, "Chart.yaml"))
	if err != nil {
		fail("%v", err)
	}
	values, err := loadYAML(filepath.Join(*chart, "values.yaml"))
	if err != nil {
		fail("%v", err)
	}
	for _, f := range valueFiles {
		over, err := loadYAML(f)
		if err != nil {
			fail("%v", err)
		}
		values = merge(values, over)
	}
	if schema, err := os.ReadFile(filepath.Join(*chart, "values.schema.json")); err == nil {
		result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema),
			gojsonschema.NewGoLoader(values))
		if err != nil {
			fail("values.schema.json: %v", err)
		}
		if !result.Valid() {
			msgs := []string{}
			for _, e := range result.Errors() {
				msgs = append(msgs, "- "+e.String())
			}
			sort.Strings(msgs)
			fmt.Fprintf(os.Stderr, "values don't meet the specifications of the schema(s):\n%s\n",
				strings.Join(msgs, "\n"))
			os.Exit(2)
		}
	}

	parts := strings.SplitN(strings.TrimPrefix(*kube, "v"), ".", 3)
	for len(parts) < 2 {
		parts = append(parts, "0")
	}
	builtin := APIVersions{"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1",
		"admissionregistration.k8s.io/v1", "rbac.authorization.k8s.io/v1"}
	top := map[string]interface{}{
		"Values": values,
		"Release": map[string]interface{}{"Name": *release, "Namespace": *namespace,
			"Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1},
		"Chart": map[string]interface{}{"Name": meta["name"], "Version": meta["version"],
			"AppVersion": meta["appVersion"]},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v" + strings.TrimPrefix(*kube, "v"),
				"GitVersion": "v" + strings.TrimPrefix(*kube, "v"), "Major": parts[0], "Minor": parts[1]},
			"APIVersions": append(builtin, apis...),
		},
		"Files": Files{*chart},
	}

	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	funcs["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil || v == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	funcs["toYaml"] = func(v interface{}) string { return toYAML(v) }
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		out := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &out); err != nil {
			out["Error"] = err.Error()
		}
		return normalize(out).(map[string]interface{})
	}
	root.Funcs(funcs).Option("missingkey=zero")

	dir := filepath.Join(*chart, "templates")
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail("%v", err)
	}
	names := []string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			fail("%v", err)
		}
		// Named as Helm names them: CHART/templates/FILE.
		full := filepath.Join(filepath.Base(*chart), "templates", e.Name())
		if _, err := root.New(full).Parse(string(b)); err != nil {
			fail("%v", err)
		}
		if !strings.HasPrefix(e.Name(), "_") && !strings.HasSuffix(e.Name(), ".txt") {
			names = append(names, full)
		}
	}
	sort.Strings(names)

	objects := []interface{}{}
	for _, name := range names {
		top["Template"] = map[string]interface{}{"Name": name,
			"BasePath": filepath.Join(filepath.Base(*chart), "templates")}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, top); err != nil {
			fail("%v", err)
		}
		dec := yaml.NewDecoder(&buf)
		for {
			var doc interface{}
			err := dec.Decode(&doc)
			if err == io.EOF {
				break
			}
			if err != nil {
				fail("%s: the rendered YAML does not parse: %v", name, err)
			}
			if doc == nil {
				continue
			}
			objects = append(objects, normalize(doc))
		}
	}
	out, err := json.MarshalIndent(objects, "", "  ")
	if err != nil {
		fail("%v", err)
	}
	os.Stdout.Write(append(out, '\n'))
}
